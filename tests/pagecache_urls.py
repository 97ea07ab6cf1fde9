"""The site's addresses plus one guest page that carries a CSRF token, for the page cache's
tests: no such page exists on the site today, and the cache must never keep one."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from storyhouse import pagecache
from storyhouse.urls import urlpatterns as site_urlpatterns

FORM = engines["django"].from_string(
    '<form method="post">{% csrf_token %}<button>Send</button></form>'
)


def page_with_form(request: HttpRequest) -> HttpResponse:
    pagecache.depends(request, "listing")
    return HttpResponse(FORM.render({}, request))


urlpatterns = [path("form-for-guests/", page_with_form), *site_urlpatterns]
