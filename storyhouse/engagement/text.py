"""Comments are plain text: everything escaped, web links made clickable, nothing else."""

import html
import re

from django.utils.safestring import SafeString, mark_safe

# A web address runs until white space or a character that cannot be in one unescaped.
URL = re.compile(r"https?://[^\s<>\"'`\\{}|^\[\]]+", re.IGNORECASE)
TRAILING = ".,;:!?*_~"
LINK_REL = "nofollow ugc noopener"


def _trim(url: str) -> tuple[str, str]:
    """Split off punctuation that ends the sentence rather than the address, and a closing
    bracket with no opening one in the address: "(see https://a.example/x)." -> ")."."""
    tail = ""
    while url:
        unbalanced = url[-1] == ")" and url.count(")") > url.count("(")
        if url[-1] in TRAILING or unbalanced:
            tail = url[-1] + tail
            url = url[:-1]
        else:
            break
    return url, tail


def _linkify(line: str) -> str:
    out = []
    position = 0
    for match in URL.finditer(line):
        url, tail = _trim(match.group(0))
        if not re.match(r"https?://[^/?#.]", url, re.IGNORECASE):
            continue  # "http://" alone, or "http://." : not an address
        out.append(html.escape(line[position : match.start()]))
        escaped = html.escape(url)
        out.append(f'<a href="{escaped}" rel="{LINK_REL}">{escaped}</a>')
        out.append(html.escape(tail))
        position = match.end()
    out.append(html.escape(line[position:]))
    return "".join(out)


def clean_comment(text: str) -> str:
    """What is stored: line endings made uniform, blank lines at either end and trailing
    spaces gone, and no more than one empty line in a row."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    joined = "\n".join(lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", joined).strip()


def comment_html(text: str) -> SafeString:
    """A comment as HTML: paragraphs at empty lines, line breaks kept, links clickable."""
    paragraphs = [block for block in re.split(r"\n\s*\n", text) if block.strip()]
    rendered = []
    for block in paragraphs:
        lines = [_linkify(line) for line in block.split("\n")]
        rendered.append("<p>" + "<br>".join(lines) + "</p>")
    return mark_safe("".join(rendered))  # noqa: S308 - every piece above is escaped
