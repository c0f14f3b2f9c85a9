"""Tag names: lower-case slugs, so that "Billing" and "billing " are one tag."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.text import slugify
from django.utils.translation import gettext as _

from heedful.core.errors import Invalid


def normalize_tags(names: Iterable[str] | str) -> list[str]:
    if isinstance(names, str):
        names = names.replace(",", " ").split()
    result = []
    for name in names:
        if not isinstance(name, str):
            raise Invalid(_("Tags must be text."), fields={"tags": [_("Use a list of words.")]})
        slug = slugify(name.strip(), allow_unicode=True)[:64]
        if name.strip() and not slug:
            raise Invalid(_("%(tag)s is not a usable tag.") % {"tag": name},
                          fields={"tags": [_("Use letters, digits, - or _.")]})
        if slug and slug not in result:
            result.append(slug)
    return result
