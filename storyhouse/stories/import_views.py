"""The desk's import upload: files in, a summary out (the work is in `uploads.py`).

A request larger than IMPORT_UPLOAD_MAX_SIZE (50 MB unless set) gets a kind page, not a
500. The CSRF middleware has read the body by then (into temporary files that go with the
request): a hard cap on what the server takes in belongs to the proxy in front of it
(for nginx, client_max_body_size).
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from . import access
from .desk_views import writer_view
from .import_forms import ImportForm
from .uploads import uploads_import


def upload_limit() -> int:
    """The most bytes one import request may carry (setting IMPORT_UPLOAD_MAX_SIZE)."""
    return settings.IMPORT_UPLOAD_MAX_SIZE


def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
    message = _(
        "These files are too large to send at once: up to %(limit)s in one go. "
        "Send them in smaller groups."
    ) % {"limit": filesizeformat(limit)}
    context = {"form": ImportForm(), "limit": limit, "upload_error": message}
    return render(request, "desk/import.html", context, status=413)


@writer_view
def import_upload(request: HttpRequest) -> HttpResponse:
    if not access.can_write(request.user):
        return render(request, "desk/cannot_write.html", status=403)
    limit = upload_limit()
    if request.method != "POST":
        return render(request, "desk/import.html", {"form": ImportForm(), "limit": limit})
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return _too_large(request, limit)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "desk/import.html", {"form": form, "limit": limit}, status=400)
    results = uploads_import(
        form.cleaned_data["files"],
        author=request.user,
        visibility=form.cleaned_data["visibility"],
    )
    return render(
        request,
        "desk/import.html",
        {
            "form": ImportForm(initial={"visibility": form.cleaned_data["visibility"]}),
            "limit": limit,
            "results": results,
            "imported": sum(1 for result in results if result.ok),
            "failed": sum(1 for result in results if not result.ok),
        },
    )
