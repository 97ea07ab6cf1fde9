"""Statistics pages at the desk: a writer's (/desk/stats/) and a book's
(/desk/stories/<id>/stats/), each with its charts, the tables beside them, and every table
as CSV (`?csv=<table>`)."""

import csv

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from storyhouse.stories import access
from storyhouse.stories.desk_views import writer_view
from storyhouse.stories.models import Story

from . import charts, figures


def _range(request: HttpRequest) -> str:
    chosen = request.GET.get("range", "30d")
    return chosen if chosen in figures.RANGES else "30d"


def _csv(name: str, header: list[str], rows: list[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        # A cell starting with = + - @ is a formula to a spreadsheet: keep it text.
        writer.writerow(
            [f"'{cell}" if isinstance(cell, str) and cell[:1] in "=+-@" else cell for cell in row]
        )
    return response


def _series_rows(series: figures.Series) -> list[list]:
    names = list(series.values)
    return [
        [label, *(series.values[name][index] for name in names)]
        for index, label in enumerate(series.labels)
    ]


@writer_view
@require_GET
def book_stats(request: HttpRequest, story_id: int) -> HttpResponse:
    story = get_object_or_404(Story, pk=story_id)
    if not access.can_view_stats(request.user, story):
        raise Http404  # as for any book one may not see: no hint that it exists
    kind = _range(request)
    found = figures.book_figures(story, kind)
    over_time_names = {"reads": _("Reads"), "votes": _("Votes")}
    tables = {
        "over-time": (
            [_("When"), *over_time_names.values()],
            _series_rows(found.over_time),
        ),
        "parts": (
            [
                _("Part"),
                _("Title"),
                _("Reads"),
                _("Votes"),
                _("Comments"),
                _("About one paragraph"),
                _("Opened, of readers from part 1"),
                _("Finished, of readers from part 1"),
            ],
            [
                [
                    row.number,
                    row.part.title,
                    row.reads,
                    row.votes,
                    row.comments,
                    row.inline,
                    row.opened,
                    row.finished,
                ]
                for row in found.parts
            ],
        ),  # fmt: skip
        "paragraphs": (
            [_("Part"), _("Paragraph"), _("Comments")],
            [[p["part"].title, p["quote"], p["comments"]] for p in found.paragraphs],
        ),
        "sources": (
            [_("Came from"), _("Reads")],
            [[label, reads] for _code, label, reads in found.sources],
        ),
    }
    table = request.GET.get("csv")
    if table is not None:
        if table not in tables:
            raise Http404
        header, rows = tables[table]
        return _csv(f"{slugify(story.title) or 'book'}-{table}-{kind}", header, rows)
    numbers = [str(row.number) for row in found.parts]
    context = {
        "story": story,
        "figures": found,
        "range": kind,
        "ranges": figures.RANGES,
        "over_time_rows": _series_rows(found.over_time),
        "over_time_headings": tables["over-time"][0],
        "binge_percent": None if found.binge_share is None else round(100 * found.binge_share),
        "over_time_chart": charts.line(
            _("Reads and votes: %(range)s") % {"range": figures.RANGES[kind]},
            _("When"),
            _("How many"),
            found.over_time.labels,
            {over_time_names[name]: values for name, values in found.over_time.values.items()},
        ),
        "retention_chart": charts.bars(
            _("Where readers stop: of the readers who opened part 1"),
            _("Part"),
            _("Readers"),
            numbers,
            {
                _("Opened the part"): [row.opened for row in found.parts],
                _("Finished the part"): [row.finished for row in found.parts],
            },
        ),
        "sources_chart": charts.bars(
            _("Where readers came from: %(range)s") % {"range": figures.RANGES[kind]},
            _("Came from"),
            _("Reads"),
            [label for _code, label, _reads in found.sources],
            {_("Reads"): [reads for _code, _label, reads in found.sources]},
        )
        if found.sources
        else None,
        "comments_chart": charts.bars(
            _("Comments on each part"),
            _("Part"),
            _("Comments"),
            numbers,
            {
                _("Comments"): [row.comments for row in found.parts],
                _("About one paragraph"): [row.inline for row in found.parts],
            },
        ),
    }
    return render(request, "stats/book.html", context)


@writer_view
@require_GET
def writer_stats(request: HttpRequest) -> HttpResponse:
    kind = _range(request)
    found = figures.writer_figures(request.user, kind)
    tables = {
        "books": (
            [_("Book"), _("Reads"), _("Votes"), _("Comments")],
            [[story.title, f["reads"], f["votes"], f["comments"]] for story, f in found.books],
        ),
        "over-time": ([_("When"), _("Reads"), _("Votes")], _series_rows(found.over_time)),
        "followers": ([_("When"), _("New followers")], _series_rows(found.followers)),
    }
    table = request.GET.get("csv")
    if table is not None:
        if table not in tables:
            raise Http404
        header, rows = tables[table]
        return _csv(f"{request.user.username}-{table}-{kind}", header, rows)
    context = {
        "figures": found,
        "range": kind,
        "ranges": figures.RANGES,
        "over_time_rows": _series_rows(found.over_time),
        "over_time_headings": tables["over-time"][0],
        "followers_rows": _series_rows(found.followers),
        "followers_headings": tables["followers"][0],
        "over_time_chart": charts.line(
            _("Reads and votes of all your books: %(range)s") % {"range": figures.RANGES[kind]},
            _("When"),
            _("How many"),
            found.over_time.labels,
            {
                _("Reads"): found.over_time.values["reads"],
                _("Votes"): found.over_time.values["votes"],
            },
        ),
        "followers_chart": charts.line(
            _("New followers: %(range)s") % {"range": figures.RANGES[kind]},
            _("When"),
            _("Followers"),
            found.followers.labels,
            {_("New followers"): found.followers.values["follows"]},
        ),
    }
    return render(request, "stats/writer.html", context)
