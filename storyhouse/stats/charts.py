"""Charts drawn on the server as SVG (pygal), put in the page as they are: no JavaScript and
no request elsewhere. Each chart has a title and axis titles, and the page puts a table of
the same numbers beside it, for screen readers and for people who would rather read them."""

import hashlib
import json
import re

import pygal
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="currentColor",
    foreground_strong="currentColor",
    foreground_subtle="#888",
    colors=("#7a3b69", "#2f6f8f", "#b7651f"),
    font_family="system-ui, sans-serif",
)
OPTIONS = {
    "style": STYLE,
    "js": [],  # pygal's tooltips come from a CDN: none here
    "disable_xml_declaration": True,
    "width": 800,
    "height": 320,
    "show_legend": True,
    "legend_at_bottom": True,
    "explicit_size": False,
    "print_values": False,
}


CHART_SECONDS = 60 * 60
# pygal writes its configuration for its tooltips script as an inline script, and comments.
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
COMMENT = re.compile(r"<!--.*?-->", re.S)


def _svg(chart) -> SafeString:
    # pygal escapes the titles and labels it is given; the SVG is ours.
    svg = COMMENT.sub("", SCRIPT.sub("", chart.render(is_unicode=True)))
    return mark_safe(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))  # noqa: S308


def cached(draw):
    """Drawing a chart costs tens of milliseconds and its numbers change only when the
    roll-up runs: keep each SVG in the cache under a digest of everything it shows."""

    def drawn(title: str, x_title: str, y_title: str, labels: list[str], series: dict):
        digest = hashlib.sha256(
            json.dumps(
                [draw.__name__, title, x_title, y_title, labels, series], default=str
            ).encode()
        ).hexdigest()
        key = f"stats:chart:{digest}"
        svg = cache.get(key)
        if svg is None:
            svg = str(draw(title, x_title, y_title, labels, series))
            cache.set(key, svg, CHART_SECONDS)
        return mark_safe(svg)  # noqa: S308 - drawn here, from escaped titles and numbers

    return drawn


@cached
def line(title: str, x_title: str, y_title: str, labels: list[str], series: dict) -> SafeString:
    chart = pygal.Line(
        title=title, x_title=x_title, y_title=y_title, x_label_rotation=30, **OPTIONS
    )
    chart.x_labels = labels
    chart.x_labels_major_every = max(1, len(labels) // 10)
    chart.show_minor_x_labels = len(labels) <= 12
    for name, values in series.items():
        chart.add(name, values)
    return _svg(chart)


@cached
def bars(title: str, x_title: str, y_title: str, labels: list[str], series: dict) -> SafeString:
    chart = pygal.Bar(title=title, x_title=x_title, y_title=y_title, **OPTIONS)
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, values)
    return _svg(chart)
