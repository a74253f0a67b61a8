"""Security: sessions, CSRF, the login rate limit, injection, escaping, the append-only audit log."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import pytest
from web_client import PASSWORDS, client_for, csrf_of, running

from calciscope import api
from calciscope.web import create_app

INJECTIONS = (
    "' OR 1=1 --",
    '"; DROP TABLE patients; --',
    "<script>alert(1)</script>",
    "subset=dcssc' OR '1'='1",
    "patient_id=P0001; DELETE FROM facts",
    "{{7*7}}",
)


def test_session_cookie_is_secure_httponly_samesite(app):
    client = client_for(app)
    token = csrf_of(client)
    response = client.post(
        "/api/login",
        json={"name": "cleo", "password": PASSWORDS["cleo"][1]},
        headers={"X-CSRF-Token": token},
    )
    cookie = response.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_security_headers(app):
    response = client_for(app).get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_pages_redirect_and_api_refuses_without_session(app):
    client = client_for(app)
    assert client.get("/patients").headers["location"] == "/login"
    assert client.get("/api/patients").status_code == 401


def test_login_needs_the_csrf_token(app):
    client = client_for(app)
    response = client.post("/api/login", json={"name": "cleo", "password": PASSWORDS["cleo"][1]})
    assert response.status_code == 403
    response = client.post("/login", data={"name": "cleo", "password": PASSWORDS["cleo"][1]})
    assert response.status_code == 403


def test_login_failures_are_rate_limited_per_user_and_address(app):
    client = client_for(app)
    token = csrf_of(client)
    headers = {"X-CSRF-Token": token}
    statuses = [
        client.post("/api/login", json={"name": "cleo", "password": "wrong"}, headers=headers)
        for _ in range(6)
    ]
    assert [r.status_code for r in statuses] == [401] * 5 + [429]
    assert int(statuses[-1].headers["retry-after"]) > 0
    right = {"name": "cleo", "password": PASSWORDS["cleo"][1]}
    assert client.post("/api/login", json=right, headers=headers).status_code == 429
    other = {"name": "rhea", "password": PASSWORDS["rhea"][1]}
    assert client.post("/api/login", json=other, headers=headers).status_code == 200
    actions = [e.action for e in api.audit_log(app.state.registry, actor="cleo")]
    assert actions.count("login_failed") == 5


def test_a_disabled_user_is_signed_out(app, signed_in):
    client = signed_in("clinician")
    assert client.get("/api/patients").status_code == 200
    api.disable_user(app.state.registry, "cleo")
    app.state.active_users.refresh()
    assert client.get("/api/patients").status_code == 401


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_in_search_and_filters(app, signed_in, text):
    client = signed_in("clinician")
    before = app.state.registry.counts()
    for params in ({"q": text}, {"where": text}, {"where": ["sex=female", text]}):
        for path in ("/patients", "/api/patients"):
            response = client.get(path, params=params)
            assert response.status_code in (200, 422), (path, params, response.status_code)
            if not path.startswith("/api/"):
                assert "<script>alert(1)" not in response.text
    response = client.get("/api/review", params={"kind": text, "patient": text})
    assert response.status_code in (200, 422)
    assert app.state.registry.counts() == before


def test_script_in_a_note_renders_inert(app, signed_in):
    client = signed_in("clinician")
    page = client.get("/patients/P0001").text
    assert "<script>alert('owned')</script>" not in page
    assert "&lt;script&gt;alert(" in page


def test_researchers_see_pseudonyms_and_no_note_text(app, signed_in):
    client = signed_in("researcher")
    listing = client.get("/api/patients", params={"size": 200}).json()
    ids = [row["patient_id"] for row in listing["rows"]]
    assert ids and all(i.startswith("R-") for i in ids)
    assert "P0001" not in client.get("/patients", params={"size": 200}).text
    assert client.get("/api/patients/P0001").status_code == 404  # not a pseudonym: no such patient
    pseudonym = app.state.pseudonyms.of("P0001")
    page = client.get(f"/api/patients/{pseudonym}").json()
    assert page["notes_hidden"] and all(n["segments"] is None for n in page["notes"])
    assert all(f["evidence"] is None for f in page["facts"])
    assert "calcinosis of the right index finger" not in client.get(f"/patients/{pseudonym}").text


def test_the_audit_log_cannot_be_edited_through_the_app(app, signed_in):
    client = signed_in("admin")
    entries = client.get("/api/admin/audit").json()["entries"]
    assert entries
    first = entries[-1]["entry_id"]
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        for path in ("/admin/audit", "/api/admin/audit", f"/api/admin/audit/{first}"):
            assert client.request(method, path, json={"actor": "x"}).status_code in (404, 405)
    after = client.get("/api/admin/audit", params={"limit": 10000}).json()["entries"]
    kept = {e["entry_id"]: e for e in after}
    assert all(kept[e["entry_id"]] == e for e in entries)


def test_the_audit_export_cannot_smuggle_a_spreadsheet_formula(app, signed_in, tmp_path):
    """A reason typed as a formula is exported as text (OWASP CSV injection), by app and CLI."""
    formula = '=HYPERLINK("http://evil.invalid","click")'
    item = next(i for i in app.state.queues.get(("suggested_fact", None, None)) if i.fact_id)
    body = {"decision": "reject", "reason": formula, "expected_version": item.version}
    client = signed_in("clinician")
    assert client.post(f"/api/review/items/{item.item_id}/decision", json=body).status_code == 200
    exported = signed_in("admin").get("/admin/audit.csv", params={"actor": "cleo"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    (decision,) = [r for r in rows if r["action"] == "review.reject"]
    assert decision["detail"] == "'" + formula and decision["target"] == item.item_id
    assert json.loads(decision["after"])["state"] == "rejected"
    # the stored row keeps what was typed; only the spreadsheet file is guarded
    assert api.audit_log(app.state.registry, action="review.reject")[-1].detail == formula
    out = tmp_path / "audit.csv"
    api.export_audit_log(app.state.registry, out)
    with out.open(encoding="utf-8", newline="") as handle:
        details = [r["detail"] for r in csv.DictReader(handle) if r["action"] == "review.reject"]
    assert details == ["'" + formula]


def test_a_session_cookie_copied_before_sign_out_opens_nothing_after(app, signed_in):
    """The cookie is signed, not stored: sign-out must end copies of it too (webattack35)."""
    client, other_device = signed_in("clinician"), signed_in("clinician")
    copied = dict(client.cookies)
    assert client.post("/api/logout").status_code == 200
    replayed = client_for(app)
    replayed.cookies.update(copied)
    assert replayed.get("/api/review").status_code == 401
    assert replayed.get("/patients").headers["location"] == "/login"
    # every session of the user signed in before the sign-out is over; a new one works
    assert other_device.get("/api/patients").status_code == 401
    assert signed_in("clinician").get("/api/patients").status_code == 200
    user = next(u for u in api.list_users(app.state.registry) if u.name == "cleo")
    assert user.session_epoch == 1
    actions = [e.action for e in api.audit_log(app.state.registry, actor="cleo")]
    assert actions.count("logout") == 1


def test_researchers_see_no_id_made_from_a_registry_id(app, signed_in, web_settings):
    """Note, image and file ids are often the registry id and more (``P0001-XR1.dcm``)."""
    record = api.patient_record(app.state.registry, "P0001")
    made = [n.note_id for n in record.notes] + [i.image_id for i in record.images]
    assert any(i.startswith("P0001") for i in made)  # the page has ids to withhold
    app.state.settings = dataclasses.replace(web_settings, researcher_notes=True)
    client = signed_in("researcher")
    pseudonym = app.state.pseudonyms.of("P0001")
    for path in (f"/patients/{pseudonym}", f"/api/patients/{pseudonym}"):
        assert "P0001" not in client.get(path).text, path
    page = client.get(f"/api/patients/{pseudonym}").json()
    evidence = [f["evidence"] for f in page["facts"] if f["evidence"]]
    notes = {n["note_id"] for n in page["notes"]}
    assert evidence and all(e["note_id"] in notes for e in evidence)  # still marked in place
    assert all(f["provenance"] is None for f in page["facts"])
    assert all(i["file_ref"] is None for i in page["images"])
    clinician = signed_in("clinician").get("/api/patients/P0001").json()
    assert {n["note_id"] for n in clinician["notes"]} == {n.note_id for n in record.notes}


def test_the_framework_refusals_are_pages_for_a_browser_and_json_for_the_api(app, signed_in):
    client = signed_in("clinician")
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Not found" in page.text and "Traceback" not in page.text
    wrong = client.request("PUT", "/patients")
    assert wrong.status_code == 405 and "Not allowed" in wrong.text and "allow" in wrong.headers
    assert client.get("/api/no-such-thing").json() == {"detail": "Not Found"}
    assert "javascript:" not in page.text  # refused by the Content-Security-Policy


def test_a_refused_study_file_leaves_nothing_on_the_server_and_names_no_path(app, signed_in):
    """Each refused upload kept a run folder with its text, and the answer named its path."""
    client = signed_in("researcher")
    runs = app.state.settings.runs_dir
    for body in (b"title: [unclosed", b"title: x\nnot_a_study_key: 1\n"):
        refused = client.post("/api/study/runs", files={"study_file": ("s.yaml", body)})
        assert refused.status_code == 422
        assert refused.json()["detail"] == "invalid study: the uploaded study file"
        assert str(runs) not in refused.text and "study.yaml" not in refused.text
    assert not runs.exists() or not any(runs.iterdir())


def test_a_fresh_sign_in_works_on_a_worker_whose_user_copy_is_older(app, signed_in, web_settings):
    """Two workers on one registry: sign out and in again on one, the next request on the other
    (whose per-worker copy of the users still has the old session number) keeps the session
    (fix38: it was refused and cleared). A copy from before the sign-out stays refused."""
    with running(create_app(web_settings)) as other:
        client = signed_in("clinician")
        old = dict(client.cookies)
        assert _on(other, old).get("/api/patients").status_code == 200  # fills other's copy
        other.state.active_users.ttl = 3600  # the copy is not re-read by time in this test
        assert client.post("/api/logout").status_code == 200
        fresh = dict(signed_in("clinician").cookies)
        assert _on(other, fresh).get("/api/patients").status_code == 200
        assert _on(other, old).get("/api/patients").status_code == 401
        assert _on(app, old).get("/api/patients").status_code == 401


def test_api_session_names_no_user_for_an_ended_session(app, signed_in):
    """L1: /api/session said "cleo" for a cookie the sign-out had ended."""
    client = signed_in("clinician")
    copied = dict(client.cookies)
    assert client.get("/api/session").json()["user"] == "cleo"
    assert client.post("/api/logout").status_code == 200
    replayed = _on(app, copied)
    assert replayed.get("/api/session").json()["user"] is None


def _on(app, cookies):
    client = client_for(app)
    client.cookies.update(cookies)
    return client
