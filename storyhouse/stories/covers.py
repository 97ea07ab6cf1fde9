"""Book covers: uploads checked and re-encoded with Pillow, or a typographic cover drawn for
books without one.

An uploaded file is never served as it was sent. Pillow must recognise it as JPEG, PNG or
WebP; it is size-limited before and after decoding (against decompression bombs), turned
upright from its EXIF orientation, converted to sRGB, cropped to 2:3 and written again as
JPEG in the sizes pages and e-books use, with no metadata (EXIF, GPS, comments) carried over.
Files live under MEDIA_ROOT/covers/ with random names, so no one finds a cover by guessing.
"""

import hashlib
import io
import logging
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from .models import Story

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# 50 megapixels: a large camera photo. Pillow's own bomb check starts at ~89 megapixels.
MAX_PIXELS = 50_000_000
MIN_SIDE = 200
FORMATS = {"JPEG", "PNG", "WEBP"}

# Name -> (width, height): all 2:3, the shape of a paperback.
SIZES = {
    "ebook": (1600, 2400),  # the cover page of an EPUB
    "page": (600, 900),  # the book page, shown at 300 CSS pixels on high-density screens
    "thumb": (200, 300),  # story cards
}
JPEG_QUALITY = 86

# Fonts from Debian's fonts-dejavu-core (Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew
# and more); Noto CJK when installed, for Chinese, Japanese and Korean titles.
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]
TITLE_FONTS = ["DejaVuSerif-Bold.ttf", "DejaVuSans-Bold.ttf"]
NAME_FONTS = ["DejaVuSans.ttf", "DejaVuSerif.ttf"]
CJK_FONTS = [
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
]

# Background and text colours of generated covers; each pair keeps text contrast above 7:1.
PALETTES = [
    ("#22313f", "#f6efe3"),  # ink blue
    ("#3d2b3d", "#f7ede2"),  # plum
    ("#1f3b2d", "#f1f5ea"),  # forest
    ("#5a1e1b", "#fbeee4"),  # oxblood
    ("#2c2a4a", "#eef0fb"),  # night
    ("#12343b", "#e8f6f3"),  # deep teal
    ("#4a3420", "#fbf1e4"),  # walnut
    ("#f3e9d2", "#2b2118"),  # parchment
    ("#e7eef0", "#1d2b33"),  # mist
    ("#f6e3e0", "#3b1d1a"),  # blush
]


class CoverError(ValueError):
    """An upload that cannot become a cover; the message is shown to the writer."""


@dataclass
class CoverImages:
    """A cover in every size, encoded and ready to store."""

    files: dict[str, bytes]


def _open_checked(data: bytes) -> Image.Image:
    """The upload decoded, after checking its kind and size from its header alone: a small
    file that declares a huge image (a decompression bomb) is refused before decoding."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            width, height = probe.size
            if kind in FORMATS and width * height <= MAX_PIXELS:
                probe.verify()
    except Image.DecompressionBombError as error:
        raise CoverError(_("This image is too large in pixels to use as a cover.")) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise CoverError(
            _("This file is not an image we can read. Please upload a JPEG, PNG or WebP image.")
        ) from error
    if kind not in FORMATS:
        raise CoverError(_("Please upload a JPEG, PNG or WebP image."))
    if width * height > MAX_PIXELS:
        raise CoverError(
            _("This image is too large: at most %(limit)s megapixels, please.")
            % {"limit": MAX_PIXELS // 1_000_000}
        )
    if min(width, height) < MIN_SIDE:
        raise CoverError(
            _("This image is too small for a cover: at least %(min)s pixels on each side.")
            % {"min": MIN_SIDE}
        )
    # verify() leaves the image unusable; open it again to decode it.
    image = Image.open(io.BytesIO(data))
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise CoverError(_("This image is damaged and cannot be read.")) from error
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Upright, in sRGB, on white where it was transparent: what every reader's screen shows."""
    image = ImageOps.exif_transpose(image)
    profile = image.info.get("icc_profile")
    if profile and image.mode in {"RGB", "RGBA", "CMYK"}:
        try:
            image = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGBA" if image.mode == "RGBA" else "RGB",
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            log.info("a cover's colour profile could not be applied; its colours are kept")
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "#ffffff")
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode(image: Image.Image) -> dict[str, bytes]:
    files = {}
    for name, size in SIZES.items():
        sized = ImageOps.fit(image, size, method=Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        # A fresh image with no info dict: no EXIF, no GPS, no ICC profile, no comments.
        clean = Image.new("RGB", sized.size)
        clean.paste(sized)
        clean.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        files[name] = buffer.getvalue()
    return files


def cover_from_upload(upload) -> CoverImages:
    """Check an uploaded file and make every cover size from it; CoverError says what is wrong."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise CoverError(
            _("This file is too large: covers can be up to %(limit)s MB.")
            % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise CoverError(
            _("This file is too large: covers can be up to %(limit)s MB.")
            % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    if not data:
        raise CoverError(_("This file is empty."))
    image = _open_checked(data)
    return CoverImages(files=_encode(_to_srgb(image)))


# Generated covers


def _needs_cjk(text: str) -> bool:
    return any(
        unicodedata.name(ch, "").startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL"))
        for ch in text
    )


def _covers(font, text: str) -> bool:
    """Whether the font has a glyph for every letter of the text (a missing one would show
    as an empty box): each letter is compared with the font's drawing of a non-character."""
    missing = font.getmask("\U0010fffd")
    missing_key = (missing.size, bytes(missing))
    for character in set(text):
        if character.isspace() or unicodedata.category(character).startswith(("M", "C")):
            continue
        mask = font.getmask(character)
        if (mask.size, bytes(mask)) == missing_key:
            return False
    return True


def _font_loader(kind: str, text: str):
    """A function giving, for a size, an installed font with every letter of the text:
    DejaVu first, Noto CJK for Chinese, Japanese and Korean. None when no font has them all."""
    candidates: list[Path] = []
    if _needs_cjk(text):
        candidates += [path for path in CJK_FONTS if path.exists()]
    names = TITLE_FONTS + NAME_FONTS if kind == "title" else NAME_FONTS + TITLE_FONTS
    for folder in FONT_DIRS:
        candidates += [folder / name for name in names if (folder / name).exists()]
    for path in candidates:
        try:
            font = ImageFont.truetype(str(path), 48)
        except OSError:
            continue
        if _covers(font, text):
            return lambda size, path=path: ImageFont.truetype(str(path), size)
    if not candidates and _covers(ImageFont.load_default(48), text):
        # No font package at all: Pillow's own font still draws Latin text.
        return ImageFont.load_default
    return None


def _wrap(text: str, font, width: int, draw: ImageDraw.ImageDraw) -> list[str]:
    """Lines of `text` no wider than `width`: at spaces, or between characters where a
    word (or a script without spaces) is wider than the line."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(candidate, font=font) <= width:
            lines[-1] = candidate
            continue
        if draw.textlength(word, font=font) <= width:
            lines.append(word)
            continue
        piece = ""
        for character in word:
            if piece and draw.textlength(piece + character, font=font) > width:
                lines.append(piece)
                piece = ""
            piece += character
        lines.append(piece)
    return lines


def _fit(draw, text: str, kind: str, width: int, max_lines: int, sizes: range):
    """The largest font size at which `text` wraps into at most `max_lines` lines; None when
    no installed font can draw it."""
    load = _font_loader(kind, text)
    if load is None:
        return None
    for size in sizes:
        font = load(size)
        lines = _wrap(text, font, width, draw)
        if len(lines) <= max_lines:
            return font, lines, size
    # Too long even at the smallest size: the lines that fit, the last one ending in "…".
    font = load(sizes[-1])
    lines = _wrap(text, font, width, draw)[:max_lines]
    last = lines[-1]
    while last and draw.textlength(last + "…", font=font) > width:
        last = last[:-1]
    lines[-1] = last.rstrip() + "…"
    return font, lines, sizes[-1]


def cover_signature(title: str, author_names: list[str]) -> str:
    """What a generated cover shows, as a digest: it is redrawn when this changes."""
    return hashlib.sha256("\n".join([title, *author_names]).encode()).hexdigest()


def palette_for(title: str) -> tuple[str, str]:
    digest = hashlib.sha256(" ".join(title.lower().split()).encode()).digest()
    return PALETTES[digest[0] % len(PALETTES)]


def draw_cover(title: str, author_names: list[str]) -> Image.Image:
    """A typographic cover at e-book size: the title large, the authors below, on a colour
    chosen from the title, so the same book always looks the same."""
    width, height = SIZES["ebook"]
    background, ink = palette_for(title)
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    margin = 150
    # A thin frame, as on a cloth-bound book.
    draw.rectangle(
        [margin // 2, margin // 2, width - margin // 2, height - margin // 2], outline=ink, width=6
    )
    text_width = width - 2 * margin - 40
    fitted = _fit(draw, title, "title", text_width, 6, range(190, 59, -10))
    if fitted:
        font, lines, size = fitted
        line_height = int(size * 1.22)
        top = int(height * 0.26) - (len(lines) * line_height) // 4
        for number, line in enumerate(lines):
            xy = (width / 2, top + number * line_height)
            draw.text(xy, line, font=font, fill=ink, anchor="ma")
        rule_y = top + len(lines) * line_height + 70
    else:
        # No installed font writes this title: an ornament rather than a row of empty boxes
        # (pages and e-books show the title in text beside the cover).
        rule_y = int(height * 0.4)
        draw.ellipse(
            [width / 2 - 40, rule_y - 130, width / 2 + 40, rule_y - 50], outline=ink, width=6
        )
    draw.line([(width / 2 - 140, rule_y), (width / 2 + 140, rule_y)], fill=ink, width=5)

    names = author_names[0] if author_names else ""
    if len(author_names) > 1:
        names = _("%(first)s and %(last)s") % {
            "first": ", ".join(author_names[:-1]),
            "last": author_names[-1],
        }
    fitted = _fit(draw, names, "name", text_width, 3, range(90, 39, -6)) if names else None
    if fitted:
        name_font, name_lines, name_size = fitted
        name_height = int(name_size * 1.3)
        bottom = height - margin - 60 - len(name_lines) * name_height
        for number, line in enumerate(name_lines):
            draw.text(
                (width / 2, bottom + number * name_height),
                line,
                font=name_font,
                fill=ink,
                anchor="ma",
            )
    return image


def cover_generated(title: str, author_names: list[str]) -> CoverImages:
    return CoverImages(files=_encode(draw_cover(title, author_names)))


# Storage


def cover_store(images: CoverImages) -> str:
    """Write every size under a new random name; returns the name (Story.cover)."""
    key = secrets.token_urlsafe(18)
    for size, data in images.files.items():
        default_storage.save(f"covers/{key}-{size}.jpg", ContentFile(data))
    return key


def cover_files_delete(key: str) -> None:
    if not key:
        return
    for size in SIZES:
        name = f"covers/{key}-{size}.jpg"
        try:
            default_storage.delete(name)
        except OSError:
            log.warning("could not delete the old cover file %s", name)


def cover_exists(story: Story) -> bool:
    return bool(story.cover) and default_storage.exists(f"covers/{story.cover}-thumb.jpg")


def cover_path(story: Story, size: str = "ebook") -> Path | None:
    """The file of one size of a book's cover (e-books embed the "ebook" size), if it has one."""
    if not story.cover:
        return None
    return Path(default_storage.path(f"covers/{story.cover}-{size}.jpg"))
