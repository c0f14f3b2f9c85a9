"""Which status changes are allowed, and what they mean."""

from __future__ import annotations

from django.utils.translation import gettext as _

from heedful.core.errors import ErrorCode, HeedfulError
from heedful.tickets.models import Ticket

S = Ticket.Status

ALLOWED: dict[str, set[str]] = {
    S.NEW: {S.OPEN, S.PENDING, S.ON_HOLD, S.SOLVED, S.CLOSED},
    S.OPEN: {S.PENDING, S.ON_HOLD, S.SOLVED, S.CLOSED},
    S.PENDING: {S.OPEN, S.ON_HOLD, S.SOLVED, S.CLOSED},
    S.ON_HOLD: {S.OPEN, S.PENDING, S.SOLVED, S.CLOSED},
    S.SOLVED: {S.OPEN, S.CLOSED},
    # Closed is final: a later message starts a follow-up ticket.
    S.CLOSED: set(),
}


def check_transition(current: str, target: str) -> None:
    if target not in S.values:
        raise HeedfulError(
            ErrorCode.INVALID, _("Unknown status %(status)s.") % {"status": target},
            fields={"status": [_("Use one of: %(values)s.") % {"values": ", ".join(S.values)}]},
        )
    if target != current and target not in ALLOWED[current]:
        raise HeedfulError(
            ErrorCode.INVALID_TRANSITION,
            _("A %(current)s ticket cannot become %(target)s.")
            % {"current": S(current).label, "target": S(target).label},
            fields={"status": [_("Allowed next: %(values)s.") % {
                "values": ", ".join(sorted(ALLOWED[current])) or _("none")}]},
        )


def is_reopen(current: str, target: str) -> bool:
    return current == S.SOLVED and target in {S.OPEN, S.NEW, S.PENDING, S.ON_HOLD}
