"""The fixed part of the demo: teams, agents, organizations, tags, custom fields, saved replies
and the site's contact options. Got or created, so that running the demo twice is harmless."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import models

from heedful.core.models import SiteSettings
from heedful.people.actions import create_agent, create_team
from heedful.people.models import Agent, Organization, Team
from heedful.tickets.models import CustomFieldDefinition, SavedReply, Tag
from heedful.tickets.tags import normalize_tags

from .content import Content


@dataclass(frozen=True)
class DemoSignIn:
    email: str
    name: str
    role: str
    password_works: bool  # False when the account existed before with another password


@dataclass
class Cast:
    teams: dict[str, int]
    # user ids of agents per team, and every agent's user id with their languages
    team_members: dict[str, list[int]]
    agent_languages: dict[int, list[str]]
    supervisor_user_id: int
    organizations: list[tuple[int, str, str, str]]  # id, domain, plan, tier
    tags: dict[str, int]
    sign_ins: list[DemoSignIn] = field(default_factory=list)


def _teams(content: Content) -> dict[str, int]:
    teams = {}
    for spec in content["team"]:
        team = Team.objects.filter(name__iexact=spec["name"]).first()
        if team is None:
            team = create_team(name=spec["name"], description=spec.get("description", ""))
        teams[spec["name"]] = team.pk
    return teams


def _agents(content: Content, teams: dict[str, int]) -> tuple[list[Agent], list[DemoSignIn]]:
    """The demo agents; new ones get the demo password (hashed once, not once per agent)."""
    password_hash = make_password(content.password)
    agents, sign_ins = [], []
    for spec in content["agent"]:
        agent = Agent.objects.select_related("user").filter(user__username__iexact=spec["email"]).first()
        works = True
        if agent is None:
            agent = create_agent(
                email=spec["email"], password=None, display_name=spec["name"], role=spec["role"],
                teams=list(Team.objects.filter(pk__in=[teams[t] for t in spec["teams"]])),
                languages=spec["languages"], timezone=spec["timezone"],
            )
            agent.user.password = password_hash
            agent.user.save(update_fields=["password"])
        else:
            works = agent.user.check_password(content.password)
        agents.append(agent)
        sign_ins.append(DemoSignIn(email=spec["email"], name=spec["name"], role=agent.role,
                                   password_works=works))
    return agents, sign_ins


def _organizations(content: Content) -> list[tuple[int, str, str, str]]:
    result = []
    for spec in content["organization"]:
        org, _created = Organization.objects.get_or_create(
            name=spec["name"], defaults={"domains": [spec["domain"]]}
        )
        result.append((org.pk, spec["domain"], spec["plan"], spec["tier"]))
    return result


def _tags(content: Content) -> dict[str, int]:
    names = normalize_tags(content["tags"]["names"])
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
    return dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))


def _custom_fields(content: Content) -> None:
    for position, spec in enumerate(content["custom_field"]):
        CustomFieldDefinition.objects.get_or_create(
            key=spec["key"],
            defaults={
                "label": spec["label"], "type": spec["type"], "choices": spec.get("choices", []),
                "customer_visible": spec.get("customer_visible", False),
                "customer_editable": spec.get("customer_editable", False), "position": position,
            },
        )


def _saved_replies(content: Content, teams: dict[str, int]) -> None:
    for spec in content["saved_reply"]:
        SavedReply.objects.get_or_create(
            title=spec["title"],
            defaults={
                "body": spec["body"], "team_id": teams.get(spec.get("team", "")),
                "set_status": spec.get("set_status", ""), "add_tags": spec.get("add_tags", []),
            },
        )


def _site(content: Content) -> None:
    """Fill the contact options an admin has not set; never overwrite theirs."""
    site = SiteSettings.current()
    changed = []
    for key, value in content["site"].items():
        field = SiteSettings._meta.get_field(key)
        default = field.get_default() if isinstance(field, models.Field) else ""
        if getattr(site, key) in ("", default):
            setattr(site, key, value)
            changed.append(key)
    if changed:
        site.save(update_fields=changed)


def ensure_cast(content: Content) -> Cast:
    teams = _teams(content)
    agents, sign_ins = _agents(content, teams)
    team_members: dict[str, list[int]] = {name: [] for name in teams}
    for agent in agents:
        for team_id in agent.teams.values_list("id", flat=True):
            for name, pk in teams.items():
                if pk == team_id and agent.role == Agent.Role.AGENT:
                    team_members[name].append(agent.user_id)
    supervisor = next((a for a in agents if a.role == Agent.Role.SUPERVISOR), agents[0])
    for members in team_members.values():
        if not members:  # a team nobody works in would leave its tickets ownerless
            members.append(supervisor.user_id)
    _custom_fields(content)
    _saved_replies(content, teams)
    _site(content)
    return Cast(
        teams=teams, team_members=team_members,
        agent_languages={a.user_id: list(a.languages) for a in agents},
        supervisor_user_id=supervisor.user_id, organizations=_organizations(content),
        tags=_tags(content), sign_ins=sign_ins,
    )
