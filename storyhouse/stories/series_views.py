"""Series: the readers' page of a series, and the writer's series desk. Parse, ask access,
call `series.py`, render.

A series someone may not edit is a 404 on the desk, like a book they do not write.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import access, queries
from . import series as series_rules
from .desk_views import writer_view
from .models import Series, Story
from .series_forms import SeriesBookForm, SeriesForm

# The readers' page


def series_detail(request: HttpRequest, series_id: int, slug: str) -> HttpResponse:
    series = get_object_or_404(Series.objects.select_related("owner"), pk=series_id)
    books = list(queries.with_card_data(series_rules.series_visible_books(request.user, series)))
    if not series_rules.can_view_series(request.user, series, len(books)):
        raise Http404
    if slug != series.slug:
        return redirect(series, permanent=True)
    return render(
        request,
        "series/series.html",
        {
            "series": series,
            "books": books,
            "left_out": series_rules.series_left_out(request.user, series, len(books)),
            "can_edit": access.can_edit_series(request.user, series),
        },
    )


# The writer's series desk


def _series(request: HttpRequest, series_id: int) -> Series:
    series = get_object_or_404(Series, pk=series_id)
    if not access.can_edit_series(request.user, series):
        raise Http404
    return series


def _series_desk_url(series: Series) -> str:
    return reverse("desk:series", kwargs={"series_id": series.pk})


def _series_desk_context(request: HttpRequest, series: Series, book_form=None) -> dict:
    entries = list(series.seriesentry_set.select_related("story").order_by("position", "id"))
    return {
        "series": series,
        "entries": entries,
        "book_form": book_form or SeriesBookForm(user=request.user, series=series),
    }


@writer_view
@require_GET
def series_list(request: HttpRequest) -> HttpResponse:
    mine = request.user.series.order_by("title", "id")
    return render(request, "desk/series_list.html", {"series_list": list(mine)})


@writer_view
def series_new(request: HttpRequest) -> HttpResponse:
    if not access.can_write(request.user):
        return render(request, "desk/cannot_write.html", status=403)
    form = SeriesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            series = series_rules.series_edit(
                Series(),
                owner=request.user,
                title=form.cleaned_data["title"],
                description_source=form.cleaned_data["description"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your series is ready. Now add its books."))
            return redirect(_series_desk_url(series))
    return render(request, "desk/series_form.html", {"form": form, "series": None})


@writer_view
@require_GET
def series_desk(request: HttpRequest, series_id: int) -> HttpResponse:
    series = _series(request, series_id)
    return render(request, "desk/series.html", _series_desk_context(request, series))


@writer_view
def series_edit(request: HttpRequest, series_id: int) -> HttpResponse:
    series = _series(request, series_id)
    form = SeriesForm.for_series(series, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            series_rules.series_edit(
                series,
                title=form.cleaned_data["title"],
                description_source=form.cleaned_data["description"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(_series_desk_url(series))
        series.refresh_from_db()
    return render(request, "desk/series_form.html", {"form": form, "series": series})


@writer_view
@require_POST
def series_add(request: HttpRequest, series_id: int) -> HttpResponse:
    series = _series(request, series_id)
    form = SeriesBookForm(request.POST, user=request.user, series=series)
    if form.is_valid():
        story = form.cleaned_data["story"]
        if not access.can_add_to_series(request.user, series, story):
            raise Http404
        try:
            series_rules.series_add(series, story)
        except ValidationError as error:
            form.add_error("story", error)
        else:
            messages.success(
                request, _("“%(title)s” is in the series now.") % {"title": story.title}
            )
            return redirect(_series_desk_url(series))
    context = _series_desk_context(request, series, form)
    return render(request, "desk/series.html", context, status=400)


def _series_book(request: HttpRequest, series: Series, story_id: int) -> Story:
    return get_object_or_404(Story, pk=story_id, seriesentry__series=series)


@writer_view
@require_POST
def series_move(request: HttpRequest, series_id: int, story_id: int) -> HttpResponse:
    series = _series(request, series_id)
    story = _series_book(request, series, story_id)
    direction = request.POST.get("direction")
    if direction not in {"up", "down"}:
        return HttpResponse(_("Move a book up or down."), status=400, content_type="text/plain")
    series_rules.series_move(series, story, by=-1 if direction == "up" else 1)
    return redirect(f"{_series_desk_url(series)}#book-{story.pk}")


@writer_view
@require_POST
def series_remove(request: HttpRequest, series_id: int, story_id: int) -> HttpResponse:
    series = _series(request, series_id)
    story = _series_book(request, series, story_id)
    series_rules.series_remove(series, story)
    messages.success(
        request,
        _("“%(title)s” is out of the series; the book itself is unchanged.")
        % {"title": story.title},
    )
    return redirect(_series_desk_url(series))


@writer_view
def series_delete(request: HttpRequest, series_id: int) -> HttpResponse:
    series = _series(request, series_id)
    if request.method == "POST":
        title = series.title
        series_rules.series_delete(series)
        messages.success(
            request, _("The series “%(title)s” is deleted; its books stay.") % {"title": title}
        )
        return redirect("desk:series_list")
    return render(request, "desk/series_delete.html", {"series": series})
