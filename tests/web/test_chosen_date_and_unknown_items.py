"""hardening24: the patient page at a chosen index date; a decision on an unknown item is a 404.

SYNTHETIC registry (tests/web/conftest.py).
"""

from __future__ import annotations

import datetime as dt

from calciscope import api

CHOSEN = dt.date(2005, 6, 30)


def test_the_patient_page_and_its_criteria_take_the_chosen_index_date(app, signed_in):
    """The review queue, the API and ``patients show --explain --index-date`` take a chosen
    date; the patient page and its criteria ignored it and answered at the registry's."""
    client = signed_in("clinician")
    registry = app.state.registry
    default = api.registry_as_of(registry).date
    assert default != CHOSEN
    page = client.get("/api/patients/P0001", params={"index_date": CHOSEN.isoformat()}).json()
    assert page["index_date"] == CHOSEN.isoformat() and page["index_date_chosen"] is True
    assert page["as_of_source"] == "chosen"
    record = api.patient_record(registry, "P0001")
    after = [
        f
        for f in record.facts
        if f.effective_date and f.effective_date > CHOSEN and f.review_state.value != "rejected"
    ]
    assert after and page["facts_after"] == len(after)  # read as of the chosen date
    criteria = client.get(
        "/api/patients/P0001/criteria", params={"index_date": CHOSEN.isoformat()}
    ).json()
    expected = api.explain_patient(registry, "P0001", index_date=CHOSEN)
    assert criteria["index_date"] == CHOSEN.isoformat()
    assert [c["status"] for c in criteria["criteria"]] == [c.status for c in expected.criteria]
    shown = {p["id"]: p["value"] for p in criteria["phenotypes"]}
    assert shown == {
        p.id: p.value.isoformat() if hasattr(p.value, "isoformat") else p.value
        for p in expected.phenotypes
    }
    # the HTML page says the date and asks its criteria at that date
    html = client.get("/patients/P0001", params={"index_date": CHOSEN.isoformat()}).text
    assert f"as of {CHOSEN.isoformat()}" in html
    assert f"/patients/P0001/criteria?index_date={CHOSEN.isoformat()}" in html
    fragment = client.get("/patients/P0001/criteria", params={"index_date": CHOSEN.isoformat()})
    assert f"as of {CHOSEN.isoformat()}" in fragment.text
    # without a date: the registry's, as before (the chosen one is not kept in its place)
    plain = client.get("/api/patients/P0001/criteria").json()
    assert plain["index_date"] == default.isoformat()
    again = client.get("/api/patients/P0001").json()
    assert again["index_date"] == default.isoformat() and again["index_date_chosen"] is False
    assert "criteria?index_date" not in client.get("/patients/P0001").text


def test_a_chosen_date_the_api_refuses_is_a_422_naming_the_field(app, signed_in):
    client = signed_in("clinician")
    for path in ("/api/patients/P0001", "/api/patients/P0001/criteria"):
        answer = client.get(path, params={"index_date": "1800-01-01"})
        assert answer.status_code == 422, path
        assert answer.json()["problems"][0]["field"] == "index_date"


def test_a_review_item_links_to_the_patient_page_at_the_queue_s_date(app, signed_in):
    client = signed_in("clinician")
    queue = client.get(
        "/api/review", params={"kind": "all", "limit": 50, "index_date": CHOSEN.isoformat()}
    ).json()
    item = queue["items"][0]
    html = client.get(
        f"/review/items/{item['item_id']}", params={"index_date": CHOSEN.isoformat()}
    ).text
    assert f'href="/patients/{item["patient_id"]}?index_date={CHOSEN.isoformat()}"' in html
    plain = client.get(f"/review/items/{item['item_id']}").text
    assert f'href="/patients/{item["patient_id"]}"' in plain


def test_a_decision_on_an_unknown_item_is_a_404_not_a_422(app, signed_in):
    client = signed_in("clinician")
    before = len(api.review_history(app.state.registry))
    decidable = next(k.name for k in api.queue_kinds() if k.decidable)
    for item_id, message in (
        ("fact:Fnope", "no such fact"),
        ("Fnope", "no such fact"),  # a bare fact id
        (f"{decidable}:P9999", "no such patient"),
        ("no_such_kind:P0001", "expected fact:<fact id> or <kind>:<patient id>"),
    ):
        body = {"decision": "confirm", "reason": "seen in the letter"}
        if item_id.startswith(decidable):
            body["decision"] = "acknowledge"
        answer = client.post(f"/api/review/items/{item_id}/decision", json=body)
        assert answer.status_code == 404, (item_id, answer.text[:200])
        [problem] = answer.json()["problems"]
        assert problem["field"] == "item_id" and message in problem["message"]
        form = client.post(
            f"/review/items/{item_id}/decision", data={"decision": body["decision"], "reason": "x"}
        )
        assert form.status_code == 404 and message in form.text.replace("&lt;", "<").replace(
            "&gt;", ">"
        )
    # an unknown item with bad input besides (no reason) is still bad input: 422, both named
    answer = client.post(
        "/api/review/items/fact:Fnope/decision", json={"decision": "confirm", "reason": ""}
    )
    assert answer.status_code == 422
    assert {p["field"] for p in answer.json()["problems"]} == {"reason", "item_id"}
    assert len(api.review_history(app.state.registry)) == before  # nothing written
