"""hardening34: a review item id of the wrong shape is bad input (422), an unknown one a 404.

``POST /api/review/items/%%%garbage/decision`` answered 404 "expected fact:<fact id> or
<kind>:<patient id>" as if it named an item that is not there; an id of no item id's shape is
now a 422 naming the field ``item_id``, on the decision (JSON and form) and on the item's page.
An id of the right shape that names nothing stays a 404 (test_chosen_date_and_unknown_items).
SYNTHETIC registry (tests/web/conftest.py).
"""

from __future__ import annotations

import pytest

from calciscope import api
from calciscope.errors import NotFoundError, ValidationError

MALFORMED = [
    "%%%garbage",  # typed as the brief's example; the client sends it as written
    "garbage",  # no kind, not a fact id
    "fact:",  # a kind with no id
    "suggested_case:",  # the same for a patient item
    "fact:F1 2",  # a space inside the id
    "Kind:P0001",  # a kind is written in lower case
    "fact:" + "F" * 400,  # far longer than any id
]


@pytest.mark.parametrize("item_id", MALFORMED)
def test_a_decision_on_a_malformed_item_id_is_a_422_naming_item_id(app, signed_in, item_id):
    client = signed_in("clinician")
    before = len(api.review_history(app.state.registry))
    body = {"decision": "confirm", "reason": "seen in the letter"}
    answer = client.post(f"/api/review/items/{item_id}/decision", json=body)
    assert answer.status_code == 422, (item_id, answer.text[:200])
    [problem] = answer.json()["problems"]
    assert problem["field"] == "item_id"
    assert (
        "not a review item id: expected fact:<fact id> or <kind>:<patient id>"
        in (problem["message"])
    )
    form = client.post(
        f"/review/items/{item_id}/decision", data={"decision": "confirm", "reason": "x"}
    )
    assert form.status_code == 422 and "not a review item id" in form.text
    assert len(api.review_history(app.state.registry)) == before  # nothing written


@pytest.mark.parametrize("item_id", ["garbage", "fact:", "suggested_case:"])
def test_the_page_of_a_malformed_item_id_is_a_422_and_of_an_unknown_one_a_404(
    app, signed_in, item_id
):
    client = signed_in("clinician")
    answer = client.get(f"/review/items/{item_id}")
    assert answer.status_code == 422 and "not a review item id" in answer.text
    assert client.get("/review/items/fact:Fnope").status_code == 404
    assert client.get("/review/items/suggested_case:P9999").status_code == 404


def test_the_python_api_tells_a_malformed_id_from_an_unknown_one(app):
    registry = app.state.registry
    with pytest.raises(ValidationError) as caught:
        api.review_queue_item(registry, "%%%garbage")
    assert not isinstance(caught.value, NotFoundError)
    assert caught.value.problems[0].field == "item_id"
    with pytest.raises(NotFoundError):
        api.review_queue_item(registry, "fact:Fnope")
