"""Public pages about people: the author page."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from storyhouse.stories import queries

from .models import User

PAGE_SIZE = 20


def author_detail(request: HttpRequest, username: str) -> HttpResponse:
    author = get_object_or_404(User, username=username, is_active=True)
    stories = queries.stories_by_author(request.user, author).order_by("-updated_at", "-id")
    page = Paginator(queries.with_card_data(stories), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/author.html", {"author": author, "page": page})
