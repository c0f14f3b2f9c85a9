"""Customers in the agent UI: find one, see their whole record (profile, every identity, the
organization, one timeline across tickets and channels), edit it, and merge two into one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from heedful import policy
from heedful.core.errors import ErrorCode, HeedfulError, Invalid, NotFound
from heedful.people.actions import add_identity, remove_identity, update_contact
from heedful.people.models import Contact, ContactIdentity
from heedful.people.selectors import contact_page
from heedful.policy import PERMISSION_LABELS, Permission, get_contact_for, visible_contacts
from heedful.tickets import selectors
from heedful.tickets.contact_merge import merge_contacts, plan_contact_merge
from heedful.web.common import agent_required, form_errors, viewer_of
from heedful.web.contact_forms import ContactForm, IdentityForm, apply_error

PAGE_SIZE = 50
TIMELINE_PAGE = 30
HISTORY_SIZE = 10


def contact_for(request: HttpRequest, contact_id: int) -> Contact:
    """The contact with what its page shows loaded, or 404 for one the viewer may not see."""
    try:
        visible = get_contact_for(viewer_of(request), contact_id)
    except NotFound:
        raise Http404() from None
    return (Contact.objects.select_related("organization", "merged_into")
            .prefetch_related("identities").get(pk=visible.pk))


def contact_url(contact: Contact) -> str:
    return reverse("web:contact", args=[contact.pk])


@require_GET
@agent_required
def contact_list(request: HttpRequest) -> HttpResponse:
    """Find a customer by part of their name, address, number or handle."""
    q = request.GET.get("q", "").strip()[:200]
    error: HeedfulError | None = None
    page = None
    try:
        page = contact_page(visible_contacts(viewer_of(request)), q=q,
                            cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE)
    except HeedfulError as problem:
        error = problem
    context = {"page": page, "q": q, **form_errors(error)}
    return render(request, "web/contacts/list.html", context, status=error.http_status if error else 200)


def render_contact(
    request: HttpRequest, contact: Contact, *, form: ContactForm | None = None,
    identity_form: IdentityForm | None = None, error: HeedfulError | None = None,
    failed_form: str = "", status: int = 200,
) -> HttpResponse:
    """The contact page; after a refusal, the form that failed keeps what was typed."""
    viewer = viewer_of(request)
    messages_only = request.GET.get("show") == "messages"
    timeline_error = None
    try:
        timeline = selectors.contact_timeline(viewer, contact, request.GET.get("cursor") or None,
                                              TIMELINE_PAGE, messages_only=messages_only)
    except HeedfulError as problem:
        timeline, timeline_error = selectors.EventPage([], None), problem
        status = status if status != 200 else problem.http_status
    may_name_managers = policy.can(viewer, Permission.ORGANIZATION_MANAGERS)
    context: dict[str, Any] = {
        "contact": contact,
        "identities": list(contact.identities.all()),
        "timeline": timeline, "timeline_error": timeline_error, "messages_only": messages_only,
        "first_page": not request.GET.get("cursor"),
        "tickets": selectors.customer_history(viewer, contact, limit=HISTORY_SIZE),
        "merged_from": list(Contact.objects.filter(merged_into=contact).order_by("name", "pk")[:20]),
        "may_edit": policy.can(viewer, Permission.CONTACT_CHANGE, contact) and not contact.merged_into_id,
        "may_change_identities": (policy.can(viewer, Permission.IDENTITY_CHANGE, contact)
                                  and not contact.merged_into_id),
        "may_merge": policy.can(viewer, Permission.CONTACT_MERGE, contact) and not contact.merged_into_id,
        "form": form or ContactForm(contact=contact, may_name_managers=may_name_managers),
        "identity_form": identity_form or IdentityForm(),
        "failed_form": failed_form if error else "",
        **form_errors(error),
    }
    return render(request, "web/contacts/detail.html", context, status=status)


@require_GET
@agent_required
def contact_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    return render_contact(request, contact_for(request, contact_id))


def _refused(request: HttpRequest, contact: Contact, problem: HeedfulError, failed_form: str,
             **forms: Any) -> HttpResponse:
    return render_contact(request, contact, error=problem, failed_form=failed_form,
                          status=problem.http_status, **forms)


def _invalid() -> Invalid:
    return Invalid(_("Please correct the fields marked below."))


@require_POST
@agent_required
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The profile form: only fields the agent changed are written, and audited."""
    viewer = viewer_of(request)
    contact = contact_for(request, contact_id)
    form = ContactForm(request.POST, contact=contact,
                       may_name_managers=policy.can(viewer, Permission.ORGANIZATION_MANAGERS))
    try:
        policy.require(viewer, Permission.CONTACT_CHANGE, contact)
    except HeedfulError as problem:
        return _refused(request, contact, problem, "profile")
    if not form.is_valid():
        return _refused(request, contact, _invalid(), "profile", form=form)
    changes = form.changes()
    try:
        if "is_organization_manager" in changes:
            policy.require(viewer, Permission.ORGANIZATION_MANAGERS)
        update_contact(contact=contact, changes=changes, actor=request.user)
    except HeedfulError as problem:
        apply_error(form, problem)
        return _refused(request, contact, problem, "profile", form=form)
    if changes:
        messages.success(request, _("Profile saved."))
    else:
        messages.info(request, _("Nothing changed."))
    return redirect(contact_url(contact))


@require_POST
@agent_required
def identity_add(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Another address, number or handle. Typed in by staff, so never verified: it is no proof
    that the customer owns it (the portal signs in only with proof)."""
    viewer = viewer_of(request)
    contact = contact_for(request, contact_id)
    form = IdentityForm(request.POST)
    try:
        policy.require(viewer, Permission.IDENTITY_CHANGE, contact)
    except HeedfulError as problem:
        return _refused(request, contact, problem, "identity")
    if not form.is_valid():
        return _refused(request, contact, _invalid(), "identity", identity_form=form)
    try:
        identity = add_identity(contact=contact, kind=form.cleaned_data["kind"],
                                value=form.cleaned_data["value"], actor=request.user)
    except HeedfulError as problem:
        apply_error(form, problem)
        return _refused(request, contact, problem, "identity", identity_form=form)
    messages.success(request, _("%(value)s added.") % {"value": identity.value})
    return redirect(contact_url(contact) + "#identities")


@require_POST
@agent_required
def identity_remove(request: HttpRequest, contact_id: int, identity_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    contact = contact_for(request, contact_id)
    identity = ContactIdentity.objects.filter(pk=identity_id, contact=contact).first()
    if identity is None:
        raise Http404()
    try:
        policy.require(viewer, Permission.IDENTITY_CHANGE, contact)
        remove_identity(identity=identity, actor=request.user)
    except HeedfulError as problem:
        return _refused(request, contact, problem, "identity")
    messages.success(request, _("%(value)s removed.") % {"value": identity.value})
    return redirect(contact_url(contact) + "#identities")


def _merge_target(request: HttpRequest, raw: str) -> Contact:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise Invalid(_("Choose the contact to merge into."),
                      fields={"target": [_("Choose a contact from the list.")]})
    try:
        return get_contact_for(viewer_of(request), int(raw))
    except NotFound:
        raise Invalid(_("No such contact."),
                      fields={"target": [_("Choose a contact from the list.")]}) from None


@require_http_methods(["GET", "POST"])
@agent_required
def contact_merge(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Merge this contact into another: choose, see what moves, confirm."""
    viewer = viewer_of(request)
    source = contact_for(request, contact_id)
    params = request.POST if request.method == "POST" else request.GET
    q = params.get("q", "").strip()[:200]
    plan = candidates = None
    error: HeedfulError | None = None
    status = 200
    try:
        policy.require(viewer, Permission.CONTACT_MERGE, source)
        if params.get("target"):
            target = _merge_target(request, params["target"])
            policy.require(viewer, Permission.CONTACT_MERGE, target)
            plan = plan_contact_merge(source=source, target=target)
            if request.method == "POST" and params.get("confirm") == "1":
                merged = merge_contacts(source=source, target=target, actor=request.user)
                messages.success(request, _("%(source)s was merged into %(target)s.") % {
                    "source": source, "target": merged})
                return redirect(contact_url(merged))
    except HeedfulError as problem:
        error, status, plan = problem, problem.http_status, None
        if problem.code == ErrorCode.PERMISSION_DENIED:
            return render(request, "web/contacts/forbidden.html", {
                "contact": source, "message": problem.message,
                "needed": PERMISSION_LABELS[Permission.CONTACT_MERGE]}, status=403)
    if plan is None and q:
        found = contact_page(visible_contacts(viewer).exclude(pk=source.pk), q=q, limit=10)
        candidates = found.items
    context: dict[str, Any] = {"source": source, "plan": plan, "q": q, "candidates": candidates,
                               **form_errors(error)}
    if plan is not None:
        context.update(_plan_context(viewer, plan))
    return render(request, "web/contacts/merge.html", context, status=status)


def _plan_context(viewer: policy.Viewer, plan: Any) -> dict[str, Any]:
    """What the preview lists: a sample of the tickets that move, the fields that fill in."""
    from heedful.tickets.models import Ticket

    sample = list(Ticket.objects.filter(pk__in=plan.ticket_ids[:10]).order_by("-created_at"))
    filled = [(getattr(Contact._meta.get_field(name), "verbose_name", name), value)
              for name, value in plan.filled.items()]
    return {"moving_tickets": sample, "more_tickets": max(0, len(plan.ticket_ids) - len(sample)),
            "filled": filled}
