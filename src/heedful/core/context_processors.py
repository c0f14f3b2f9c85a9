from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from heedful.core.models import SiteSettings


def site(request: HttpRequest) -> dict[str, object]:
    return {"site": SimpleLazyObject(SiteSettings.current)}
