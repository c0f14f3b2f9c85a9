"""Mailboxes, every raw message received (stored before it is acknowledged), outbound delivery
state, and the spam classifier's counts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from heedful.people.models import Team
from heedful.tickets.models import Event


class Mailbox(models.Model):
    class AfterImport(models.TextChoices):
        FLAG = "flag", _("Mark as read")
        MOVE = "move", _("Move to a folder")
        NOTHING = "nothing", _("Leave as is")

    name = models.CharField(_("name"), max_length=100)
    address = models.EmailField(_("address"), unique=True)
    from_name = models.CharField(_("sender name"), max_length=100, blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="mailboxes", verbose_name=_("team"))
    auto_acknowledge = models.BooleanField(_("acknowledge new tickets automatically"), default=True)
    active = models.BooleanField(_("active"), default=True)
    imap_host = models.CharField(_("IMAP host"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_ssl = models.BooleanField(_("IMAP over TLS"), default=True)
    imap_username = models.CharField(_("IMAP user"), max_length=200, blank=True)
    # Encrypted with mail.crypto; never shown back in forms.
    imap_password_encrypted = models.TextField(_("IMAP password (encrypted)"), blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=200, default="INBOX")
    after_import = models.CharField(_("after import"), max_length=10,
                                    choices=AfterImport.choices, default=AfterImport.FLAG)
    move_to_folder = models.CharField(_("move to folder"), max_length=200, blank=True)
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    imap_last_uid = models.BigIntegerField(default=0, editable=False)
    imap_last_error = models.TextField(blank=True, editable=False)
    imap_checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class RawMessage(models.Model):
    """Bytes as received, committed before the sender is told 250 or the IMAP message flagged."""

    class Via(models.TextChoices):
        SMTP = "smtp", _("SMTP/LMTP")
        IMAP = "imap", _("IMAP")
        HTTP = "http", _("HTTP")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be processed")
        PROCESSED = "processed", _("Processed")
        DUPLICATE = "duplicate", _("Duplicate")
        FAILED = "failed", _("Could not be parsed")

    sha256 = models.CharField(max_length=64, unique=True)
    storage_name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    via = models.CharField(max_length=5, choices=Via.choices)
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="raw_messages")
    envelope_from = models.CharField(max_length=320, blank=True)
    envelope_to = models.JSONField(default=list, blank=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    error = models.TextField(blank=True)
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="raw_messages")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("received message")
        verbose_name_plural = _("received messages")
        # Workers claim the oldest pending messages; the processed millions stay out of the way.
        indexes = [models.Index(fields=["id"], condition=models.Q(state="pending"),
                                name="mail_raw_pending")]

    def __str__(self) -> str:
        return f"{self.message_id or self.sha256[:12]} ({self.state})"


class OutboundMessage(models.Model):
    """Delivery state of an e-mail we send for an event (a reply or an acknowledgement)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        RETRYING = "retrying", _("Retrying")
        FAILED = "failed", _("Failed")
        BOUNCED = "bounced", _("Bounced")

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="outbound")
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL)
    message_id = models.CharField(max_length=255, unique=True)
    recipients = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When a sender took it (state "sending"): a sender that died leaves it, and it is queued
    # again once this is older than HEEDFUL_TASK_STALE_SECONDS.
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        indexes = [models.Index(fields=["state", "id"], name="mail_outbound_state")]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.state})"


class SpamToken(models.Model):
    """Counts for the naive Bayes spam classifier, learned from agents' spam / not spam."""

    token = models.CharField(max_length=64, primary_key=True)
    spam = models.PositiveIntegerField(default=0)
    ham = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.token}: {self.spam}/{self.ham}"


class AcknowledgementLog(models.Model):
    """When we last sent an automatic reply to an address, for rate limiting."""

    address = models.CharField(max_length=320, db_index=True)
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.address} {self.sent_at}"
