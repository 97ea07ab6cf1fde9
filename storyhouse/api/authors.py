"""Authors: a writer's public details and the books of theirs you may read."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router

from storyhouse.accounts.models import User
from storyhouse.stories import queries

from . import schemas
from .auth import OPTIONAL_TOKEN
from .books import book_page
from .errors import responses
from .schemas import AuthorDetail
from .tags import Paging

router = Router(tags=["authors"])


@router.get(
    "/{username}",
    response=responses({200: AuthorDetail}),
    url_name="author",
    openapi_extra=OPTIONAL_TOKEN,
)
def author_detail(request: HttpRequest, username: schemas.Text, paging: Query[Paging]):
    """A writer, with a page of their books, newest first."""
    author = get_object_or_404(User, username=username, is_active=True)
    stories = queries.stories_by_author(request.user, author)
    return {
        **schemas.author_ref(request, author),
        "bio": author.bio,
        "books": book_page(request, stories, page=paging.page, page_size=paging.page_size),
    }
