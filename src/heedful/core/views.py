"""Views that belong to no domain: the health check, the favicon, and the pages a person meets
by accident (404, 403, 400, 500, a refused form), in the product's look and with a way home.

Under /api/ the same failures answer the API's JSON error shape instead, so that a client never
has to parse an HTML page (api/urls.py already answers unknown paths below /api/v1/).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.db import connection
from django.db.utils import DatabaseError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import render
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from heedful.core.errors import ErrorCode

logger = logging.getLogger(__name__)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 {"status": "ok"} once the database answers; 503 with the reason otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as problem:
        return JsonResponse({"status": "unavailable", "database": str(problem)[:200]}, status=503)
    return JsonResponse({"status": "ok"})


@lru_cache(maxsize=1)
def _favicon_bytes() -> bytes:
    found = finders.find("heedful/favicon.ico")
    return Path(str(found)).read_bytes() if found else b""


@require_GET
@cache_control(public=True, max_age=60 * 60 * 24)
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask /favicon.ico of pages that name no icon (JSON, the admin site)."""
    return HttpResponse(_favicon_bytes(), content_type="image/x-icon")


def _is_api(request: HttpRequest) -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _api_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


def _links(request: HttpRequest | None) -> dict[str, object]:
    """Where "home" is: the help centre for customers, the inbox for agents. We cannot tell
    who is lost without asking the database, so both are offered, the likelier one first."""
    try:
        portal, inbox = reverse("portal:home"), reverse("web:queue")
    except NoReverseMatch:
        portal, inbox = "/portal/", "/"
    in_portal = request is not None and request.path.startswith(portal)
    return {"portal_url": portal, "inbox_url": inbox, "portal_first": in_portal}


def _page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    return render(request, template, _links(request), status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(400, ErrorCode.INVALID, _("The request could not be understood."))
    return _page(request, "400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(403, ErrorCode.PERMISSION_DENIED, _("You may not do this."))
    return _page(request, "403.html", 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(404, ErrorCode.NOT_FOUND, _("Not found."))
    return _page(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the request's context: whatever failed (the database, a context
    processor) must not fail this page too."""
    if _is_api(request):
        return _api_error(500, "server_error", _("Something went wrong on our side; it has been logged."))
    try:
        return HttpResponseServerError(loader.get_template("500.html").render(_links(request)))
    except Exception:  # the last resort must answer, whatever is broken
        logger.exception("the 500 page could not be rendered")
        return HttpResponseServerError(_("Server error"), content_type="text/plain; charset=utf-8")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused for its missing or stale security token: most often a page left open
    across a sign-out or a restart. Say what to do instead of Django's technical page."""
    if _is_api(request):
        return _api_error(403, ErrorCode.PERMISSION_DENIED, _("The request was refused (CSRF check)."))
    return _page(request, "403_csrf.html", 403)
