"""Organizations in the agent UI: the list, and one organization with its details (editable),
its contacts and its tickets, each paginated."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from heedful import policy
from heedful.core.errors import HeedfulError, Invalid
from heedful.people.actions import update_organization
from heedful.people.models import Organization
from heedful.people.selectors import contact_page
from heedful.policy import Permission, visible_contacts
from heedful.tickets import selectors
from heedful.web.common import agent_required, form_errors, viewer_of
from heedful.web.contact_forms import OrganizationForm, apply_error

PAGE_SIZE = 50
CONTACTS_PAGE = 25
TICKETS_PAGE = 25


def organization_for(organization_id: int) -> Organization:
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise Http404()
    return organization


@require_GET
@agent_required
def organization_list(request: HttpRequest) -> HttpResponse:
    q = " ".join(request.GET.get("q", "").split())[:200]
    organizations = Organization.objects.all()
    if q:
        organizations = organizations.filter(Q(name__icontains=q) | Q(domains__icontains=q.lower()))
    after = request.GET.get("after", "")
    if after.isascii() and after.isdigit() and len(after) <= 18:
        organizations = organizations.filter(pk__gt=int(after))
    rows = list(organizations.annotate(contact_count=Count("contacts")).order_by("pk")[: PAGE_SIZE + 1])
    next_after = rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None
    context = {"organizations": rows[:PAGE_SIZE], "q": q, "next_after": next_after}
    return render(request, "web/organizations/list.html", context)


def render_organization(request: HttpRequest, organization: Organization, *,
                        form: OrganizationForm | None = None, error: HeedfulError | None = None,
                        status: int = 200) -> HttpResponse:
    viewer = viewer_of(request)
    problems: list[HeedfulError] = []
    contacts = tickets = None
    try:
        contacts = contact_page(visible_contacts(viewer).filter(organization=organization),
                                cursor=request.GET.get("contacts") or None, limit=CONTACTS_PAGE)
    except HeedfulError as problem:
        problems.append(problem)
    try:
        tickets = selectors.ticket_queue(
            viewer=viewer, queue="all", filters={"organization": str(organization.pk)},
            cursor=request.GET.get("tickets") or None, limit=TICKETS_PAGE,
            row_fields=selectors.QUEUE_ROW_FIELDS)
    except HeedfulError as problem:
        problems.append(problem)
    if problems and status == 200:
        status = problems[0].http_status
    context: dict[str, Any] = {
        "organization": organization, "contacts": contacts, "tickets": tickets,
        "page_problems": problems,
        "may_edit": policy.can(viewer, Permission.ORGANIZATION_CHANGE, organization),
        "form": form or OrganizationForm(organization=organization),
        **form_errors(error),
    }
    return render(request, "web/organizations/detail.html", context, status=status)


@require_GET
@agent_required
def organization_view(request: HttpRequest, organization_id: int) -> HttpResponse:
    return render_organization(request, organization_for(organization_id))


@require_POST
@agent_required
def organization_edit(request: HttpRequest, organization_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    organization = organization_for(organization_id)
    form = OrganizationForm(request.POST, organization=organization)
    try:
        policy.require(viewer, Permission.ORGANIZATION_CHANGE, organization)
    except HeedfulError as problem:
        return render_organization(request, organization, error=problem, status=problem.http_status)
    if not form.is_valid():
        return render_organization(request, organization, form=form, status=400,
                                   error=Invalid(_("Please correct the fields marked below.")))
    changes = form.changes()
    try:
        update_organization(organization=organization, changes=changes, actor=request.user)
    except HeedfulError as problem:
        apply_error(form, problem)
        return render_organization(request, organization, form=form, error=problem,
                                   status=problem.http_status)
    messages.success(request, _("Organization saved.") if changes else _("Nothing changed."))
    return redirect(reverse("web:organization", args=[organization.pk]))
