"""Signing in (one-time link or password), signing out, and the customer's profile."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from heedful.core.errors import HeedfulError
from heedful.core.models import SiteSettings
from heedful.people.actions import update_contact
from heedful.portal import actions
from heedful.portal.forms import (
    EmailSignInForm,
    PasswordSignInForm,
    ProfileForm,
    SetPasswordForm,
    apply_error,
)
from heedful.portal.session import contact_required, sign_in, sign_out
from heedful.portal.throttling import clear_attempts, count_attempt, is_throttled

LINK = "link"
PASSWORD = "password"  # noqa: S105 (a throttle bucket name)


def _sign_in_page(
    request: HttpRequest, *, link_form: EmailSignInForm | None = None,
    password_form: PasswordSignInForm | None = None, status: int = 200,
) -> HttpResponse:
    next_path = actions.safe_next_path(request.GET.get("next") or request.POST.get("next"))
    context = {
        "link_form": link_form or EmailSignInForm(initial={"next": next_path}),
        "password_form": password_form or PasswordSignInForm(initial={"next": next_path}),
        "passwords_enabled": SiteSettings.current().portal_passwords_enabled,
    }
    return render(request, "portal/sign_in.html", context, status=status)


def _too_many(form: Any) -> None:
    form.add_error(None, _("Too many attempts. Please wait a few minutes and try again."))


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_view(request: HttpRequest) -> HttpResponse:
    """GET: the sign-in forms. POST: e-mail me a link — answered the same for every address."""
    if request.method == "GET":
        if getattr(request, "contact", None) is not None:
            return HttpResponseRedirect(reverse("portal:home"))
        return _sign_in_page(request)
    form = EmailSignInForm(request.POST)
    if not form.is_valid():
        return _sign_in_page(request, link_form=form, status=400)
    email = form.cleaned_data["email"]
    if is_throttled(request, LINK, email):
        _too_many(form)
        return _sign_in_page(request, link_form=form, status=429)
    # Every request counts, known address or not, so the pause says nothing about accounts.
    count_attempt(request, LINK, email)
    contact = actions.contact_for_email(email)
    if contact is not None:
        actions.send_sign_in_link(contact=contact, email=email, next_path=form.cleaned_data["next"])
    return render(request, "portal/sign_in_sent.html", {"email": email})


@never_cache
@require_POST
def password_sign_in_view(request: HttpRequest) -> HttpResponse:
    if not SiteSettings.current().portal_passwords_enabled:
        raise Http404()
    form = PasswordSignInForm(request.POST)
    if not form.is_valid():
        return _sign_in_page(request, password_form=form, status=400)
    email = form.cleaned_data["email"]
    if is_throttled(request, PASSWORD, email):
        _too_many(form)
        return _sign_in_page(request, password_form=form, status=429)
    contact = actions.authenticate_contact(email, form.cleaned_data["password"])
    if contact is None:
        count_attempt(request, PASSWORD, email)
        form.add_error(None, _("This e-mail address and password do not match. "
                               "You can also ask for a sign-in link."))
        return _sign_in_page(request, password_form=form, status=400)
    clear_attempts(request, PASSWORD, email)
    sign_in(request, contact)
    messages.success(request, _("You are signed in."))
    return HttpResponseRedirect(actions.safe_next_path(form.cleaned_data["next"]) or reverse("portal:home"))


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_link_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a button: mail scanners that fetch the link do not use it up."""
    if request.method == "GET":
        link = actions.find_usable_link(token)
        template = "portal/sign_in_confirm.html" if link else "portal/sign_in_link_invalid.html"
        response = render(request, template, {"link_form": EmailSignInForm()}, status=200 if link else 400)
    else:
        link = actions.redeem_sign_in_link(token)
        if link is None:
            response = render(request, "portal/sign_in_link_invalid.html",
                              {"link_form": EmailSignInForm()}, status=400)
        else:
            contact = link.contact.merged_into or link.contact
            sign_in(request, contact)
            messages.success(request, _("You are signed in."))
            response = HttpResponseRedirect(link.next_path or reverse("portal:home"))
    # The token is in the address: never send it on to other sites. Not "no-referrer": with it,
    # browsers send `Origin: null` on the confirm POST and CSRF rightly refuses it.
    response["Referrer-Policy"] = "same-origin"
    return response


@require_POST
def sign_out_view(request: HttpRequest) -> HttpResponse:
    sign_out(request)
    messages.info(request, _("You are signed out."))
    return HttpResponseRedirect(reverse("portal:home"))


def _profile_page(
    request: HttpRequest, *, profile_form: ProfileForm | None = None,
    password_form: SetPasswordForm | None = None, status: int = 200,
) -> HttpResponse:
    contact = request.contact  # type: ignore[attr-defined]
    initial = {"name": contact.name, "language": contact.language, "timezone": contact.timezone}
    context = {
        "profile_form": profile_form or ProfileForm(initial=initial),
        "password_form": password_form or SetPasswordForm(),
        "passwords_enabled": SiteSettings.current().portal_passwords_enabled,
        "emails": [i.value for i in contact.identities.all() if i.kind == "email"],
        "has_password": bool(contact.password),
    }
    return render(request, "portal/profile.html", context, status=status)


@never_cache
@contact_required
@require_http_methods(["GET", "POST"])
def profile_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _profile_page(request)
    form = ProfileForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, profile_form=form, status=400)
    contact = request.contact  # type: ignore[attr-defined]
    try:
        update_contact(contact=contact, changes={
            "name": form.cleaned_data["name"].strip(), "language": form.cleaned_data["language"],
            "timezone": form.cleaned_data["timezone"],
        })
    except HeedfulError as error:
        apply_error(form, error)
        return _profile_page(request, profile_form=form, status=400)
    messages.success(request, _("Your profile is saved."))
    response = HttpResponseRedirect(reverse("portal:profile"))
    if contact.language:
        # The switcher's cookie would otherwise keep the old language.
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, contact.language,
                            samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
    return response


@never_cache
@contact_required
@require_POST
def set_password_view(request: HttpRequest) -> HttpResponse:
    if not SiteSettings.current().portal_passwords_enabled:
        raise Http404()
    form = SetPasswordForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, password_form=form, status=400)
    try:
        actions.set_portal_password(contact=request.contact,  # type: ignore[attr-defined]
                                    password=form.cleaned_data["password1"])
    except ValidationError as problem:
        form.add_error("password1", problem)
        return _profile_page(request, password_form=form, status=400)
    messages.success(request, _("Your password is set. You can now sign in with it."))
    return HttpResponseRedirect(reverse("portal:profile"))
