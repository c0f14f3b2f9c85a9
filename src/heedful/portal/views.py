"""The customer's requests: the list, a new request, one ticket with replies, and downloads."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from heedful.core.errors import HeedfulError, NotFound
from heedful.people.actions import get_or_create_contact_for_email
from heedful.people.models import Contact
from heedful.policy import Viewer, get_attachment_for, get_ticket_for, visible_tickets
from heedful.portal import actions
from heedful.portal.forms import NewRequestForm, ReopenForm, ReplyForm, apply_error, error_status
from heedful.portal.session import contact_required
from heedful.portal.throttling import count_attempt, is_throttled
from heedful.tickets import selectors
from heedful.tickets.actions import open_ticket, reopen_by_customer, reply_to_ticket
from heedful.tickets.downloads import attachment_response
from heedful.tickets.models import Channel, CustomFieldDefinition, Event, Ticket

PAGE_SIZE = 25
MAX_ID = 2**63 - 1  # larger numbers in a URL are simply not found (never a database error)
CUSTOMER_KINDS = {Event.Kind.MESSAGE_IN, Event.Kind.MESSAGE_OUT}


def _contact(request: HttpRequest) -> Contact | None:
    return getattr(request, "contact", None)


def _ticket_or_404(contact: Contact, number: int) -> Ticket:
    if number > MAX_ID:
        raise Http404()
    try:
        return get_ticket_for(Viewer.for_contact(contact), number, by_number=True)
    except NotFound:
        raise Http404() from None


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    contact = _contact(request)
    context: dict[str, Any] = {}
    if contact is not None:
        tickets = (
            visible_tickets(Viewer.for_contact(contact))
            .select_related("requester")
            .order_by("-updated_at", "-id")
        )
        context["page"] = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/home.html", context)


def _follow_up_initial(request: HttpRequest, contact: Contact | None) -> dict[str, str]:
    raw = request.GET.get("follow_up", "")
    if not raw.isdigit() or len(raw) > 18:
        return {}
    number = int(raw)
    subject = _("Follow-up to #%(number)s") % {"number": number}
    if contact is not None:
        try:
            subject = _("Follow-up to #%(number)s: %(subject)s") % {
                "number": number, "subject": _ticket_or_404(contact, number).subject}
        except Http404:
            return {}
    return {"subject": subject[:250],
            "message": _("This follows up on request #%(number)s.") % {"number": number} + "\n\n"}


def _new_request_page(request: HttpRequest, form: NewRequestForm, status: int = 200) -> HttpResponse:
    return render(request, "portal/new_request.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def new_request(request: HttpRequest) -> HttpResponse:
    contact = _contact(request)
    if request.method == "GET":
        initial = _follow_up_initial(request, contact)
        return _new_request_page(request, NewRequestForm(initial=initial, anonymous=contact is None))
    form = NewRequestForm(request.POST, request.FILES, anonymous=contact is None)
    if not form.is_valid():
        return _new_request_page(request, form, error_status(form))
    data = form.cleaned_data
    try:
        with transaction.atomic():
            requester = contact or get_or_create_contact_for_email(data["email"], name=data["name"])
            ticket = open_ticket(
                requester=requester, subject=data["subject"], body=data["message"],
                channel=Channel.PORTAL, attachments=data["attachments"],
                custom_fields=form.custom_field_values(), customer_form=True,
            )
    except HeedfulError as error:
        apply_error(form, error)
        return _new_request_page(request, form, error_status(form, error))
    if contact is not None:
        messages.success(request, _("Thank you. We have your request #%(number)s.") % {
            "number": ticket.number})
        return HttpResponseRedirect(reverse("portal:ticket", args=[ticket.number]))
    email = data["email"]
    if not is_throttled(request, "link", email):
        count_attempt(request, "link", email)
        actions.send_sign_in_link(
            contact=requester, email=email,
            next_path=reverse("portal:ticket", args=[ticket.number]),
        )
    return HttpResponseRedirect(reverse("portal:request_received"))


@require_GET
def request_received(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/request_received.html")


def _visible_custom_fields(ticket: Ticket) -> list[tuple[str, Any]]:
    rows = []
    for definition in CustomFieldDefinition.objects.filter(active=True, customer_visible=True):
        value = ticket.custom_fields.get(definition.key)
        if value in (None, "", []):
            continue
        if isinstance(value, bool):
            value = _("Yes") if value else _("No")
        elif isinstance(value, list):
            value = ", ".join(map(str, value))
        rows.append((str(definition.label), value))
    return rows


def _ticket_page(
    request: HttpRequest, ticket: Ticket, *, reply_form: ReplyForm | None = None,
    reopen_form: ReopenForm | None = None, status: int = 200,
) -> HttpResponse:
    contact = request.contact  # type: ignore[attr-defined]
    viewer = Viewer.for_contact(contact)
    events = [e for e in selectors.timeline(viewer, ticket) if e.kind in CUSTOMER_KINDS]
    merged_into = None
    if ticket.merged_into_id is not None:
        merged_into = visible_tickets(viewer).filter(pk=ticket.merged_into_id).first()
    context = {
        "ticket": ticket,
        "events": events,
        "custom_fields": _visible_custom_fields(ticket),
        "reply_form": reply_form or ReplyForm(),
        "reopen_form": reopen_form or ReopenForm(),
        "is_closed": ticket.status == Ticket.Status.CLOSED,
        "is_solved": ticket.status == Ticket.Status.SOLVED,
        "merged_into": merged_into,
    }
    return render(request, "portal/ticket.html", context, status=status)


@contact_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    """GET: the public conversation. POST: the customer's reply (a solved ticket reopens)."""
    contact = request.contact  # type: ignore[attr-defined]
    ticket = _ticket_or_404(contact, number)
    if request.method == "GET":
        return _ticket_page(request, ticket)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _ticket_page(request, ticket, reply_form=form, status=error_status(form))
    try:
        reply_to_ticket(ticket=ticket, body=form.cleaned_data["message"], author_contact=contact,
                        attachments=form.cleaned_data["attachments"], channel=Channel.PORTAL)
    except HeedfulError as error:
        apply_error(form, error)
        ticket.refresh_from_db()
        return _ticket_page(request, ticket, reply_form=form, status=error_status(form, error))
    messages.success(request, _("Your reply is sent."))
    return HttpResponseRedirect(reverse("portal:ticket", args=[ticket.number]) + "#latest")


@contact_required
@require_POST
def reopen(request: HttpRequest, number: int) -> HttpResponse:
    contact = request.contact  # type: ignore[attr-defined]
    ticket = _ticket_or_404(contact, number)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, ticket, reopen_form=form, status=400)
    try:
        reopen_by_customer(ticket=ticket, contact=contact, body=form.cleaned_data["message"])
    except HeedfulError as error:
        apply_error(form, error)
        return _ticket_page(request, ticket, reopen_form=form, status=error_status(form, error))
    messages.success(request, _("We have reopened your request and will get back to you."))
    return HttpResponseRedirect(reverse("portal:ticket", args=[ticket.number]) + "#latest")


@contact_required
@require_GET
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    if attachment_id > MAX_ID:
        raise Http404()
    try:
        found = get_attachment_for(Viewer.for_contact(request.contact), attachment_id)  # type: ignore[attr-defined]
    except NotFound:
        raise Http404() from None
    return attachment_response(found, inline=request.GET.get("inline") == "1")
