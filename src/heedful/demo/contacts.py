"""The demo's customers: contacts with e-mail (and some phone and social) identities and a
profile, created in bulk. A contact whose e-mail already exists is reused, not duplicated."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from heedful.people.identities import normalize_identity
from heedful.people.models import Contact, ContactIdentity

from .content import Content, Language

PUBLIC_DOMAINS = ("example.org", "example.net", "example.com", "mail.example")
EXPERTISE = [e.value for e in Contact.Expertise if e.value]
VALUE_BY_PLAN = {"Free": 0, "Starter": 600, "Business": 6_000, "Enterprise": 60_000}
Kind = ContactIdentity.Kind


@dataclass(frozen=True)
class DemoContact:
    id: int
    language: str
    organization_id: int | None
    vip: bool


@dataclass
class _Draft:
    contact: Contact
    email: str
    phone: str
    social: str


def _draft(rng: random.Random, content: Content, languages: list[Language], weights: list[int],
           organizations: list[tuple[int, str, str, str]], index: int) -> _Draft:
    language = rng.choices(languages, weights)[0]
    first, first_ascii = rng.choice(language.first)
    last, last_ascii = rng.choice(language.last)
    profile = content["profile"]
    org_id, plan, tier = None, rng.choice(profile["plans"]), rng.choice(profile["tiers"])
    domain = rng.choice(PUBLIC_DOMAINS)
    if rng.random() < 0.3:
        org_id, domain, plan, tier = rng.choice(organizations)
    vip = (tier == "Gold" and rng.random() < 0.3) or rng.random() < 0.03
    value = VALUE_BY_PLAN.get(plan, 100) * rng.uniform(0.2, 3.0)
    contact = Contact(
        name=language.full_name(first, last), organization_id=org_id,
        is_organization_manager=org_id is not None and rng.random() < 0.1,
        plan=plan, tier=tier, lifetime_value=Decimal(round(value, 2)).quantize(Decimal("0.01")),
        currency=language.currency, expertise=rng.choice([*EXPERTISE, ""]), language=language.code,
        timezone=rng.choice(language.timezones), vip=vip,
        expectations=rng.choice(profile["expectations"]),
    )
    email = f"{first_ascii}.{last_ascii}{index}@{domain}"
    phone = f"{language.phone_prefix} {index:06d}" if rng.random() < 0.3 else ""
    social = f"@{first_ascii}_{last_ascii}{index}" if rng.random() < 0.1 else ""
    return _Draft(contact=contact, email=email, phone=phone, social=social)


def ensure_contacts(
    *, rng: random.Random, content: Content, organizations: list[tuple[int, str, str, str]],
    count: int, batch_size: int = 2000,
) -> tuple[list[DemoContact], int]:
    """`count` customers for the demo, and how many of them are new."""
    languages = content.languages
    weights = [lang.weight for lang in languages]
    result: list[DemoContact] = []
    created = 0
    for start in range(0, count, batch_size):
        drafts = [_draft(rng, content, languages, weights, organizations, i)
                  for i in range(start, min(count, start + batch_size))]
        emails = [normalize_identity(Kind.EMAIL, d.email) for d in drafts]
        existing = {
            row[0]: DemoContact(id=row[1], language=row[2], organization_id=row[3], vip=row[4])
            for row in ContactIdentity.objects.filter(kind=Kind.EMAIL, normalized__in=emails)
            .values_list("normalized", "contact_id", "contact__language",
                         "contact__organization_id", "contact__vip")
        }
        new = [(d, e) for d, e in zip(drafts, emails, strict=True) if e not in existing]
        Contact.objects.bulk_create([d.contact for d, _e in new], batch_size=500)
        identities = []
        for draft, email in new:
            identities.append(ContactIdentity(contact=draft.contact, kind=Kind.EMAIL, value=draft.email,
                                              normalized=email, verified=True))
            for kind, value in ((Kind.PHONE, draft.phone), (Kind.SOCIAL, draft.social)):
                if value:
                    identities.append(ContactIdentity(contact=draft.contact, kind=kind, value=value,
                                                      normalized=normalize_identity(kind, value)))
        # A phone or handle taken by an older demo contact is simply left out.
        ContactIdentity.objects.bulk_create(identities, batch_size=500, ignore_conflicts=True)
        created += len(new)
        for draft, email in zip(drafts, emails, strict=True):
            if email in existing:
                result.append(existing[email])
            else:
                c = draft.contact
                result.append(DemoContact(id=c.pk, language=c.language,
                                          organization_id=c.organization_id, vip=c.vip))
    return result, created
