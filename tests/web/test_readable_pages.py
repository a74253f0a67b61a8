"""web37: moments in UTC, empty states, the queue by Tab, bounded filters and versions.

Each test walks a page of the SYNTHETIC registry as a reviewer, researcher or admin would
(or as an attacker types by hand) and checks what the page says.
"""

from __future__ import annotations

import datetime as dt
import re

from web_client import PASSWORDS, ROLE_USER, client_for, running, sign_in

from calciscope import api
from calciscope.web import WebSettings, create_app
from calciscope.web.pages import when

MOMENT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")


def test_when_shows_a_moment_in_utc_to_the_minute_or_second() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    assert when(dt.datetime(2026, 12, 7, 18, 47, 5, 647431, tzinfo=paris)) == "2026-12-07 17:47 UTC"
    assert when("2026-12-07T17:47:05.647431+00:00", seconds=True) == "2026-12-07 17:47:05 UTC"
    assert when(dt.datetime(2026, 12, 7, 17, 47, 5)) == "2026-12-07 17:47 UTC"
    assert when(None) == "unknown"


def test_the_users_page_shows_since_in_utc_without_microseconds(signed_in) -> None:
    admin = signed_in("admin")
    html = admin.get("/admin/users").text
    since = re.findall(r"<time datetime=\"([^\"]+)\">([^<]+)</time>", html)
    assert len(since) == 3  # ada, cleo, rhea
    for full, shown in since:
        assert MOMENT.fullmatch(shown), shown
        assert dt.datetime.fromisoformat(full).strftime("%Y-%m-%d %H:%M UTC") == shown
    assert not re.search(r"\d\d:\d\d:\d\d\.\d{6}", html)  # no microseconds anywhere
    # the JSON twin keeps the whole ISO 8601 moment
    users = admin.get("/api/admin/users").json()["users"]
    assert all(dt.datetime.fromisoformat(u["created_at"]).tzinfo is not None for u in users)


def test_the_audit_log_and_a_facts_decisions_say_utc(signed_in, app) -> None:
    clinician = signed_in("clinician")
    item = clinician.get("/api/review?limit=1").json()["items"][0]
    decided = clinician.post(
        f"/api/review/items/{item['item_id']}/decision",
        json={"decision": "reject", "reason": "SYNTHETIC test", "expected_version": 1},
    )
    assert decided.status_code == 200, decided.text
    page = clinician.get(f"/facts/{item['fact_id']}/correct").text
    assert MOMENT.search(page.split("Review decisions")[1])
    audit = signed_in("admin").get("/admin/audit?limit=5").text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", audit)


def test_an_empty_queue_says_nothing_waits_and_a_page_past_the_end_says_so(signed_in) -> None:
    clinician = signed_in("clinician")
    none_for = clinician.get("/review?patient=P9999").text
    assert "Nothing waits for review of this kind" in none_for and "for this patient" in none_for
    assert "Choose an item" not in none_for
    past = clinician.get("/review?offset=9000000").text
    assert 'data-testid="queue-empty"' in past and "back to the first page" in past


def test_queue_items_are_reached_with_tab(signed_in) -> None:
    html = signed_in("clinician").get("/review").text
    items = re.findall(r"<li class=\"queue-item\"[^>]*>", html)
    assert items and all('tabindex="0"' in li and 'role="button"' in li for li in items)


def test_the_patient_list_reads_yes_no_and_says_when_nothing_matches(signed_in) -> None:
    researcher = signed_in("researcher")
    html = researcher.get("/patients?where=ssc_diagnosis=true&size=25").text
    table = html.split('<table class="list">')[1].split("</table>")[0]
    assert ">yes<" in table and ">True<" not in table and ">False<" not in table
    assert researcher.get("/api/patients?where=ssc_diagnosis=true").json()["rows"][0][
        "ssc_diagnosis"
    ] in (True, False, None)  # the JSON twin keeps JSON's values
    nothing = researcher.get("/patients?q=no-such-text-anywhere").text
    assert "No patient matches these filters and search." in nothing
    past = researcher.get("/patients?page=999").text
    assert "No patient on page 999: the last page is" in past


def test_an_empty_registry_says_so_on_the_list_and_the_queue(tmp_path) -> None:
    path = tmp_path / "empty.db"
    registry = api.open_registry(f"sqlite:///{path}")
    for name, (role, password) in PASSWORDS.items():
        api.add_user(registry, name, role, password)
    registry.close()
    settings = WebSettings(
        db_url=f"sqlite:///{path}", secret_key="test-key-" + "x" * 40, runs_dir=tmp_path / "runs"
    )
    with running(create_app(settings)) as application:
        clinician = sign_in(client_for(application), ROLE_USER["clinician"])
        patients = clinician.get("/patients")
        assert patients.status_code == 200
        assert "No patients in this registry yet" in patients.text
        queue = clinician.get("/review?kind=all").text
        assert "Nothing waits for review." in queue and "Choose an item" not in queue


def test_too_many_or_too_long_filters_are_refused_naming_where(signed_in) -> None:
    clinician = signed_in("clinician")
    many = "&".join(["where=sex=female"] * 21)
    page = clinician.get(f"/patients?{many}")
    assert page.status_code == 422 and "at most 20 filters, not 21" in page.text
    long = clinician.get("/api/patients", params={"where": "sex=" + "f" * 5000})
    assert long.status_code == 422
    assert long.json()["problems"][0]["field"] == "where"
    assert "at most 200 characters, not 5,004" in long.json()["problems"][0]["message"]


def test_a_version_no_item_can_have_is_bad_input_not_a_conflict(signed_in) -> None:
    clinician = signed_in("clinician")
    item = clinician.get("/api/review?limit=1").json()["items"][0]
    url = f"/review/items/{item['item_id']}/decision"
    form = clinician.post(url, data={"decision": "reject", "reason": "x", "expected_version": -1})
    assert form.status_code == 422 and "expected_version" in form.text
    body = {"decision": "reject", "reason": "x", "expected_version": 10**30}
    answer = clinician.post("/api/" + url.lstrip("/"), json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "expected_version"]
    assert clinician.get("/api/review?limit=1").json()["items"][0]["item_id"] == item["item_id"]


def test_a_huge_value_typed_by_hand_is_not_echoed_whole(signed_in) -> None:
    admin = signed_in("admin")
    answer = admin.post("/admin/users", data={"name": "x" * 100_000, "role": "clinician"})
    assert answer.status_code == 422
    assert "<strong>name</strong>" in answer.text and "x" * 119 + "…" in answer.text
    assert "x" * 200 not in answer.text
