"""Tickets and their append-only timeline of events, attachments, tags, custom fields, macros."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from heedful.people.models import Contact, Organization, Team


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PORTAL = "portal", _("Web portal")
    CHAT = "chat", _("Live chat")
    PHONE = "phone", _("Phone")
    SOCIAL = "social", _("Social / messaging")
    API = "api", _("API")
    AGENT = "agent", _("Agent")


class Tag(models.Model):
    name = models.SlugField(_("name"), max_length=64, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return str(self.name)


class CustomFieldDefinition(models.Model):
    """A typed field admins add to tickets; values are validated in tickets/custom_fields.py."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        INTEGER = "integer", _("Whole number")
        DECIMAL = "decimal", _("Decimal number")
        BOOLEAN = "boolean", _("Yes / no")
        DATE = "date", _("Date")
        CHOICE = "choice", _("One of a list")
        MULTI_CHOICE = "multi_choice", _("Several of a list")

    key = models.SlugField(_("key"), max_length=64, unique=True)
    label = models.CharField(_("label"), max_length=200)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices, default=Type.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    customer_visible = models.BooleanField(_("shown to customers"), default=False)
    customer_editable = models.BooleanField(_("asked on the portal form"), default=False)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return str(self.label)


class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        ON_HOLD = "on_hold", _("On hold")
        SOLVED = "solved", _("Solved")
        CLOSED = "closed", _("Closed")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    # Sorting "most urgent first" needs an indexable number; actions keep it in step.
    PRIORITY_RANK = {"low": 1, "normal": 2, "high": 3, "urgent": 4}

    number = models.BigIntegerField(_("number"), unique=True, editable=False)
    subject = models.CharField(_("subject"), max_length=250)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    priority_rank = models.PositiveSmallIntegerField(default=2, editable=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    requester = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="requested_tickets",
        verbose_name=_("requester"),
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets",
        verbose_name=_("organization"),
    )
    participants = models.ManyToManyField(
        Contact, blank=True, related_name="cc_tickets", verbose_name=_("CC participants")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assigned_tickets", verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets",
        verbose_name=_("team"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("tags"))
    language = models.CharField(_("language"), max_length=16, blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"), db_index=True)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0)
    # Suspected spam waits in the spam view instead of the queues; never deleted silently.
    spam = models.BooleanField(_("spam"), default=False, db_index=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="ticket_status_updated"),
            models.Index(fields=["assignee", "status", "-updated_at"], name="ticket_assignee_q"),
            models.Index(fields=["team", "status", "-updated_at"], name="ticket_team_q"),
            models.Index(fields=["requester", "-created_at"], name="ticket_requester"),
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated_id"),
            models.Index(fields=["-priority_rank", "-id"], name="ticket_priority_id"),
            # Covers the sidebar's queue counts, so they never touch the table itself.
            models.Index(fields=["status", "spam", "assignee", "team"], name="ticket_queue_counts"),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a timeline event in place."""


class EventQuerySet(models.QuerySet["Event"]):
    """Events are only ever inserted: the queryset refuses UPDATE and DELETE, so a correction
    has to be a new event (docs/decisions/0011-the-timeline-is-append-only.md)."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("timeline events are append-only: record a new event instead")

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise AppendOnlyError("timeline events are append-only: record a new event instead")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("timeline events are append-only: they are never deleted")


class Event(models.Model):
    """One fact on a ticket's timeline. Rows are only ever added: history never changes.

    `kind` names a registered kind (tickets/kinds.py); the core's kinds are listed in `Kind`,
    other apps register their own."""

    class Kind(models.TextChoices):
        MESSAGE_IN = "message_in", _("Message from customer")
        MESSAGE_OUT = "message_out", _("Reply to customer")
        NOTE = "note", _("Internal note")
        STATUS = "status", _("Status change")
        PRIORITY = "priority", _("Priority change")
        ASSIGNMENT = "assignment", _("Assignment")
        TRANSFER = "transfer", _("Transfer")
        TAGS = "tags", _("Tags change")
        FIELD = "field", _("Field change")
        PARTICIPANTS = "participants", _("Participants change")
        MERGE = "merge", _("Merge")
        SPLIT = "split", _("Split")
        REQUESTER = "requester", _("Requester change")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=40)
    # Authors are kept, never nulled: deactivate an agent or merge a contact instead.
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("agent"),
    )
    author_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="events",
        verbose_name=_("customer"),
    )
    # Where the words were written (the agent UI, the API, e-mail, the portal...).
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # For a public reply: the channel it went out on (tickets/delivery.py); blank otherwise.
    delivery_channel = models.CharField(_("sent by"), max_length=20, blank=True)
    public = models.BooleanField(_("visible to the customer"), default=False)
    # The new words (for mail: the reply without the quoted history) and its safe HTML.
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    # The whole original when it differs from body_text (quoted history, signatures).
    full_text = models.TextField(_("full text"), blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    message_id = models.CharField(_("message id"), max_length=255, blank=True, db_index=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    # Before/after values, reasons and references, by kind (see tickets/timeline.py).
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="event_timeline")]
        constraints = [
            # A customer's message is recorded once, however often the mail is delivered or a
            # job runs (mail intake dedupes on this).
            models.UniqueConstraint(
                fields=["message_id"], name="event_inbound_message_id_unique",
                condition=models.Q(kind="message_in") & ~models.Q(message_id=""),
            ),
        ]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.kind} on #{self.ticket_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnlyError("timeline events are append-only: record a new event instead")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("timeline events are append-only: they are never deleted")

    @property
    def is_message(self) -> bool:
        return self.kind in {self.Kind.MESSAGE_IN, self.Kind.MESSAGE_OUT, self.Kind.NOTE}


def attachment_path(instance: Attachment, filename: str) -> str:
    # Content-addressed: the same bytes are stored once, whatever they were called.
    return f"attachments/{instance.sha256[:2]}/{instance.sha256[2:4]}/{instance.sha256}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("declared content type"), max_length=150, blank=True)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    inline = models.BooleanField(_("inline"), default=False)
    content_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return str(self.filename)


class SavedReply(models.Model):
    """A macro: text with placeholders ({{ customer.name }}, {{ ticket.number }} ...)."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="saved_replies",
        verbose_name=_("team"), help_text=_("Empty: available to everyone."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="saved_replies", verbose_name=_("owner"),
        help_text=_("Set for a personal saved reply."),
    )
    set_status = models.CharField(
        _("then set status"), max_length=10, choices=Ticket.Status.choices, blank=True
    )
    add_tags = models.JSONField(_("then add tags"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")

    def __str__(self) -> str:
        return str(self.title)


class SavedFilter(models.Model):
    """A named queue: filter and sort parameters, personal or shared with everyone."""

    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    params = models.JSONField(_("filters"), default=dict)
    shared = models.BooleanField(_("shared with everyone"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")

    def __str__(self) -> str:
        return str(self.name)
