"""Forms of the agent UI's customer pages: contact profile, identities, organizations, and the
form an agent opens a ticket with. They parse and type what was posted; the rules live in the
actions (people.actions, tickets.actions), whose refusals `apply_error` puts on the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heedful.core.errors import HeedfulError
from heedful.people.models import Contact, ContactIdentity, Organization
from heedful.tickets.models import Channel, Ticket


def apply_error(form: forms.Form, error: HeedfulError, *, aliases: dict[str, str] | None = None) -> None:
    """A domain refusal on the form: each field's messages beside it (the page shows the
    summary, error.message, above the form)."""
    for name, messages in error.fields.items():
        field = (aliases or {}).get(name, name)
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class ContactForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    organization = forms.CharField(
        label=gettext_lazy("Organization"), max_length=200, required=False,
        help_text=gettext_lazy("The organization's exact name; empty for none."))
    is_organization_manager = forms.BooleanField(
        label=gettext_lazy("Organization manager (sees the organization's tickets)"), required=False)
    plan = forms.CharField(label=gettext_lazy("Plan"), max_length=100, required=False)
    tier = forms.CharField(label=gettext_lazy("Tier"), max_length=50, required=False)
    lifetime_value = forms.DecimalField(label=gettext_lazy("Lifetime value"), max_digits=14,
                                        decimal_places=2, required=False)
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, min_length=3)
    expertise = forms.ChoiceField(label=gettext_lazy("Expertise"), choices=Contact.Expertise.choices,
                                  required=False)
    language = forms.CharField(label=gettext_lazy("Preferred language"), max_length=16, required=False,
                               help_text=gettext_lazy("A language code such as en, zh-hans or lo."))
    timezone = forms.CharField(label=gettext_lazy("Time zone"), max_length=64, required=False,
                               help_text=gettext_lazy("Such as Europe/Paris or Asia/Vientiane."))
    expectations = forms.CharField(label=gettext_lazy("Expectations and notes"), max_length=10_000,
                                   required=False, widget=forms.Textarea(attrs={"rows": 3}))
    vip = forms.BooleanField(label=gettext_lazy("VIP"), required=False)

    def __init__(self, data: Any = None, *, contact: Contact, may_name_managers: bool) -> None:
        initial = {name: getattr(contact, name) for name in self.base_fields if name != "organization"}
        initial["organization"] = contact.organization.name if contact.organization else ""
        super().__init__(data, initial=initial)
        self.contact = contact
        if not may_name_managers:
            self.fields["is_organization_manager"].disabled = True

    def clean_organization(self) -> Organization | None:
        name = " ".join(self.cleaned_data["organization"].split())
        if not name:
            return None
        organization = Organization.objects.filter(name__iexact=name).first()
        if organization is None:
            raise forms.ValidationError(_("No organization is called %(name)s.") % {"name": name})
        return organization

    def changes(self) -> dict[str, Any]:
        """The fields whose value differs from the contact's: only what the agent changed."""
        values = dict(self.cleaned_data)
        if values.get("lifetime_value") is None:
            values["lifetime_value"] = self.contact.lifetime_value
        return {name: value for name, value in values.items()
                if not self.fields[name].disabled and getattr(self.contact, name) != value}


class IdentityForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ContactIdentity.Kind.choices)
    value = forms.CharField(label=gettext_lazy("Address, number or handle"), max_length=320)


class OrganizationForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    domains = forms.CharField(
        label=gettext_lazy("E-mail domains"), required=False, max_length=5000,
        help_text=gettext_lazy("Separate domains with spaces or commas. New contacts at these "
                               "domains join the organization."))
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, max_length=10_000,
                            widget=forms.Textarea(attrs={"rows": 3}))
    managers_see_tickets = forms.BooleanField(
        label=gettext_lazy("Managers see all tickets of the organization"), required=False)

    def __init__(self, data: Any = None, *, organization: Organization) -> None:
        initial = {"name": organization.name, "domains": " ".join(organization.domains or []),
                   "notes": organization.notes,
                   "managers_see_tickets": organization.managers_see_tickets}
        super().__init__(data, initial=initial)
        self.organization = organization

    def clean_domains(self) -> list[str]:
        return [d for d in self.cleaned_data["domains"].replace(",", " ").split() if d]

    def changes(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items()
                if getattr(self.organization, name) != value}


# The API opens tickets through its own endpoint; everything else is what an agent records.
AGENT_CHANNELS = [(value, label) for value, label in Channel.choices if value != Channel.API]
CUSTOMER_MESSAGE, INTERNAL_NOTE = "customer", "note"


class NewTicketForm(forms.Form):
    contact = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    contact_name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    identity_kind = forms.ChoiceField(label=gettext_lazy("Reached us by"),
                                      choices=ContactIdentity.Kind.choices, required=False)
    identity_value = forms.CharField(label=gettext_lazy("Address, number or handle"),
                                     max_length=320, required=False)
    channel = forms.ChoiceField(label=gettext_lazy("Came in by"), choices=AGENT_CHANNELS,
                                initial=Channel.PHONE)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=250)
    mode = forms.ChoiceField(
        label=gettext_lazy("First message"), initial=CUSTOMER_MESSAGE, widget=forms.RadioSelect,
        choices=[(CUSTOMER_MESSAGE, gettext_lazy("The customer's words, written down for them")),
                 (INTERNAL_NOTE, gettext_lazy("An internal note"))])
    body = forms.CharField(label=gettext_lazy("Message"), max_length=100_000,
                           widget=forms.Textarea(attrs={"rows": 8}))
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), choices=Ticket.Priority.choices,
                                 initial=Ticket.Priority.NORMAL)
    team = forms.CharField(label=gettext_lazy("Team"), required=False)
    assignee = forms.CharField(label=gettext_lazy("Assignee"), required=False)
    tags = forms.CharField(label=gettext_lazy("Tags"), max_length=1000, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("contact") is None and not (data.get("identity_value") or "").strip():
            # Either a chosen contact or a new one with one way to reach them.
            self.add_error("identity_value", _("Choose a customer above, or give the new "
                                               "customer's e-mail address, number or handle."))
        return data

    def field_aliases(self) -> dict[str, str]:
        """Action field names as this form calls them."""
        return {"value": "identity_value", "kind": "identity_kind", "name": "contact_name",
                "identities": "identity_value"}

