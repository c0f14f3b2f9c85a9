from __future__ import annotations

import pytest

from heedful.core.errors import ErrorCode, HeedfulError
from heedful.tickets.actions import update_ticket
from heedful.tickets.custom_fields import clean_custom_fields
from heedful.tickets.models import CustomFieldDefinition as F
from tests.factories import CustomFieldFactory, make_agent, make_ticket

pytestmark = pytest.mark.django_db


def test_values_are_coerced_to_their_type():
    CustomFieldFactory(key="seats", type=F.Type.INTEGER)
    CustomFieldFactory(key="renewal", type=F.Type.DATE)
    CustomFieldFactory(key="urgent", type=F.Type.BOOLEAN)
    CustomFieldFactory(key="os", type=F.Type.MULTI_CHOICE, choices=["linux", "mac"])
    cleaned = clean_custom_fields({"seats": "12", "renewal": "2026-12-01", "urgent": "yes",
                                   "os": ["mac", "mac"]})
    assert cleaned == {"seats": 12, "renewal": "2026-12-01", "urgent": True, "os": ["mac"]}


def test_wrong_types_are_all_reported_at_once():
    CustomFieldFactory(key="seats", type=F.Type.INTEGER)
    CustomFieldFactory(key="plan", type=F.Type.CHOICE, choices=["free", "pro"])
    with pytest.raises(HeedfulError) as refused:
        clean_custom_fields({"seats": "many", "plan": "gold"})
    assert set(refused.value.fields) == {"custom_fields.seats", "custom_fields.plan"}
    assert refused.value.code == ErrorCode.INVALID


def test_unknown_field_is_refused():
    with pytest.raises(HeedfulError) as refused:
        clean_custom_fields({"nope": 1})
    assert refused.value.code == ErrorCode.UNKNOWN_FIELD


def test_customer_may_only_fill_customer_editable_fields():
    CustomFieldFactory(key="internal_score", type=F.Type.INTEGER)
    with pytest.raises(HeedfulError):
        clean_custom_fields({"internal_score": 3}, customer=True)


def test_required_field_missing_on_open_is_refused():
    CustomFieldFactory(key="order", required=True, customer_editable=True)
    with pytest.raises(HeedfulError) as refused:
        make_ticket(customer_form=True)
    assert "custom_fields.order" in refused.value.fields


def test_change_of_custom_field_is_on_the_timeline():
    CustomFieldFactory(key="order")
    ticket = make_ticket()
    (event,) = update_ticket(ticket=ticket, actor=make_agent().user,
                             changes={"custom_fields": {"order": "A-1"}})
    assert event.data == {"from": {}, "to": {"order": "A-1"}, "field": "custom_fields"}
