"""A form field over the app's limits is refused naming the field (web38).

A password of a megabyte typed into the sign-in form was "Wrong name or password"; over
1 MiB, any form field was Starlette's 400 "Field exceeded maximum size of 1024KB.", naming none.
"""

from __future__ import annotations

import pytest
from web_client import client_for, csrf_of

from calciscope.web.form_limits import (
    MAX_BODY_BYTES,
    MAX_FORM_FIELD_BYTES,
    MAX_FORM_FIELDS,
    FieldTooLarge,
    _Multipart,
    _UrlEncoded,
)

MEGABYTE = "p" * 1_000_000  # under the app's field limit, far over a password's
HUGE = "p" * (MAX_FORM_FIELD_BYTES + 10)  # over the app's field limit


def _names_field(response, field: str) -> bool:
    return f"<strong>{field}</strong>" in response.text


def test_a_megabyte_password_at_sign_in_is_refused_naming_password(app) -> None:
    client = client_for(app)
    token = csrf_of(client)
    form = client.post("/login", data={"name": "cleo", "password": MEGABYTE, "csrf_token": token})
    assert form.status_code == 422 and _names_field(form, "password")
    assert "at most 1024 characters" in form.text and MEGABYTE[:200] not in form.text
    answer = client.post(
        "/api/login",
        json={"name": "cleo", "password": MEGABYTE},
        headers={"X-CSRF-Token": token},
    )
    assert answer.status_code == 422
    (error,) = answer.json()["detail"]
    assert error["loc"] == ["body", "password"]
    assert len(answer.content) < 2000  # the password is not sent back


def test_a_field_over_the_apps_limit_is_a_413_naming_it(app) -> None:
    client = client_for(app)
    token = csrf_of(client)
    form = client.post("/login", data={"name": "cleo", "password": HUGE, "csrf_token": token})
    assert form.status_code == 413 and _names_field(form, "password")
    assert f"larger than {MAX_FORM_FIELD_BYTES:,} bytes" in form.text
    # the app's own 413 page, not Starlette's 400 nor the sign-in form again
    assert "<title>Too large" in form.text and "exceeded maximum size" not in form.text
    assert 'name="password"' not in form.text
    # multipart too, and a field the CSRF check reads before the route (no form parameter)
    files = {"note": ("note.txt", b"")}
    multipart = client.post("/login", data={"password": HUGE, "csrf_token": token}, files=files)
    assert multipart.status_code == 413 and _names_field(multipart, "password")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/account/password", "new_password"),
        ("/admin/users", "password"),
        ("/admin/users/cleo/password", "password"),
        ("/logout", "padding"),  # no form parameter: read by the CSRF check
    ],
)
def test_password_forms_name_the_oversized_field(app, signed_in, path, field) -> None:
    admin = signed_in("admin")
    browser = client_for(app)  # as a browser's form: the CSRF token in the form, no header
    browser.cookies.update(admin.cookies)
    token = admin.headers["X-CSRF-Token"]
    data = {"csrf_token": token, "name": "newbie", "role": "clinician", field: HUGE}
    answer = browser.post(path, data=data)
    assert answer.status_code == 413, answer.text[:300]
    assert _names_field(answer, field)
    json_twin = admin.post("/api/admin/users", data={"password": HUGE})  # a form to the API
    assert json_twin.status_code == 413
    assert json_twin.json()["problems"][0]["field"] == "password"


def test_a_password_over_1024_characters_is_refused_naming_its_field(signed_in) -> None:
    admin = signed_in("admin")
    added = admin.post(
        "/admin/users", data={"name": "newbie", "role": "clinician", "password": MEGABYTE}
    )
    assert added.status_code == 422 and _names_field(added, "password")
    own = admin.post(
        "/account/password",
        data={"current_password": "admin-pass-1234", "new_password": MEGABYTE},
    )
    assert own.status_code == 422 and _names_field(own, "new_password")


def test_review_and_fact_reasons_over_their_limit_name_reason(signed_in) -> None:
    clinician = signed_in("clinician")
    item = clinician.get("/api/review?limit=1").json()["items"][0]
    url = f"/review/items/{item['item_id']}/decision"
    long = clinician.post(url, data={"decision": "reject", "reason": "r" * 2001})
    assert long.status_code == 422 and "reason" in long.text
    huge = clinician.post(url, data={"decision": "reject", "reason": HUGE})
    assert huge.status_code == 413 and "reason" in huge.text
    word = clinician.post(url, data={"decision": "x" * 100, "reason": "no"})
    assert word.status_code == 422 and "decision" in word.text
    fields = {"patient_id": "P0001", "system": "HPO", "code": "HP:0003761", "status": "present"}
    fact = clinician.post("/api/facts", json={"fields": fields, "reason": "r" * 2001})
    assert fact.status_code == 422
    assert [p["field"] for p in fact.json()["problems"]] == ["reason"]
    # nothing of it was recorded
    assert clinician.get("/api/review?limit=1").json()["items"][0]["item_id"] == item["item_id"]


def test_filters_over_their_limit_name_the_filter(signed_in) -> None:
    clinician, admin = signed_in("clinician"), signed_in("admin")
    assert clinician.get("/api/patients", params={"q": "x" * 201}).json()["detail"][0]["loc"] == [
        "query",
        "q",
    ]
    audit = admin.get("/admin/audit", params={"actor": "a" * 129})
    assert audit.status_code == 422 and _names_field(audit, "actor")


def test_the_watch_names_a_field_split_across_chunks() -> None:
    fields = _UrlEncoded(limit=16)  # name and value, as Starlette counts them
    fields.feed(b"csrf_token=abc&pass")
    fields.feed(b"word=0123")
    with pytest.raises(FieldTooLarge) as raised:
        fields.feed(b"456789x&next=1")
    assert raised.value.field == "password"
    short = _UrlEncoded(limit=16)
    short.feed(b"a=012345678901234&b=012345678901234&c%20d=")  # each at the limit: no refusal
    parts = _Multipart(b"XX", limit=4)
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="upload"; filename="f.txt"\r\n\r\n'
        b"a file longer than the limit\r\n"
        b'--XX\r\nContent-Disposition: form-data; name="reason"\r\n\r\nfive!\r\n--XX--\r\n'
    )
    with pytest.raises(FieldTooLarge) as raised:
        parts.feed(body)
    assert raised.value.field == "reason"  # files are not counted, text fields are


def test_a_422_for_a_missing_field_echoes_no_password(app, signed_in) -> None:
    """Another field missing, FastAPI's ``input`` is the whole body: its password too (fix48)."""
    admin = signed_in("admin")
    added = admin.post("/api/admin/users", json={"name": "x", "password": "S3cret-pass-99"})
    assert added.status_code == 422 and "S3cret" not in added.text
    assert added.json()["detail"][0]["input"] == {"name": "x", "password": "(not shown)"}
    client = client_for(app)
    token = csrf_of(client)
    nested = {"password": "S3cret-pass-99", "more": [{"old_password": "S3cret-old"}]}
    login = client.post("/api/login", json=nested, headers={"X-CSRF-Token": token})
    assert login.status_code == 422 and "S3cret" not in login.text
    # a big list or mapping is cut by its JSON length, as text is
    big = client.post(
        "/api/login", json={"extra": list(range(100_000))}, headers={"X-CSRF-Token": token}
    )
    assert big.status_code == 422 and len(big.content) < 2000


def test_a_body_over_the_apps_limit_is_a_413_before_sign_in(app) -> None:
    """A gigabyte of small form fields was held by Starlette's parser, anonymously (fix48)."""
    client = client_for(app)
    token = csrf_of(client)
    fields = {f"f{i}": "v" * 1000 for i in range(3000)}  # 3 MB, no field over its limit
    form = client.post("/login", data={**fields, "csrf_token": token})
    assert form.status_code == 413, form.text[:300]
    assert f"larger than {MAX_BODY_BYTES:,} bytes" in form.text and "<title>Too large" in form.text
    many = client.post("/login", data={**{f"f{i}": "v" for i in range(300)}, "csrf_token": token})
    assert many.status_code == 413 and f"more than {MAX_FORM_FIELDS:,} fields" in many.text
    headers = {"X-CSRF-Token": token, "Content-Type": "application/json"}
    huge = '{"name": "cleo", "password": "' + "p" * (MAX_BODY_BYTES + 10) + '"}'
    answer = client.post("/api/login", content=huge, headers=headers)
    assert answer.status_code == 413
    assert answer.json()["problems"][0]["message"].startswith(f"larger than {MAX_BODY_BYTES:,}")
    # no Content-Length (sent in chunks): counted as the bytes arrive
    chunked = client.post("/api/login", content=iter([b"x" * 1_000_000] * 3), headers=headers)
    assert chunked.status_code == 413 and "content-length" not in chunked.request.headers


def test_a_study_upload_over_its_own_limit_is_still_named_study_file(signed_in) -> None:
    client = signed_in("researcher")
    big = client.post("/api/study/runs", files={"study_file": ("s.yaml", b"#" * 1_500_000)})
    assert big.status_code == 422 and "larger than 256 KiB" in big.text
    huge = client.post("/api/study/runs", files={"study_file": ("s.yaml", b"#" * 3_000_000)})
    assert huge.status_code == 413
    assert huge.json()["detail"] == f"the request is too large (at most {MAX_BODY_BYTES:,} bytes)"
