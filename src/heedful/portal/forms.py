"""Portal forms. They check shape only; domain rules (custom fields, sizes, closed tickets) are
checked by the actions, whose errors are put back on the form by `apply_error`."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from heedful.core.errors import ErrorCode, HeedfulError
from heedful.tickets.attachments import Upload
from heedful.tickets.models import CustomFieldDefinition

MAX_FILES = 10
CF_PREFIX = "cf_"
Type = CustomFieldDefinition.Type


class PortalForm(forms.Form):
    """Labels without a trailing colon; otherwise a plain form."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files at once, turned into Uploads (the size limit is checked here)."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Upload]:
        files = [f for f in (data or []) if f] if isinstance(data, list) else ([data] if data else [])
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("Attach at most %(count)d files.") % {"count": MAX_FILES}, code="too_many")
        uploads = []
        for handle in files:
            try:
                uploads.append(Upload.from_file(handle, name=handle.name,
                                                content_type=handle.content_type or ""))
            except HeedfulError as error:
                raise forms.ValidationError([
                    forms.ValidationError(message, code="too_large")
                    for message in [error.message, *error.fields.get("attachments", [])]
                ]) from None
        return uploads


def apply_error(form: forms.Form, error: HeedfulError) -> None:
    """Put a domain error on the form: per-field messages on their fields, the summary on top."""
    form.add_error(None, error.message)
    for name, messages in error.fields.items():
        field = CF_PREFIX + name.split(".", 1)[1] if name.startswith("custom_fields.") else name
        field = {"body": "message"}.get(field, field)
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def error_status(form: forms.Form, error: HeedfulError | None = None) -> int:
    """400 for a form error; 413 for a file too large; 429 when throttled."""
    if error is not None and error.code == ErrorCode.THROTTLED:
        return 429
    if form.has_error("attachments", code="too_large") or (
        error is not None and error.code == ErrorCode.TOO_LARGE
    ):
        return 413
    return 400


class EmailSignInForm(PortalForm):
    email = forms.EmailField(label=_("E-mail address"), max_length=320,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class PasswordSignInForm(PortalForm):
    email = forms.EmailField(label=_("E-mail address"), max_length=320,
                             widget=forms.EmailInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(label=_("Password"), strip=False, max_length=200,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    next = forms.CharField(required=False, widget=forms.HiddenInput)


def _custom_field(definition: CustomFieldDefinition) -> forms.Field:
    """A typed input for one customer-editable field; values are validated by the domain."""
    label = str(definition.label)
    attrs: dict[str, str] = {"required": "required"} if definition.required else {}
    options = [(str(c), str(c)) for c in definition.choices]
    kind = definition.type
    if kind == Type.INTEGER:
        return forms.CharField(label=label, required=False,
                               widget=forms.NumberInput(attrs={**attrs, "step": "1"}))
    if kind == Type.DECIMAL:
        return forms.CharField(label=label, required=False,
                               widget=forms.NumberInput(attrs={**attrs, "step": "any"}))
    if kind == Type.DATE:
        return forms.CharField(label=label, required=False,
                               widget=forms.DateInput(attrs={**attrs, "type": "date"}))
    if kind == Type.BOOLEAN:
        yes_no = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]
        return forms.CharField(label=label, required=False, widget=forms.Select(attrs=attrs, choices=yes_no))
    if kind == Type.CHOICE:
        return forms.CharField(label=label, required=False,
                               widget=forms.Select(attrs=attrs, choices=[("", "—"), *options]))
    if kind == Type.MULTI_CHOICE:
        return forms.MultipleChoiceField(label=label, required=False, choices=options,
                                         widget=forms.CheckboxSelectMultiple)
    return forms.CharField(label=label, required=False, max_length=10_000,
                           widget=forms.TextInput(attrs=attrs))


class NewRequestForm(PortalForm):
    name = forms.CharField(label=_("Your name"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label=_("Your e-mail address"), max_length=320, required=False,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    subject = forms.CharField(label=_("Subject"), max_length=250)
    message = forms.CharField(label=_("How can we help?"), max_length=100_000,
                              widget=forms.Textarea(attrs={"rows": 8}))
    attachments = AttachmentsField(label=_("Attachments"), required=False,
                                   help_text=_("You can attach several files."))

    def __init__(self, *args: Any, anonymous: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.anonymous = anonymous
        if anonymous:
            self.fields["email"].required = True
            self.fields["email"].help_text = _("We send the answer and a link to follow it here.")
        else:
            del self.fields["name"], self.fields["email"]
        self.definitions = list(
            CustomFieldDefinition.objects.filter(active=True, customer_editable=True)
        )
        for definition in self.definitions:
            self.fields[CF_PREFIX + definition.key] = _custom_field(definition)

    def custom_field_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for definition in self.definitions:
            value = self.cleaned_data.get(CF_PREFIX + definition.key)
            if value not in (None, "", []):
                values[definition.key] = value
        return values

    def custom_fields(self) -> list[forms.BoundField]:
        return [self[CF_PREFIX + d.key] for d in self.definitions]


class ReplyForm(PortalForm):
    message = forms.CharField(label=_("Your reply"), max_length=100_000,
                              widget=forms.Textarea(attrs={"rows": 6}))
    attachments = AttachmentsField(label=_("Attachments"), required=False)


class ReopenForm(PortalForm):
    message = forms.CharField(label=_("What is still not working?"), max_length=100_000,
                              widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Shown beside the reply form: its ids must differ.
        kwargs.setdefault("auto_id", "id_reopen_%s")
        super().__init__(*args, **kwargs)


@lru_cache(maxsize=1)
def timezone_names() -> list[tuple[str, str]]:
    return [(n, n.replace("_", " ")) for n in sorted(zoneinfo.available_timezones())]


class ProfileForm(PortalForm):
    name = forms.CharField(label=_("Name"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    language = forms.ChoiceField(label=_("Preferred language"), required=False)
    timezone = forms.ChoiceField(label=_("Time zone"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["language"]).choices = [
            ("", _("Not set")), *settings.LANGUAGES]
        cast(forms.ChoiceField, self.fields["timezone"]).choices = [
            ("", _("Detect automatically")), *timezone_names()]


class SetPasswordForm(PortalForm):
    password1 = forms.CharField(label=_("New password"), strip=False, max_length=200,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("New password again"), strip=False, max_length=200,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data
