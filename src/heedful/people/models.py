"""Who we serve and who serves them: organizations, contacts with many identities, agents, teams."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    domains = models.JSONField(
        _("e-mail domains"), default=list, blank=True,
        help_text=_("Contacts whose address is at one of these domains join the organization."),
    )
    notes = models.TextField(_("notes"), blank=True)
    managers_see_tickets = models.BooleanField(
        _("managers see all tickets of the organization"), default=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return str(self.name)


class Contact(models.Model):
    """One customer, however many addresses, numbers and handles they reach us from."""

    class Expertise(models.TextChoices):
        UNKNOWN = "", _("Unknown")
        NOVICE = "novice", _("Novice")
        INTERMEDIATE = "intermediate", _("Intermediate")
        EXPERT = "expert", _("Expert")

    name = models.CharField(_("name"), max_length=200, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="contacts", verbose_name=_("organization"),
    )
    is_organization_manager = models.BooleanField(_("organization manager"), default=False)
    plan = models.CharField(_("plan"), max_length=100, blank=True)
    tier = models.CharField(_("tier"), max_length=50, blank=True)
    lifetime_value = models.DecimalField(
        _("lifetime value"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    expertise = models.CharField(
        _("expertise"), max_length=20, choices=Expertise.choices, blank=True, default=""
    )
    language = models.CharField(_("preferred language"), max_length=16, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    expectations = models.TextField(_("expectations and notes"), blank=True)
    vip = models.BooleanField(_("VIP"), default=False)
    # Optional portal password (Django's hashers); everyone can sign in by one-time link.
    password = models.CharField(_("password"), max_length=128, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return str(self.name or self.primary_email or f"#{self.pk}")

    @property
    def primary_email(self) -> str:
        for identity in self.identities.all():
            if identity.kind == ContactIdentity.Kind.EMAIL:
                return str(identity.value)
        return ""

    @property
    def display_name(self) -> str:
        return str(self)

    @property
    def live(self) -> Contact:
        """Whom to show in this contact's place: itself, or the contact it was merged into
        (merges repoint older ones, so that is the live end). Select `merged_into` with the
        contact where many are shown, e.g. the authors of a timeline."""
        if self.merged_into_id is None:
            return self
        return self.merged_into or self


class ContactIdentity(models.Model):
    """An address, number or handle by which a contact reaches us; unique per kind."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")
        CHAT = "chat", _("Chat visitor")
        SOCIAL = "social", _("Social handle")

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="identities", verbose_name=_("contact")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=320)
    normalized = models.CharField(_("normalised value"), max_length=320, editable=False)
    verified = models.BooleanField(_("verified"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "normalized"], name="identity_unique_per_kind")
        ]
        verbose_name = _("contact identity")
        verbose_name_plural = _("contact identities")

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class ContactMerge(models.Model):
    """Kept when two contacts become one, so that the merge can be explained later."""

    source = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moved = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contact merge")
        verbose_name_plural = _("contact merges")

    def __str__(self) -> str:
        return f"{self.source_id} -> {self.target_id}"


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return str(self.name)


class Skill(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        return str(self.name)


class Agent(models.Model):
    """The help-desk side of a Django user: role, teams, skills, languages and capacity."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Admin")
        SUPERVISOR = "supervisor", _("Supervisor")
        AGENT = "agent", _("Agent")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent"
    )
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    teams = models.ManyToManyField(Team, blank=True, related_name="agents", verbose_name=_("teams"))
    skills = models.ManyToManyField(
        Skill, blank=True, related_name="agents", verbose_name=_("skills")
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), default=20, help_text=_("Open tickets this agent can carry at once.")
    )
    restricted_to_teams = models.BooleanField(
        _("sees only the tickets of their teams"), default=False
    )
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    language = models.CharField(_("interface language"), max_length=16, blank=True)
    signature = models.TextField(_("signature"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["display_name", "id"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return str(self.display_name or self.user.get_username())

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def is_supervisor_or_admin(self) -> bool:
        return self.role in {self.Role.ADMIN, self.Role.SUPERVISOR}


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.agent})"
