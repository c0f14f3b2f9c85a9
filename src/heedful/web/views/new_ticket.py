"""An agent opens a ticket: a phone call, a walk-in, a letter. Choose the customer (or create
them with one way to reach them), say how it came in, and write down the first message as the
customer's words or as an internal note. Opened through tickets.actions.open_ticket, like any
other ticket."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from heedful import policy
from heedful.core.errors import ErrorCode, HeedfulError, Invalid, NotFound
from heedful.people.actions import IdentityInput, create_contact, find_contact_by_identity
from heedful.people.models import Agent, Contact, Team
from heedful.people.selectors import contact_page, live_contact
from heedful.policy import Permission, get_contact_for, visible_contacts
from heedful.tickets.actions import open_ticket
from heedful.tickets.attachments import Upload
from heedful.tickets.models import CustomFieldDefinition, Ticket
from heedful.web import forms as ticket_forms
from heedful.web.common import agent_required, form_errors, viewer_of
from heedful.web.contact_forms import INTERNAL_NOTE, NewTicketForm, apply_error

CANDIDATES = 10


def _chosen(request: HttpRequest, raw: Any) -> Contact | None:
    """The customer the form names, at the live end of any merge, or None."""
    if raw in (None, ""):
        return None
    try:
        contact = live_contact(get_contact_for(viewer_of(request), int(raw)))
    except (NotFound, ValueError, OverflowError):
        return None
    return (Contact.objects.select_related("organization").prefetch_related("identities")
            .get(pk=contact.pk))


def render_new_ticket(request: HttpRequest, form: NewTicketForm, *, contact: Contact | None,
                      error: HeedfulError | None = None, existing: Contact | None = None,
                      posted: QueryDict | None = None, status: int = 200) -> HttpResponse:
    viewer = viewer_of(request)
    q = request.GET.get("q", "").strip()[:200]
    candidates = None
    if q and contact is None:
        candidates = contact_page(visible_contacts(viewer), q=q, limit=CANDIDATES).items
    definitions = list(CustomFieldDefinition.objects.filter(active=True))
    context: dict[str, Any] = {
        "form": form, "contact": contact, "q": q, "candidates": candidates, "existing": existing,
        "agents": list(Agent.objects.filter(is_active=True).select_related("user")),
        "teams": list(Team.objects.all()),
        "custom_fields": ticket_forms.custom_field_rows(definitions, Ticket(custom_fields={}), posted),
        "chosen_team": posted.get("team", "") if posted else "",
        "chosen_assignee": posted.get("assignee", "") if posted else "",
        **form_errors(error),
    }
    return render(request, "web/new_ticket.html", context, status=status)


@require_http_methods(["GET", "POST"])
@agent_required
def new_ticket_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    if request.method == "GET":
        contact = _chosen(request, request.GET.get("contact"))
        form = NewTicketForm(initial={"contact": contact.pk if contact else None})
        return render_new_ticket(request, form, contact=contact)
    form = NewTicketForm(request.POST)
    contact = _chosen(request, request.POST.get("contact"))
    try:
        policy.require(viewer, Permission.TICKET_CHANGE)
    except HeedfulError as problem:
        return render_new_ticket(request, form, contact=contact, error=problem, posted=request.POST,
                                 status=problem.http_status)
    if not form.is_valid():
        return render_new_ticket(request, form, contact=contact, posted=request.POST, status=400,
                                 error=Invalid(_("Please correct the fields marked below.")))
    try:
        ticket = _open(request, form, contact)
    except HeedfulError as problem:
        existing = None
        if problem.code == ErrorCode.DUPLICATE_IDENTITY and contact is None:
            # The address is someone's: offer them instead of a second record of one person.
            existing = find_contact_by_identity(form.cleaned_data["identity_kind"],
                                                form.cleaned_data["identity_value"])
        apply_error(form, problem, aliases=form.field_aliases())
        return render_new_ticket(request, form, contact=contact, error=problem, existing=existing,
                                 posted=request.POST, status=problem.http_status)
    messages.success(request, _("Ticket #%(number)s opened.") % {"number": ticket.number})
    if policy.can_view_ticket(viewer, ticket):
        return redirect(reverse("web:ticket", args=[ticket.number]))
    # Opened for a team the agent does not see: say where it went instead of a 404.
    return redirect("web:queue")


def _open(request: HttpRequest, form: NewTicketForm, contact: Contact | None) -> Ticket:
    """The customer (created when new) and the ticket, together or not at all."""
    data = form.cleaned_data
    viewer = viewer_of(request)
    if data.get("contact") and contact is None:
        raise Invalid(_("That customer is not available; choose them again."),
                      fields={"contact": [_("Choose a customer.")]})
    team_value, assignee_value = data["team"].strip(), data["assignee"].strip()
    team = ticket_forms.resolve_team(team_value) if team_value else None
    assignee = ticket_forms.resolve_assignee(assignee_value, viewer) if assignee_value else None
    custom_fields = None
    if request.POST.get("custom_fields_present"):
        custom_fields = ticket_forms.ticket_changes(request.POST, viewer, list(
            CustomFieldDefinition.objects.filter(active=True))).get("custom_fields")
    uploads = [Upload.from_file(f, name=f.name or "attachment", content_type=f.content_type or "")
               for f in request.FILES.getlist("attachments")]
    note = data["mode"] == INTERNAL_NOTE
    with transaction.atomic():
        if contact is None:
            contact = create_contact(name=data["contact_name"], identities=[
                IdentityInput(data["identity_kind"] or "email", data["identity_value"])])
        return open_ticket(
            requester=contact, subject=data["subject"], body=data["body"], channel=data["channel"],
            author_user=request.user, from_customer=not note, note=note,
            data=None if note else {"entered_by": request.user.pk},
            priority=data["priority"], team=team, assignee=assignee, tags=data["tags"],
            custom_fields=custom_fields, attachments=uploads,
        )
