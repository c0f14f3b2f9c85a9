from __future__ import annotations

import pytest

from heedful.core.errors import ErrorCode, HeedfulError
from heedful.core.models import AuditLogEntry
from heedful.policy import Viewer
from heedful.tickets.models import SavedFilter
from heedful.tickets.saved_filters import (
    create_saved_filter,
    delete_saved_filter,
    params_for_queue,
)
from tests.factories import make_agent

pytestmark = pytest.mark.django_db


def viewer_of(agent) -> Viewer:
    return Viewer.for_user(agent.user)


def test_saved_filter_is_created_with_a_tidied_name_and_its_filters(agent):
    saved = create_saved_filter(viewer=viewer_of(agent), name="  Hot   stuff ",
                                params={"priority": "urgent,high", "sort": "-created"})
    assert saved.name == "Hot stuff" and saved.owner == agent.user and not saved.shared
    assert saved.params == {"priority": "urgent,high", "sort": "-created"}


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_saved_filter_needs_a_name_of_at_most_100_characters(agent, name):
    with pytest.raises(HeedfulError) as refused:
        create_saved_filter(viewer=viewer_of(agent), name=name, params={})
    assert refused.value.code == ErrorCode.INVALID and "name" in refused.value.fields
    assert not SavedFilter.objects.exists()


def test_saved_filter_refuses_keys_that_are_no_filter(agent):
    with pytest.raises(HeedfulError) as refused:
        create_saved_filter(viewer=viewer_of(agent), name="Odd", params={"spam": "1", "q": "x"})
    assert refused.value.fields == {"spam": ["Unknown filter."]}
    assert not SavedFilter.objects.exists()


@pytest.mark.parametrize("params", [{"status": "sleeping"}, {"team": "abc"}, {"sort": "random"},
                                    {"priority": ["urgent"]}])
def test_saved_filter_refuses_values_the_queue_would_refuse(agent, params):
    with pytest.raises(HeedfulError) as refused:
        create_saved_filter(viewer=viewer_of(agent), name="Odd", params=params)
    assert refused.value.code == ErrorCode.INVALID and set(refused.value.fields) == set(params)


def test_shared_saved_filter_is_audited_when_created_and_deleted(agent):
    saved = create_saved_filter(viewer=viewer_of(agent), name="Team view", params={},
                                shared=True)
    delete_saved_filter(viewer=viewer_of(agent), filter_id=saved.pk)
    actions = list(AuditLogEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["saved_filter.create", "saved_filter.delete"]


def test_owner_deletes_their_saved_filter(agent):
    saved = create_saved_filter(viewer=viewer_of(agent), name="Mine", params={})
    assert delete_saved_filter(viewer=viewer_of(agent), filter_id=saved.pk).name == "Mine"
    assert not SavedFilter.objects.exists()


def test_another_agents_personal_saved_filter_is_not_found_even_for_a_supervisor(agent, supervisor):
    saved = create_saved_filter(viewer=viewer_of(agent), name="Mine", params={})
    with pytest.raises(HeedfulError) as refused:
        delete_saved_filter(viewer=viewer_of(supervisor), filter_id=saved.pk)
    assert refused.value.code == ErrorCode.NOT_FOUND
    assert SavedFilter.objects.filter(pk=saved.pk).exists()


def test_agent_may_not_delete_a_filter_someone_else_shared(agent):
    saved = create_saved_filter(viewer=viewer_of(make_agent()), name="Shared", params={},
                                shared=True)
    with pytest.raises(HeedfulError) as refused:
        delete_saved_filter(viewer=viewer_of(agent), filter_id=saved.pk)
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    assert SavedFilter.objects.filter(pk=saved.pk).exists()


def test_supervisor_may_delete_a_filter_someone_else_shared(agent, supervisor):
    saved = create_saved_filter(viewer=viewer_of(agent), name="Shared", params={}, shared=True)
    delete_saved_filter(viewer=viewer_of(supervisor), filter_id=saved.pk)
    assert not SavedFilter.objects.exists()
    assert AuditLogEntry.objects.get(action="saved_filter.delete").actor == supervisor.user


def test_filter_saved_from_my_queue_keeps_meaning_mine_and_open(agent):
    params = params_for_queue(viewer_of(agent), "mine", {"priority": "urgent"})
    assert params["assignee"] == str(agent.user_id) and params["priority"] == "urgent"
    assert set(params["status"].split(",")) == {"new", "open", "pending", "on_hold"}


def test_filter_saved_from_a_saved_filter_keeps_what_that_one_filtered(agent):
    base = create_saved_filter(viewer=viewer_of(agent), name="Urgent", params={"priority": "urgent"})
    params = params_for_queue(viewer_of(agent), f"saved:{base.pk}", {"channel": "email"})
    assert params == {"priority": "urgent", "channel": "email"}


# The queue page is a thin caller of the actions above.

def test_supervisor_is_offered_delete_on_a_filter_an_agent_shared_and_it_works(client, agent,
                                                                             supervisor):
    saved = create_saved_filter(viewer=viewer_of(agent), name="Shared", params={}, shared=True)
    delete_url = f"/saved-filters/{saved.pk}/delete/"
    client.force_login(make_agent().user)
    assert delete_url not in client.get("/?queue=all").content.decode()
    client.force_login(supervisor.user)
    assert delete_url in client.get("/?queue=all").content.decode()
    assert client.post(delete_url).status_code == 302
    assert not SavedFilter.objects.exists()


def test_saving_a_filter_with_an_unknown_sort_is_refused_on_the_page(client, agent):
    client.force_login(agent.user)
    response = client.post("/saved-filters/", {"name": "Odd", "return_query": "queue=all&sort=random"})
    assert response.status_code == 400 and "Unknown sort order" in response.content.decode()
    assert not SavedFilter.objects.exists()
