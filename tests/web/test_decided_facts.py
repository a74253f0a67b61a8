"""Who decided a fact, and changing the decision from the fact's page (SYNTHETIC registry).

webcheck34: once a suggested fact was decided it left the queue, and no page said who had
decided it, when or why (the fact's history called the decided version "imported", with no
author), nor offered to change a mistaken decision: only the command line could.
"""

from __future__ import annotations

from calciscope import api


def _suggested(app, patient: str = "P0001"):
    items = api.review_queue(app.state.registry, kinds=["suggested_fact"], patient=patient)
    return items[0]


def test_the_fact_page_says_who_decided_and_a_decision_is_changed_with_its_version(app, signed_in):
    client = signed_in("clinician")
    item = _suggested(app)
    fact_id = item.fact_id
    # a suggested fact: no decision yet, a link to its item in the queue
    waiting = client.get(f"/facts/{fact_id}/correct").text
    assert 'data-testid="no-decisions"' in waiting and "it waits in the review queue" in waiting
    assert f'href="/review/items/fact%3A{fact_id}"' in waiting and 'id="redecide"' not in waiting
    reason = '<script>alert("x")</script> the letter says so'
    form = {"decision": "confirm", "reason": reason, "expected_version": item.version}
    assert client.post(f"/review/items/{item.item_id}/decision", data=form).status_code == 200

    page = client.get(f"/facts/{fact_id}/correct").text
    table = page[
        page.index('data-testid="decisions"') : page.index("</table>", page.index('id="decisions"'))
    ]
    assert "<td>cleo</td><td>confirm</td><td>suggested → confirmed</td>" in table
    escaped = 'class="why">&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; the letter says so'
    assert escaped in table and "<script>" not in table
    assert 'id="redecide"' in page and "Reject instead" in page
    assert f'name="expected_version" value="{item.version + 1}"' in page

    # changing the decision: sent with the version shown; a stale one changes nothing
    change = {"decision": "reject", "reason": "wrong letter", "expected_version": item.version + 1}
    done = client.post(f"/review/items/{item.item_id}/decision", data=change)
    assert done.status_code == 200 and "Fact rejected" in done.text
    stale = client.post(
        f"/review/items/{item.item_id}/decision", data=change | {"decision": "confirm"}
    )
    assert stale.status_code == 409 and "Conflict" in stale.text
    facts = {f.fact_id: f for f in api.patient_record(app.state.registry, "P0001").facts}
    assert facts[fact_id].review_state.value == "rejected"
    after = client.get(f"/facts/{fact_id}/correct").text
    assert "confirmed → rejected" in after and "wrong letter" in after
    assert "Confirm instead" in after
    decided = [r for r in api.review_history(app.state.registry) if r.fact_id == fact_id]
    assert [(r.reviewer, r.decision) for r in decided] == [("cleo", "confirm"), ("cleo", "reject")]
    # fix38: the history keeps who made the version (imported) and shows the decision beside it
    (version,) = api.fact_history(app.state.registry, fact_id)
    assert (version.action, version.author, version.reason) == ("imported", None, None)
    assert (version.decision, version.decided_by, version.decision_reason) == (
        "rejected",
        "cleo",
        "wrong letter",
    )
    assert version.decided_at == decided[-1].decided_at
    history = after[
        after.index("<h2>History</h2>") : after.index("</table>", after.index("<h2>History</h2>"))
    ]
    assert "<td>imported</td>" in history and "rejected by cleo at " in history
    assert ": wrong letter" in history


def test_the_patient_page_links_each_review_state_to_its_decisions(app, signed_in):
    client = signed_in("clinician")
    fact_id = _suggested(app).fact_id
    page = client.get("/patients/P0001").text
    assert f'href="/facts/{fact_id}/correct#decisions"' in page
    # researchers see the state, no link to a clinician's page
    researcher = signed_in("researcher")
    seen = researcher.get(f"/patients/{app.state.pseudonyms.of('P0001')}").text
    assert 'class="tag suggested"' in seen and "/correct#decisions" not in seen


def test_a_code_that_carries_its_system_is_shown_once(app, signed_in):
    # webcheck34: an HPO fact (system HP, code HP:0003761) showed as HP:HP:0003761
    facts = api.patient_record(app.state.registry, "P0001").facts
    hpo = next(f for f in facts if f.system == "HP" and f.code.startswith("HP:"))
    loinc = next((f for f in facts if f.system == "LOINC"), None)
    page = signed_in("clinician").get("/api/patients/P0001").json()
    codes = {f["fact_id"]: f["code"] for f in page["facts"]}
    assert codes[hpo.fact_id] == hpo.code and "HP:HP:" not in str(codes)
    if loinc is not None:
        assert codes[loinc.fact_id] == f"LOINC:{loinc.code}"
