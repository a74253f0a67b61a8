"""Every page and its JSON twin, as the role that uses it (SYNTHETIC registry)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile

import pytest

from calciscope import api


def _calcinosis_item(app):
    items = [i for i in app.state.queues.get(("suggested_fact", None, None)) if i.evidence]
    return next(i for i in items if i.patient_id == "P0001" and "calcinosis" in i.reason.lower())


def test_login_page_and_form_sign_in_writes_audit(app):
    from web_client import PASSWORDS, client_for

    client = client_for(app)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    wrong = client.post("/login", data={"name": "cleo", "password": "no", "csrf_token": token})
    assert wrong.status_code == 401 and "Wrong name or password" in wrong.text
    right = {"name": "cleo", "password": PASSWORDS["cleo"][1], "csrf_token": token}
    response = client.post("/login", data=right)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert [e.action for e in api.audit_log(app.state.registry, actor="cleo")][:2] in (
        ["login", "login_failed"],
        ["login_failed", "login"],
    )


@pytest.mark.slow
def test_dashboard(app, signed_in):
    client = signed_in("researcher")
    # the queue and the study numbers are computed in the background; here, now
    app.state.queues.get((None, None, app.state.as_of.date))  # the dashboard's key
    app.state.overview.get("default")
    data = client.get("/api/").json()
    assert data["counts"]["patients"] == 40
    assert data["queue"]["suggested_fact"] > 0
    assert data["overview"]["attrition"][0]["count"] == 40
    assert {p["id"] for p in data["overview"]["phenotypes"]} >= {"calcinosis_any"}
    page = client.get("/")
    assert page.status_code == 200 and "Patients in the registry" in page.text
    assert 'data-queue="suggested_fact"' in page.text and "hx-get" not in page.text
    # each box's share says of what, as the report's flow: the cases come from the source
    # population, not from the box above them
    steps = data["overview"]["attrition"]
    source, cases = steps[2]["count"], steps[-1]["count"]
    if cases:
        assert f"{100 * cases / source:.1f}% of the source population" in page.text
    below = steps[1]["count"] / steps[0]["count"]
    assert f"{100 * below:.1f}% of the step before" in page.text


def test_patient_list_filters_search_and_pages(app, signed_in):
    client = signed_in("clinician")
    everyone = client.get("/api/patients", params={"size": 10}).json()
    assert everyone["total"] == 40 and len(everyone["rows"]) == 10 and everyone["pages"] == 4
    women = client.get("/api/patients", params={"where": "sex=female", "size": 200}).json()
    assert 0 < women["matching"] < 40
    assert all(r["sex"] == "female" for r in women["rows"])
    found = client.get("/api/patients", params={"q": "P0001"}).json()
    assert [r["patient_id"] for r in found["rows"]] == ["P0001"]
    bad = client.get("/api/patients", params={"where": "no_such_column=1"})
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "no_such_column"
    assert "P0001" in client.get("/patients", params={"q": "P0001"}).text


def test_patient_page_and_criteria(app, signed_in):
    client = signed_in("clinician")
    data = client.get("/api/patients/P0001").json()
    assert data["facts"] and data["timeline"]
    assert any(f["review_state"] == "suggested" and f["evidence"] for f in data["facts"])
    page = client.get("/patients/P0001").text
    assert "<mark>calcinosis</mark>" in page.lower() or "<mark>" in page
    reads = api.audit_log(app.state.registry, actor="cleo", action="patient_read")
    assert reads and reads[0].target == "P0001"
    criteria = client.get("/api/patients/P0001/criteria").json()
    sets = {c["criteria_set"] for c in criteria["criteria"]}
    assert {"ssc2013", "leroy"} <= sets
    assert all(c["items"] or c["criteria_set"] == "leroy" for c in criteria["criteria"])
    assert {p["id"] for p in criteria["phenotypes"]} >= {"calcinosis_any"}
    # score bounds and what could flip an undecided set, in the JSON and on the page
    undecided = [c for c in criteria["criteria"] if not c["decided"]]
    assert undecided and all(c["could_flip"] for c in undecided)
    assert all(c["score_min"] <= c["score_max"] for c in undecided if c["score_min"] is not None)
    panel = client.get("/patients/P0001/criteria").text
    assert "could flip" in panel and undecided[0]["could_flip"][0] in panel


def test_review_queue_item_and_decision(app, signed_in):
    client = signed_in("clinician")
    queue = client.get("/api/review", params={"kind": "suggested_fact"}).json()
    assert queue["total"] > 0 and queue["items"][0]["reason"]
    item = _calcinosis_item(app)
    detail = client.get(f"/review/items/{item.item_id}", params={"patient": "P0001"}).text
    assert 'class="sentence"' in detail and 'class="match"' in detail
    response = client.post(
        f"/review/items/{item.item_id}/decision",
        data={
            "decision": "confirm",
            "reason": "seen in the letter",
            "expected_version": item.version,
        },
    )
    assert response.status_code == 200 and "Fact confirmed" in response.text
    facts = {f.fact_id: f for f in api.patient_record(app.state.registry, "P0001").facts}
    assert facts[item.fact_id].review_state.value == "confirmed"
    entry = api.audit_log(app.state.registry, actor="cleo")[-1]
    assert item.fact_id in entry.target


def test_review_queue_pages(app, signed_in):
    client = signed_in("clinician")
    whole = api.review_queue(app.state.registry, kinds=["suggested_fact"])
    page = client.get("/api/review", params={"limit": 3, "offset": 2}).json()
    assert page["total"] == len(whole) and page["by_kind"] == {"suggested_fact": len(whole)}
    assert [i["item_id"] for i in page["items"]] == [i.item_id for i in whole[2:5]]
    html = client.get("/review", params={"limit": 3, "offset": 3}).text
    assert "previous 3 items" in html and "next 3 items" in html
    assert f"Items 4–6 of {len(whole)}" in html
    every = client.get("/api/review", params={"kind": "all", "limit": 500}).json()
    assert every["total"] == len(api.review_queue(app.state.registry))
    for bad in ({"limit": 0}, {"offset": -1}, {"limit": 501}, {"kind": "nope"}):
        assert client.get("/api/review", params=bad).status_code == 422, bad


def test_patient_list_follows_a_decision_at_once(app, signed_in):
    client = signed_in("clinician")
    where = {"where": ["calcinosis=true", "sex!=unknown"], "size": 200}  # 2 clauses: 1 key
    before = client.get("/api/patients", params=where).json()
    item = _calcinosis_item(app)
    body = {"decision": "confirm", "reason": "in the letter", "expected_version": item.version}
    assert client.post(f"/api/review/items/{item.item_id}/decision", json=body).status_code == 200
    after = client.get("/api/patients", params=where).json()
    # the same rows a fresh computation in the registry gives, P0001 among them now
    table, total = api.list_patients(app.state.registry, where=where["where"])
    fresh = table.select(list(after["columns"])).to_pylist()
    assert [r["patient_id"] for r in after["rows"]] == [r["patient_id"] for r in fresh]
    assert after["total"] == total and before["total"] == total
    mine = client.get("/api/patients", params={"q": "P0001"}).json()["rows"]
    table, _ = api.list_patients(app.state.registry, where=["patient_id=P0001"])
    expected = [
        {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}
        for row in table.select(list(after["columns"])).to_pylist()
    ]
    assert mine == expected


def test_a_second_decision_on_the_same_version_is_a_conflict(app, signed_in):
    first, second = signed_in("clinician"), signed_in("clinician")
    item = _calcinosis_item(app)
    body = {"decision": "reject", "reason": "not calcinosis", "expected_version": item.version}
    assert first.post(f"/api/review/items/{item.item_id}/decision", json=body).status_code == 200
    late = second.post(f"/api/review/items/{item.item_id}/decision", json=body)
    assert late.status_code == 409 and late.json()["detail"]
    form = {"decision": "confirm", "reason": "yes", "expected_version": item.version}
    html = second.post(f"/review/items/{item.item_id}/decision", data=form)
    assert html.status_code == 409 and "Conflict" in html.text
    assert "decide again. Nothing was changed" in html.text


def test_a_decision_without_a_version_never_overturns_one(app, signed_in):
    # a form or script that sends no expected_version decides only an item still waiting
    first, second = signed_in("clinician"), signed_in("clinician")
    item = _calcinosis_item(app)
    body = {"decision": "reject", "reason": "not calcinosis", "expected_version": item.version}
    assert first.post(f"/api/review/items/{item.item_id}/decision", json=body).status_code == 200
    late = second.post(
        f"/api/review/items/{item.item_id}/decision", json={"decision": "confirm", "reason": "yes"}
    )
    assert late.status_code == 409 and "already rejected" in late.json()["detail"]
    form = {"decision": "confirm", "reason": "yes", "expected_version": ""}
    html = second.post(f"/review/items/{item.item_id}/decision", data=form)
    assert html.status_code == 409 and "already rejected" in html.text
    facts = {f.fact_id: f for f in api.patient_record(app.state.registry, "P0001").facts}
    assert facts[item.fact_id].review_state.value == "rejected"
    # an item still waiting is decided without a version, as before
    other = next(
        i
        for i in api.review_queue(app.state.registry, kinds=["suggested_fact"])
        if i.item_id != item.item_id
    )
    fresh = first.post(
        f"/api/review/items/{other.item_id}/decision", json={"decision": "reject", "reason": "no"}
    )
    assert fresh.status_code == 200 and fresh.json()["record"]["new_state"] == "rejected"


def test_reject_needs_a_reason(app, signed_in):
    client = signed_in("clinician")
    item = _calcinosis_item(app)
    body = {"decision": "reject", "reason": "", "expected_version": item.version}
    response = client.post(f"/api/review/items/{item.item_id}/decision", json=body)
    assert response.status_code == 422
    assert any(p["field"] == "reason" for p in response.json()["problems"])


def test_fact_entry_and_correction(app, signed_in):
    client = signed_in("clinician")
    assert 'name="code"' in client.get("/facts/new", params={"patient": "P0001"}).text
    bad = client.post(
        "/facts/new",
        data={"patient_id": "P0001", "system": "NOPE", "code": "x", "reason": "test"},
    )
    assert bad.status_code == 422 and 'data-field="system"' in bad.text
    fields = {
        "patient_id": "P0001",
        "system": "calciscope",
        "code": "calcinosis",
        "status": "present",
        "effective_date": "2023-05-01",
        "body_site": "hand",
        "reason": "seen in clinic",
    }
    added = client.post("/facts/new", data=fields)
    assert added.status_code == 303, added.text
    new = next(
        f for f in api.patient_record(app.state.registry, "P0001").facts
        if f.effective_date and f.effective_date.isoformat() == "2023-05-01" and f.code == "calcinosis"
    )  # fmt: skip
    form = client.get(f"/facts/{new.fact_id}/correct").text
    version = re.search(r'name="expected_version" value="(\d+)"', form).group(1)
    corrected = client.post(
        f"/facts/{new.fact_id}/correct",
        data=fields | {"body_site": "wrist", "reason": "wrong site", "expected_version": version},
    )
    assert corrected.status_code == 303, corrected.text
    history = client.get(f"/api/facts/{new.fact_id}/history").json()
    assert len(history) == 2 and history[0]["superseded_by"]
    json_bad = client.post("/api/facts", json={"fields": {"patient_id": "P0001"}, "reason": "x"})
    assert json_bad.status_code == 422
    assert {p["field"] for p in json_bad.json()["problems"]} >= {"system"}


def test_fact_form_takes_the_reference_high(app, signed_in):
    """The laboratory's ULN is entered with the value (issue 12); a negative one is refused."""
    client = signed_in("clinician")
    assert 'name="reference_high"' in client.get("/facts/new", params={"patient": "P0001"}).text
    fields = {
        "patient_id": "P0001", "system": "LOINC", "code": "2157-6", "status": "present",
        "effective_date": "2023-06-01", "value_num": "250", "unit": "U/L", "reason": "lab",
    }  # fmt: skip
    bad = client.post("/facts/new", data=fields | {"reference_high": "-1"})
    assert bad.status_code == 422 and 'data-field="reference_high"' in bad.text
    added = client.post("/facts/new", data=fields | {"reference_high": "200"})
    assert added.status_code == 303, added.text
    (fact,) = [
        f for f in api.patient_record(app.state.registry, "P0001").facts
        if f.code == "2157-6" and f.effective_date and f.effective_date.isoformat() == "2023-06-01"
    ]  # fmt: skip
    assert fact.reference_high == 200.0
    form = client.get(f"/facts/{fact.fact_id}/correct").text
    assert 'name="reference_high" type="text" value="200.0"' in form
    # emptying the field clears the ULN: a new fact supersedes, the old one keeps its 200
    version = re.search(r'name="expected_version" value="(\d+)"', form).group(1)
    data = fields | {"reference_high": "", "reason": "not this test's range"}
    cleared = client.post(
        f"/facts/{fact.fact_id}/correct", data=data | {"expected_version": version}
    )
    assert cleared.status_code == 303, cleared.text
    history = client.get(f"/api/facts/{fact.fact_id}/history").json()
    assert [h["fact"]["reference_high"] for h in history] == [200.0, None]


def test_patient_page_shows_each_lab_value_s_uln_and_where_it_comes_from(app, signed_in):
    """The facts table shows the ULN the IIM enzyme item compares a value with: the
    laboratory's when recorded, else the default table's for the patient's sex and age (issue 12;
    the lookup is the api's, the page only shows it)."""
    client = signed_in("clinician")
    fields = {
        "patient_id": "P0001", "system": "LOINC", "code": "2157-6", "status": "present",
        "value_num": "250", "unit": "U/L", "reason": "lab",
    }  # fmt: skip
    own = fields | {"effective_date": "2023-06-01", "reference_high": "200"}
    assert client.post("/facts/new", data=own).status_code == 303
    assert (
        client.post("/facts/new", data=fields | {"effective_date": "2023-07-01"}).status_code == 303
    )
    patient = api.patient_record(app.state.registry, "P0001").patient
    page = client.get("/patients/P0001").text
    assert "upper limit of normal" in page
    assert "ULN 200 U/L (the laboratory&#39;s, recorded with the value)" in page
    data = client.get("/api/patients/P0001").json()
    uln = {f["date"]: f["uln"] for f in data["facts"] if f["code"] == "LOINC:2157-6"}
    assert uln["2023-06-01"]["source"] == "laboratory"
    assert uln["2023-07-01"]["source"] == "default"
    shown = uln["2023-07-01"]["text"]
    assert shown in page
    default = re.fullmatch(r"ULN ([0-9-]+) U/L \(default table for ([^;]+); none recorded\)", shown)
    assert default is not None, shown
    age, born = 2023 - patient.birth_year, patient.birth_date
    if born is not None:  # exact: the birthday may fall after the test's 1 July
        age -= (born.month, born.day) > (7, 1)
    ages = f"aged {age}" if born else f"aged {age - 1}-{age}"
    assert default.group(2) == f"{patient.sex.value}, {ages}"
    # CK: women 210; men 400 below 50 y, 280 from 50 (features.yaml, NORIP)
    expected = {
        "female": "210",
        "male": "280" if age - 1 >= 50 else "400" if age < 50 else "280-400",
    }
    assert default.group(1) == expected[patient.sex.value]


def test_users_admin(app, signed_in):
    client = signed_in("admin")
    assert {u["name"] for u in client.get("/api/admin/users").json()["users"]} >= {"cleo"}
    added = client.post(
        "/api/admin/users", json={"name": "nina", "role": "clinician", "password": "long-pass-9876"}
    )
    assert added.status_code == 200 and added.json()["role"] == "clinician"
    bad = client.post("/api/admin/users", json={"name": "x", "role": "king", "password": "p"})
    assert bad.status_code == 422 and "role" in {p["field"] for p in bad.json()["problems"]}
    assert client.post("/api/admin/users/nina/disable").json()["active"] is False
    # an admin cannot lock themselves out (the page shows no button; the server refuses too)
    for path in ("/api/admin/users/ada/disable", "/admin/users/ada/disable"):
        refused = client.post(path)
        assert refused.status_code == 422 and "yourself" in refused.text, path
    assert client.get("/api/admin/users").status_code == 200


def test_audit_view_and_export(app, signed_in):
    signed_in("clinician").get("/api/patients/P0001")
    client = signed_in("admin")
    assert "patient_read" in client.get("/admin/audit").text
    imported = client.get("/api/admin/audit", params={"action": "import"}).json()["entries"]
    assert [e["target"].endswith("cohort") for e in imported] == [True]  # the fixture's import
    newest = client.get("/api/admin/audit", params={"limit": 2}).json()["entries"]
    oldest = client.get("/api/admin/audit", params={"order": "oldest", "limit": 2}).json()
    every = api.audit_log(app.state.registry, limit=None)
    assert [e["entry_id"] for e in newest] == [e.entry_id for e in every[::-1][:2]]
    assert [e["entry_id"] for e in oldest["entries"]] == [e.entry_id for e in every[:2]]
    assert client.get("/api/admin/audit", params={"order": "sideways"}).status_code == 422
    response = client.get("/admin/audit.csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert any(r["action"] == "patient_read" and r["target"] == "P0001" for r in rows)
    assert api.audit_log(app.state.registry, action="export")[-1].target == "audit_log"


@pytest.mark.slow
def test_study_run_report_and_bundle(app, signed_in):
    client = signed_in("clinician")
    bad = client.post("/api/study/runs", files={"study_file": ("s.yaml", b"title: [unclosed")})
    assert bad.status_code == 422
    run = client.post("/api/study/runs").json()
    assert run["headline"] and run["title"]
    page = client.get(f"/study/runs/{run['run_id']}").text
    assert "source population" in page
    assert client.get(f"/study/runs/{run['run_id']}/report/index.html").status_code == 200
    assert client.get(f"/study/runs/{run['run_id']}/report/../run.json").status_code == 404
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(f"/study/runs/{run['run_id']}/bundle.zip").content)
    )
    assert "index.html" in archive.namelist()
    actions = [e.action for e in api.audit_log(app.state.registry, actor="cleo")]
    assert "study_run" in actions and "export" in actions
    researcher = signed_in("researcher")
    assert researcher.get(f"/study/runs/{run['run_id']}/report/index.html").status_code == 403


def test_queue_count_and_phenotype_follow_a_decision_at_once(app, signed_in):
    client = signed_in("clinician")
    item = _calcinosis_item(app)
    mine = {"patient": item.patient_id}
    before = client.get("/api/review").json()["by_kind"]["suggested_fact"]
    before_mine = client.get("/api/review", params=mine).json()["total"]
    other = next(i for i in api.review_queue(app.state.registry) if i.patient_id != "P0001")
    client.get(f"/api/patients/{other.patient_id}/criteria")  # kept: not the decided patient
    client.get("/api/patients/P0001/criteria")
    kept = app.state.explanations.get("P0001")
    body = {"decision": "confirm", "reason": "in the letter", "expected_version": item.version}
    assert client.post(f"/api/review/items/{item.item_id}/decision", json=body).status_code == 200
    # the kept counts are one less at once (no recount lagging behind), and equal the registry's
    after = client.get("/api/review").json()["by_kind"]["suggested_fact"]
    counted = api.review_queue_counts(app.state.registry, kinds=["suggested_fact"])
    assert after == before - 1 == counted["suggested_fact"]
    assert client.get("/api/review", params=mine).json()["total"] == before_mine - 1
    every = client.get("/api/review", params={"kind": "all", "limit": 500}).json()
    assert item.item_id not in {i["item_id"] for i in every["items"]}
    # the decided patient's explanation is computed again (the registry's, as of the decision);
    # another patient's is kept
    phenotypes = client.get("/api/patients/P0001/criteria").json()["phenotypes"]
    assert app.state.explanations.get("P0001") is not kept
    fresh = api.explain_patient(app.state.registry, "P0001").phenotypes
    shown = {p["id"]: p["value"] for p in phenotypes}
    assert shown["calcinosis_any"] == next(p.value for p in fresh if p.id == "calcinosis_any")
    assert other.patient_id in app.state.explanations._items


def test_a_rejected_suggestion_keeps_the_patients_explanation_and_list_row(app, signed_in):
    """Rejecting a suggested fact changes no counted fact: nothing of the patient is computed
    again but the page's record, which shows the decision."""
    client = signed_in("clinician")
    item = _calcinosis_item(app)
    client.get("/api/patients/P0001/criteria")
    kept = app.state.explanations.get("P0001")
    client.get("/api/patients")  # the list's table, computed
    page = app.state.patients.get("P0001")
    body = {"decision": "reject", "reason": "not in the letter", "expected_version": item.version}
    assert client.post(f"/api/review/items/{item.item_id}/decision", json=body).status_code == 200
    assert app.state.explanations.get("P0001") is kept
    assert not app.state.patient_table._dirty  # the list row is not computed again
    fresh = api.explain_patient(app.state.registry, "P0001")
    assert [(p.id, p.value) for p in kept.value.phenotypes] == [
        (p.id, p.value) for p in fresh.phenotypes
    ]
    assert app.state.patients.get("P0001") is not page
    facts = client.get("/api/patients/P0001").json()["facts"]
    assert {f["fact_id"]: f["review_state"] for f in facts}[item.fact_id] == "rejected"


def test_a_bad_parameter_on_a_page_is_shown_as_a_page(app, signed_in):
    """A value FastAPI refuses (page=0, limit=abc) names its field in HTML; the API keeps JSON."""
    client = signed_in("clinician")
    for path, params, field in (
        ("/patients", {"page": "0"}, "page"),
        ("/review", {"limit": "abc"}, "limit"),
        ("/review", {"offset": "-1"}, "offset"),
    ):
        response = client.get(path, params=params)
        assert response.status_code == 422 and response.headers["content-type"].startswith(
            "text/html"
        ), (path, params)
        assert f"<strong>{field}</strong>" in response.text and "Cannot do that" in response.text
    api_twin = client.get("/api/patients", params={"page": "0"})
    assert api_twin.status_code == 422 and api_twin.json()["detail"][0]["loc"] == ["query", "page"]
    # the review form sends its decision with HTMX: a fragment for the outcome, escaped
    item = _calcinosis_item(app)
    fragment = client.post(
        f"/review/items/{item.item_id}/decision",
        data={"decision": "confirm", "reason": "x", "expected_version": "<b>2</b>"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 422 and "<html" not in fragment.text
    assert "expected_version:" in fragment.text and "<b>" not in fragment.text


def test_patient_page_kept_between_reads_follows_a_decision_and_audits_every_read(app, signed_in):
    """The patient is read once and its page made once per view, yet every read is audited,
    a decision on it shows at once, and a researcher's view never reuses a clinician's."""
    client = signed_in("clinician")
    item = _calcinosis_item(app)
    pid = item.patient_id

    def reads() -> int:
        return len(api.audit_log(app.state.registry, action="patient_read", limit=None))

    before = reads()
    first = client.get(f"/api/patients/{pid}").json()
    kept = app.state.patients.get(pid)
    html = client.get(f"/patients/{pid}").text
    assert client.get(f"/api/patients/{pid}").json() == first
    assert app.state.patients.get(pid) is kept  # not read again from the registry
    assert reads() == before + 3  # the page was kept, the reads were each audited
    assert "correct</a>" in html and client.headers["X-CSRF-Token"] in html
    states = {f["fact_id"]: f["review_state"] for f in first["facts"]}
    assert states[item.fact_id] == "suggested"
    body = {"decision": "reject", "reason": "not in the letter", "expected_version": item.version}
    assert client.post(f"/api/review/items/{item.item_id}/decision", json=body).status_code == 200
    after = client.get(f"/api/patients/{pid}").json()
    assert {f["fact_id"]: f["review_state"] for f in after["facts"]}[item.fact_id] == "rejected"
    assert app.state.patients.get(pid) is not kept
    # the researcher's view of the same kept patient: a pseudonym, no note text, no links
    researcher = signed_in("researcher")
    pseudonym = app.state.pseudonyms.of(pid)
    seen = researcher.get(f"/api/patients/{pseudonym}").json()
    assert seen["patient"]["id"] == pseudonym and seen["notes_hidden"]
    assert all(n["segments"] is None for n in seen["notes"])
    page = researcher.get(f"/patients/{pseudonym}").text
    assert f"Patient {pseudonym}" in page and "correct</a>" not in page


def test_a_form_field_named_like_a_dict_method_does_not_shadow_it() -> None:
    """Templates read dict keys first, but ``entered.get(...)`` stays the method (a posted
    field named ``get`` gave a 500)."""
    from calciscope.web.pages import TEMPLATES

    page = TEMPLATES.from_string("{{ entered.get('area', '-') }} {{ entered.date }}")
    assert page.render(entered={"get": "x", "date": "2024-01-02"}) == "- 2024-01-02"


def test_patient_list_shows_unknown_as_unknown(app, signed_in):
    client = signed_in("clinician")
    rows = client.get("/api/patients", params={"size": 200}).json()["rows"]
    assert any(v is None for r in rows for v in r.values())  # some values are unknown
    html = client.get("/patients", params={"size": 200}).text
    assert '<td class="unknown">unknown</td>' in html and "<td></td>" not in html


def test_the_queue_states_the_date_its_patient_items_are_evaluated_at(app, signed_in):
    client = signed_in("clinician")
    default = api.queue_index_date(app.state.registry)
    assert default == dt.date.today()  # no as-of date set for this registry (fixes17)
    data = client.get("/api/review", params={"kind": "all", "limit": 500}).json()
    assert data["index_date"] == default.isoformat() and data["index_date_chosen"] is False
    assert data["as_of_source"] == "today"
    counts = api.review_queue_counts(app.state.registry, index_date=default)
    assert data["by_kind"] == {k: n for k, n in counts.items() if n}
    html = client.get("/review", params={"kind": "all"}).text
    assert f"<strong>as of {default.isoformat()} (today: no as-of date is set" in html
    chosen = client.get("/review", params={"kind": "all", "index_date": "2025-06-30"})
    assert "<strong>as of 2025-06-30 (chosen)</strong>" in chosen.text
    later = client.get("/api/review", params={"kind": "all", "index_date": "2025-06-30"}).json()
    wanted = api.review_queue_counts(app.state.registry, index_date=dt.date(2025, 6, 30))
    assert later["by_kind"] == {k: n for k, n in wanted.items() if n}
    assert client.get("/api/review", params={"index_date": "2030-02-30"}).status_code == 422


def test_a_prompt_is_marked_reviewed_never_confirmed(app, signed_in):
    client = signed_in("clinician")
    items = client.get("/api/review", params={"kind": "all", "limit": 500}).json()["items"]
    kinds = {k.name: k for k in api.queue_kinds()}
    prompts = [i for i in items if i["fact_id"] is None]
    assert any(kinds[i["kind"]].decidable for i in prompts)
    for item in prompts:
        html = client.get(f"/review/items/{item['item_id']}").text
        assert "Confirm" not in html and "diagnosis" in html
        if kinds[item["kind"]].decidable:
            assert 'value="acknowledge" id="confirm">Mark reviewed' in html
        else:  # a possible case leaves the queue as its suggested facts are decided
            assert 'data-testid="not-decided-here"' in html and "<form" not in html
    fact = next(i for i in items if i["fact_id"])
    assert "Confirm fact" in client.get(f"/review/items/{fact['item_id']}").text
    prompt = next(i for i in prompts if kinds[i["kind"]].decidable)
    done = client.post(
        f"/review/items/{prompt['item_id']}/decision",
        data={"decision": "acknowledge", "reason": "looked at", "expected_version": 0},
    )
    assert done.status_code == 200 and "Marked reviewed" in done.text
    assert "onfirm" not in done.text


def test_confirm_on_a_patient_item_is_refused_with_a_message(app, signed_in):
    """Regression (fixes15): the api mapped confirm on a prompt to acknowledge silently."""
    client = signed_in("clinician")
    before = len(api.review_history(app.state.registry))
    response = client.post(
        "/api/review/items/at_risk:P0001/decision",
        json={"decision": "confirm", "reason": "seen", "expected_version": 0},
    )
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["field"] == "decision" and "use acknowledge" in problem["message"]
    assert len(api.review_history(app.state.registry)) == before


def test_the_patient_page_evaluates_at_the_queue_s_date_and_says_so(app, signed_in):
    """Regression (fixes15): the patient page evaluated at today, the queue at the study's date.

    One patient could be an at-risk prompt in the queue and not at risk on its page. Both now
    take ``api.default_index_date()``, and the page says which date its answer is as of.
    """
    client = signed_in("clinician")
    when = api.default_index_date(app.state.registry)
    assert api.queue_index_date(app.state.registry) == when
    queue = client.get("/api/review", params={"kind": "all", "limit": 500}).json()
    assert queue["index_date"] == when.isoformat()
    pid = next((i["patient_id"] for i in queue["items"] if i["fact_id"] is None), "P0001")
    criteria = client.get(f"/api/patients/{pid}/criteria").json()
    assert criteria["index_date"] == when.isoformat()  # was today's date
    # the same answer the queue's classification gives at that date
    expected = api.explain_patient(app.state.registry, pid, index_date=when)
    shown = {p["id"]: p["value"] for p in criteria["phenotypes"]}
    assert shown["at_risk_prompt"] == expected_value(expected, "at_risk_prompt")
    assert [c["status"] for c in criteria["criteria"]] == [c.status for c in expected.criteria]
    assert f"as of {when.isoformat()}" in client.get(f"/patients/{pid}/criteria").text
    assert f"as of {when.isoformat()}" in client.get(f"/patients/{pid}").text
    # and the patient list's row is read at the same date
    listed = client.get("/api/patients", params={"size": 200}).json()
    assert listed["index_date"] == when.isoformat()
    [row] = [r for r in listed["rows"] if r["patient_id"] == pid]
    features = api.patient_features(app.state.registry, [pid], index_date=when).to_pylist()[0]
    assert row["calcinosis_any"] == features["calcinosis_any"]


def expected_value(explanation, phenotype):
    value = next(p.value for p in explanation.phenotypes if p.id == phenotype)
    return value.isoformat() if hasattr(value, "isoformat") else value


def test_the_patient_page_says_how_many_facts_are_after_its_date(app, signed_in, tmp_path):
    """review16 item 3: a patient born 2024 with calcinosis in 2025 showed every criterion
    undetermined as of the study's 2023-12-31 beside a timeline with the 2025 calcinosis, and
    the page did not say the facts after the date were not read (SYNTHETIC patient K1)."""
    when = dt.date(2023, 12, 31)
    api.set_registry_as_of(app.state.registry, when)
    later = dt.date(when.year + 1, 1, 1)
    folder = tmp_path / "k1"
    folder.mkdir()
    (folder / "patients.csv").write_text(
        f"patient_id,sex,birth_date,synthetic\nK1,female,{later.isoformat()},true\n"
    )
    (folder / "facts.csv").write_text(
        "patient_id,system,code,status,effective_date\n"
        f"K1,HP,HP:0003761,present,{dt.date(when.year + 1, 6, 1).isoformat()}\n"
        f"K1,HP,HP:0030880,present,{dt.date(when.year + 1, 7, 1).isoformat()}\n"
    )
    api.import_directory(app.state.registry, folder)
    page = signed_in("clinician").get("/patients/K1").text
    assert f"read as of {when.isoformat()}: 2 of this patient's facts are dated after it" in page
    assert "the patient was born after it" in page
    # a patient all of whose facts are read gets no such line
    assert 'data-testid="after-as-of"' not in signed_in("clinician").get("/patients/P0001").text


def test_the_registry_s_as_of_date_is_the_web_s_and_the_cli_s(app, signed_in):
    """fixes17: one as-of date per registry, read by the web app and ``patients show --explain``.

    The web app took the shipped study's 2023-12-31 for every registry while the CLI took
    today: two answers for one patient. Not set, both take today and say so; set (here as
    ``calciscope registry set-as-of`` would, while the app runs), both take it at once.
    """
    import html

    from typer.testing import CliRunner

    from calciscope.cli.app import app as cli

    registry, client, pid = app.state.registry, signed_in("clinician"), "P0001"

    def shown(url: str, **params: str) -> str:
        return html.unescape(client.get(url, params=params).text)

    def explained_by_cli() -> dict:
        argv = ["patients", "show", pid, "--explain", "--json", "--db", registry.connection_url]
        result = CliRunner().invoke(cli, argv)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["explanation"]

    for when, why in (
        (dt.date.today(), "today: no as-of date is set for this registry"),
        (dt.date(2020, 6, 30), "the registry's as-of date"),
    ):
        if when != dt.date.today():
            api.set_registry_as_of(registry, when, actor="test")
        text = f"as of {when.isoformat()} ({why}"
        web, by_cli = client.get(f"/api/patients/{pid}/criteria").json(), explained_by_cli()
        assert web["index_date"] == by_cli["index_date"] == when.isoformat()
        assert [c["status"] for c in web["criteria"]] == [c["status"] for c in by_cli["criteria"]]
        assert {p["id"]: p["value"] for p in web["phenotypes"]} == {
            p["id"]: p["value"] for p in by_cli["phenotypes"]
        }
        assert text in shown(f"/patients/{pid}/criteria")
        assert text in shown(f"/patients/{pid}")
        listed = client.get("/api/patients", params={"size": 200}).json()
        assert listed["index_date"] == when.isoformat() and text in listed["as_of"]
        [row] = [r for r in listed["rows"] if r["patient_id"] == pid]
        wanted = api.patient_features(registry, [pid], index_date=when).to_pylist()[0]
        assert row["last_visit_date"] == (
            None if wanted["last_visit_date"] is None else wanted["last_visit_date"].isoformat()
        )
        assert text in shown("/patients")
        queue = client.get("/api/review", params={"kind": "all", "limit": 500}).json()
        assert queue["index_date"] == when.isoformat() and queue["index_date_chosen"] is False
        assert text in shown("/review", kind="all")
        assert text in shown("/")
    entry = api.audit_log(registry, action="registry.set_as_of")[-1]
    assert (entry.actor, entry.after) == ("test", {"as_of": "2020-06-30"})


def test_an_index_date_out_of_range_is_a_422_naming_the_field(app, signed_in):
    """fixes18: ``?index_date=0001-01-01`` failed in the look-back (a 500); now refused."""
    client = signed_in("clinician")
    for when in ("0001-01-01", "2099-01-01"):
        answer = client.get("/api/review", params={"kind": "all", "index_date": when})
        assert answer.status_code == 422, answer.text
        [problem] = answer.json()["problems"]
        assert problem["field"] == "index_date" and "from 1900-01-01 to today" in problem["message"]
        page = client.get("/review", params={"kind": "all", "index_date": when})
        assert page.status_code == 422 and "from 1900-01-01 to today" in page.text


def test_a_registry_date_stored_before_the_check_does_not_fail_the_pages(app, signed_in):
    """A registry given 0001-01-01 before fixes18 (no check then): pages answer, none fails."""
    client = signed_in("clinician")
    app.state.registry.set_as_of(dt.date(1, 1, 1))
    try:
        criteria = client.get("/api/patients/P0001/criteria")
        assert criteria.status_code == 200 and criteria.json()["index_date"] == "0001-01-01"
        assert client.get("/patients/P0001/criteria").status_code == 200
    finally:
        app.state.registry.set_as_of(None)


def test_the_as_of_date_is_read_once_per_request(app, signed_in, monkeypatch):
    """fixes18: the dashboard read ``registry_state`` twice per request; now once."""
    client = signed_in("researcher")
    reads: list[object] = []
    read = api.registry_as_of
    monkeypatch.setattr(api, "registry_as_of", lambda *a, **k: reads.append(a) or read(*a, **k))
    assert client.get("/api/").status_code == 200
    assert len(reads) == 1


def test_an_id_that_names_nothing_is_a_clean_404(app, signed_in):
    # was a 422 "not found" (bad input) for every missing patient, fact, item, image or run
    client = signed_in("clinician")
    for path, field in (
        ("/patients/P9999", "patient_id"),
        ("/api/patients/P9999", "patient_id"),
        ("/api/patients/P9999/criteria", "patient_id"),
        ("/review/items/fact:Fnope", "item_id"),
        ("/api/review/items/fact:Fnope", "item_id"),
        ("/api/facts/Fnope/history", "fact_id"),
        ("/images/999999", "image_id"),
        ("/api/images/999999", "image_id"),
        ("/study/runs/nope", "run_id"),
        ("/api/study/runs/000000000000", "run_id"),
    ):
        response = client.get(path)
        assert response.status_code == 404, (path, response.text[:200])
        assert "Traceback" not in response.text
        if path.startswith("/api/"):
            assert response.json()["problems"][0]["field"] == field, path
        else:
            assert "Not found" in response.text and field in response.text, path
    # a decided item's page (the back button after a decision) is a 404 too, not a 422
    item = _calcinosis_item(app)
    decided = client.post(
        f"/api/review/items/{item.item_id}/decision",
        json={"decision": "reject", "reason": "seen", "expected_version": item.version},
    )
    assert decided.status_code == 200
    gone = client.get(f"/review/items/{item.item_id}")
    assert gone.status_code == 404 and "decided already" in gone.text
    # a researcher's unknown pseudonym is not found either
    assert signed_in("researcher").get("/api/patients/R-000000000000").status_code == 404


def test_a_nul_character_in_a_reason_is_a_422_naming_the_field(app, signed_in):
    client = signed_in("clinician")
    item = _calcinosis_item(app)
    refused = client.post(
        f"/api/review/items/{item.item_id}/decision",
        json={"decision": "confirm", "reason": "seen\x00", "expected_version": item.version},
    )
    assert refused.status_code == 422 and refused.json()["problems"][0]["field"] == "reason"
    assert api.review_queue_item(app.state.registry, item.item_id).state == "suggested"


def test_phenotype_values_read_yes_no_unknown_on_the_page_json_keeps_its_own(app, signed_in):
    """A truth value is "yes" or "no" on the patient's panel (it showed Python's True/False),
    unknown is "unknown"; the ``/api/`` twin keeps JSON's true, false and null."""
    client = signed_in("clinician")
    phenotypes = client.get("/api/patients/P0001/criteria").json()["phenotypes"]
    panel = client.get("/patients/P0001/criteria").text
    words = {True: "yes", False: "no", None: "unknown"}
    seen = set()
    for p in phenotypes:
        cell = re.search(rf'data-phenotype="{p["id"]}"><strong>([^<]*)</strong>', panel)
        assert cell is not None, p["id"]
        if isinstance(p["value"], bool) or p["value"] is None:
            assert cell.group(1) == words[p["value"]], (p["id"], p["value"], cell.group(1))
            seen.add(p["value"])
    assert True in seen or False in seen
    assert ">True<" not in panel and ">False<" not in panel


def test_review_queue_names_kinds_by_their_labels(app, signed_in):
    """The queue's counts and item tags say "Suggested fact", not ``suggested_fact`` (the
    kind's name stays in ``data-kind`` and in the JSON)."""
    client = signed_in("clinician")
    page = client.get("/review", params={"kind": "all", "limit": 500}).text
    data = client.get("/api/review", params={"kind": "all", "limit": 500}).json()
    labels = {k["name"]: k["label"] for k in data["kinds"]}
    assert data["by_kind"]
    for name, n in data["by_kind"].items():
        assert f"· {labels[name]} {n}" in page
        assert f"· {name} {n}" not in page
    shown = re.findall(r'<span class="tag" data-kind="([a-z_]+)">([^<]*)</span>', page)
    assert shown and all(text == labels[kind] for kind, text in shown)
    item = data["items"][0]
    opened = client.get(f"/review/items/{item['item_id']}").text
    assert f'data-kind="{item["kind"]}">{labels[item["kind"]]}</span>' in opened
