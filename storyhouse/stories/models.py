"""Books, their parts, and the typed tags that describe them.

Models hold data and constraints only; every write goes through
`storyhouse.stories.services`, which cleans HTML, keeps counts and slugs right
and records each change in the change log that search and caches follow.
"""

import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@functools.lru_cache(maxsize=20_000)
def tag_path(slug: str) -> str:
    # Lists show the same few tags on every card (a search page links some 200 of them):
    # finding each address once per process saves a good share of the page's time.
    return reverse("tag", kwargs={"slug": slug})


class TagType(models.TextChoices):
    FANDOM = "fandom", _("Fandom")
    CHARACTER = "character", _("Character")
    RELATIONSHIP = "relationship", _("Relationship")
    TROPE = "trope", _("Trope")
    WARNING = "warning", _("Warning")
    RATING = "rating", _("Rating")
    CATEGORY = "category", _("Category")
    LANGUAGE = "language", _("Language")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=150)
    slug = models.CharField(
        _("slug"),
        max_length=160,
        unique=True,
        editable=False,
        help_text=_("Made from the name when the tag is created; never changes or gets reused."),
    )
    type = models.CharField(_("type"), max_length=20, choices=TagType.choices, db_index=True)
    canonical = models.BooleanField(
        _("canonical"), default=False, help_text=_("Canonical tags are the ones filters offer.")
    )
    synonym_of = models.ForeignKey(
        "self",
        verbose_name=_("synonym of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="synonyms",
        limit_choices_to={"canonical": True},
        help_text=_("A synonym filters as its canonical tag."),
    )
    parents = models.ManyToManyField(
        "self",
        verbose_name=_("parents"),
        symmetrical=False,
        blank=True,
        related_name="children",
        help_text=_("A character's fandom, or a meta tag this tag belongs under."),
    )
    archive_defined = models.BooleanField(
        _("defined by the archive"),
        default=False,
        editable=False,
        help_text=_("Ratings, archive warnings and categories: they cannot be renamed or removed."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="tag_name_unique_ignoring_case",
                violation_error_message=_("A tag with this name already exists."),
            ),
            models.CheckConstraint(
                condition=~models.Q(canonical=True, synonym_of__isnull=False),
                name="tag_synonym_is_not_canonical",
                violation_error_message=_("A synonym cannot be canonical itself."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return tag_path(self.slug)

    def clean(self) -> None:
        self.name = " ".join(self.name.split())
        if not self.name:
            raise ValidationError({"name": _("A tag needs a name.")})
        target = self.synonym_of
        if target is not None:
            if self.pk and target.pk == self.pk:
                raise ValidationError({"synonym_of": _("A tag cannot be a synonym of itself.")})
            if not target.canonical:
                raise ValidationError({"synonym_of": _("Only a canonical tag can have synonyms.")})
            if target.type != self.type:
                raise ValidationError(
                    {"synonym_of": _("A synonym must be of the same type as its canonical tag.")}
                )
            if self.canonical:
                raise ValidationError({"canonical": _("A synonym cannot be canonical itself.")})
        # Its synonyms filter as this tag, so it must go on being what they point at.
        if (
            self.pk is not None
            and self.synonyms.exists()
            and (not self.canonical or self.synonyms.exclude(type=self.type).exists())
        ):
            raise ValidationError(
                _("This tag has synonyms: it stays canonical and keeps its type.")
            )

    @property
    def filter_tag(self) -> "Tag":
        """The tag this one filters as: its canonical tag when it is a synonym."""
        return self.synonym_of or self


class TagSlug(models.Model):
    """Every slug ever given to a tag, kept so that no slug is ever reused."""

    slug = models.CharField(max_length=160, unique=True)
    tag = models.ForeignKey(Tag, null=True, on_delete=models.SET_NULL, related_name="slugs")

    def __str__(self) -> str:
        return self.slug


class Visibility(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLIC = "public", _("Public")
    MEMBERS = "members", _("Members only")
    HIDDEN = "hidden", _("Hidden by a moderator")
    # Moderators asked for a warning or rating: readable as before (held_visibility) but in
    # no list, until the writer changes the book's rating or warnings.
    HELD = "held", _("Out of lists until a warning or rating is added")


class CommentMode(models.TextChoices):
    """Who may comment on a book's parts. Closing comments keeps the ones already there."""

    OPEN = "open", _("Guests too (signing with a name), and signed-in readers")
    MEMBERS = "members", _("Signed-in readers only")
    HELD = "held", _("Signed-in readers, each comment held until I approve it")
    CLOSED = "closed", _("Nobody: comments are closed (the ones there stay)")


class Status(models.TextChoices):
    ONGOING = "ongoing", _("Ongoing")
    COMPLETE = "complete", _("Complete")


class Counts(models.Model):
    """Counts earned here, kept apart from counts imported from another site."""

    reads_count = models.PositiveIntegerField(_("reads"), default=0, editable=False)
    votes_count = models.PositiveIntegerField(_("votes"), default=0, editable=False)
    comments_count = models.PositiveIntegerField(_("comments"), default=0, editable=False)
    imported_reads = models.PositiveIntegerField(_("imported reads"), default=0)
    imported_votes = models.PositiveIntegerField(_("imported votes"), default=0)
    imported_comments = models.PositiveIntegerField(_("imported comments"), default=0)
    word_count = models.PositiveIntegerField(_("words"), default=0, editable=False)

    class Meta:
        abstract = True

    @property
    def total_reads(self) -> int:
        return self.reads_count + self.imported_reads

    @property
    def total_votes(self) -> int:
        return self.votes_count + self.imported_votes

    @property
    def total_comments(self) -> int:
        return self.comments_count + self.imported_comments


class Story(Counts):
    """A book: one or more parts under one title."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.CharField(_("slug"), max_length=200, editable=False)
    description = models.TextField(_("description"), blank=True)
    description_source = models.TextField(
        _("description as written"),
        blank=True,
        help_text=_("The Markdown the writer typed, shown again when they edit the book."),
    )
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Authorship",
        through_fields=("story", "user"),
        related_name="stories",
    )
    language = models.CharField(
        _("language"),
        max_length=35,
        default="en",
        help_text=_("A language code such as en or pt-BR."),
    )
    rating = models.ForeignKey(
        Tag,
        verbose_name=_("rating"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rated_stories",
        limit_choices_to={"type": TagType.RATING, "canonical": True},
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ONGOING
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.DRAFT
    )
    hidden_reason = models.TextField(_("why it is hidden"), blank=True)
    comment_mode = models.CharField(
        _("who may comment"),
        max_length=10,
        choices=CommentMode.choices,
        default=CommentMode.MEMBERS,
    )
    held_visibility = models.CharField(
        _("visibility once a warning is added"), max_length=10, blank=True
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="stories")
    cover = models.CharField(
        _("cover"),
        max_length=40,
        blank=True,
        editable=False,
        help_text=_("The random name of the cover's image files under MEDIA_ROOT/covers/."),
    )
    cover_uploaded = models.BooleanField(_("cover uploaded by a writer"), default=False)
    cover_made_for = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("For a generated cover: a digest of the title and authors it shows."),
    )
    parts_count = models.PositiveIntegerField(_("published parts"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(
        _("updated"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When its latest part was published."),
    )

    class Meta:
        verbose_name = _("story")
        verbose_name_plural = _("stories")
        indexes = [
            models.Index(fields=["visibility", "-published_at"], name="story_listed_new"),
            models.Index(fields=["visibility", "-updated_at"], name="story_listed_updated"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("story", kwargs={"story_id": self.pk, "slug": self.slug})

    @property
    def byline_authors(self) -> list:
        """The accepted authors in byline order; invitees who have not accepted are left out.

        Lists fetch them for every card at once (`queries.with_card_data`)."""
        prefetched = getattr(self, "accepted_authorships", None)
        if prefetched is None:
            prefetched = self.authorship_set.filter(accepted=True).select_related("user")
        return [authorship.user for authorship in prefetched]

    def cover_url(self, size: str) -> str:
        """The address of one size of the cover ("page", "thumb" or "ebook"), or ""."""
        if not self.cover:
            return ""
        return f"{settings.MEDIA_URL}covers/{self.cover}-{size}.jpg"

    @property
    def cover_page_url(self) -> str:
        return self.cover_url("page")

    @property
    def cover_thumb_url(self) -> str:
        return self.cover_url("thumb")


class Authorship(models.Model):
    """A writer of a book. An invited co-author is one only once they accept."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(default=0)
    accepted = models.BooleanField(
        _("accepted"),
        default=True,
        help_text=_("An invitation not yet accepted: no byline, no desk, no drafts."),
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["story", "user"], name="authorship_once_per_story")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.story}"


class PartState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")


class BodyFormat(models.TextChoices):
    MARKDOWN = "markdown", _("Markdown")
    HTML = "html", _("Rich text (HTML)")


class Part(Counts):
    """A chapter of a book, or one stand-alone story in a book of one-shots."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="parts")
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    slug = models.CharField(_("slug"), max_length=200, editable=False)
    description = models.TextField(_("description"), blank=True)
    notes_before = models.TextField(_("author's note before"), blank=True)
    notes_after = models.TextField(_("author's note after"), blank=True)
    body = models.TextField(
        _("body"), blank=True, help_text=_("HTML; each paragraph carries a stable id.")
    )
    # Hidden by a moderator: taken back to a draft, which its writers may not publish again
    # (a moderator may open it too); the reason is shown to them.
    hidden_at = models.DateTimeField(_("hidden by the moderators"), null=True, blank=True)
    hidden_reason = models.TextField(_("why it is hidden"), blank=True)
    tags = models.ManyToManyField(
        Tag,
        verbose_name=_("tags"),
        blank=True,
        related_name="parts",
        help_text=_("The part's own tropes and warnings, as books of one-shots need."),
    )
    body_format = models.CharField(
        _("body written in"), max_length=10, choices=BodyFormat.choices, default=BodyFormat.HTML
    )
    sources = models.JSONField(
        _("as written"),
        default=dict,
        blank=True,
        help_text=_(
            "What the writer typed in Markdown, by field (description, notes_before, "
            "notes_after, body), shown again when they edit; readers get the HTML fields."
        ),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=PartState.choices, default=PartState.DRAFT
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    publish_at = models.DateTimeField(
        _("publish at"), null=True, blank=True, help_text=_("When a scheduled part comes out.")
    )
    awaiting_announcement = models.BooleanField(
        default=False,
        editable=False,
        help_text=_(
            "Published for the first time, and readers not yet told (part_published): they "
            "are told once the book is shared with them."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["story", "state", "position"], name="part_in_story"),
            models.Index(fields=["state", "publish_at"], name="part_scheduled"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "part",
            kwargs={
                "story_id": self.story_id,
                "story_slug": self.story.slug,
                "part_id": self.pk,
                "slug": self.slug,
            },
        )

    @property
    def is_published(self) -> bool:
        return self.state == PartState.PUBLISHED

    @property
    def is_scheduled(self) -> bool:
        return self.state == PartState.SCHEDULED


class PartRevision(models.Model):
    """The text of a part as it was after one save; the history writers restore from.

    Autosaves of a few minutes' typing share one revision, so history stays readable. An
    autosave of a published part is kept here only, not shown to readers, until it is saved.
    """

    class Kind(models.TextChoices):
        SAVE = "save", _("Saved")
        AUTOSAVE = "autosave", _("Autosaved")
        RESTORE = "restore", _("Restored")

    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="revisions")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SAVE)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    notes_before = models.TextField(blank=True)
    notes_after = models.TextField(blank=True)
    body = models.TextField(blank=True)
    body_format = models.CharField(
        max_length=10, choices=BodyFormat.choices, default=BodyFormat.HTML
    )
    sources = models.JSONField(default=dict, blank=True)
    word_count = models.PositiveIntegerField(default=0)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.part} at {self.created_at:%Y-%m-%d %H:%M}"


class Series(models.Model):
    """An ordered list of books."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.CharField(_("slug"), max_length=200, editable=False)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="series"
    )
    stories = models.ManyToManyField(Story, through="SeriesEntry", related_name="series")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("series")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("series", kwargs={"series_id": self.pk, "slug": self.slug})


class SeriesEntry(models.Model):
    series = models.ForeignKey(Series, on_delete=models.CASCADE)
    story = models.ForeignKey(Story, on_delete=models.CASCADE)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "story"], name="series_entry_once")
        ]

    def __str__(self) -> str:
        return f"{self.story} in {self.series}"


class Change(models.Model):
    """The change log: one row per write that search indexes and page caches must follow.

    Its id only grows, so every process can ask "what changed after the id I last saw".
    """

    class Kind(models.TextChoices):
        STORY = "story"
        PART = "part"
        TAG = "tag"
        # Votes and comments on a part: object_id is the part (page caches only).
        ENGAGEMENT = "engagement"
        # What a person's own pages show changed (name, sign-in, votes, library, unread
        # notifications, progress): object_id is the person (page caches only).
        ACCOUNT = "account"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.BigIntegerField()
    story_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
