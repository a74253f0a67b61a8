"""hardening35: FHIR values and texts the readers took wrongly (SYNTHETIC unless named).

Each test says what the reader gave before the fix.
"""

from __future__ import annotations

import base64

import pytest

from calciscope.interop.fhir import read_fhir_bundle
from calciscope.interop.fhir.markup import NotReadAsText, attachment_text, markup_to_text


def _observation(code: str, **value: object) -> dict[str, object]:
    """Return a SYNTHETIC Observation of a LOINC code with the given value[x]."""
    return {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2021-03-04",
        **value,
    }


@pytest.mark.parametrize(
    ("code", "answer", "status"),
    [
        ("5048-4", False, "absent"),  # ANA: a qualitative result "false" is a negative test
        ("5048-4", True, "present"),
        # CK is a measured quantity (concepts.yaml value_range): "false" is no CK value and
        # says nothing of its presence; before, it was a fact "CK absent"
        ("2157-6", False, "unknown"),
        ("2157-6", True, "present"),
    ],
)
def test_a_boolean_false_is_absent_only_for_codes_that_ask_yes_or_no(code, answer, status):
    result = read_fhir_bundle(
        _observation(code, valueBoolean=answer), source="o.json", stub_patients=True
    )
    (fact,) = result.batch.facts
    assert (fact.status.value, fact.value_text) == (status, str(answer).lower())


# --- texts: &nbsp;, a charset in <meta>, RTF, an attachment's url to a Binary -------------


def test_nbsp_reads_as_a_space():
    # before: "calcinosis\xa0at the elbow", a word the extractor did not split
    html = "<p>SYNTHETIC: calcinosis&nbsp;at&#160;the&nbsp;&nbsp;elbow</p><p>CK&nbsp;&lt;5</p>"
    assert markup_to_text(html) == "SYNTHETIC: calcinosis at the elbow\nCK <5"


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        ('<meta charset="windows-1252">', "text/html"),
        ("<META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=ISO-8859-1'>", "text/html"),
        ("<meta charset=latin-1 />", "application/xhtml+xml"),
    ],
)
def test_a_charset_declared_in_meta_is_read(head, content_type):
    # before: decoded as UTF-8, failed, and the report was skipped as holding no text
    data = f"<html><head>{head}</head><body><p>SYNTHETIC: Ödem, Kalzinose</p></body></html>"
    assert attachment_text(content_type, data.encode("latin-1")) == "SYNTHETIC: Ödem, Kalzinose"


def test_the_content_type_s_charset_comes_before_meta():
    data = '<meta charset="latin-1"><p>SYNTHETIC: Ödem</p>'.encode()
    assert attachment_text("text/html; charset=utf-8", data) == "SYNTHETIC: Ödem"


@pytest.mark.parametrize("kind", ["text/rtf", "application/rtf", "TEXT/RTF; charset=ascii"])
def test_rtf_is_read_as_plain_text(kind):
    # before hardening35: text/rtf was stored raw as the note, "{\rtf1\ansi ..." and all;
    # hardening35 refused it; hardening36 reads it (calciscope.rtftext)
    text = attachment_text(kind, rb"{\rtf1\ansi{\fonttbl{\f0 Arial;}}SYNTHETIC: calcinosis\par}")
    assert text == "SYNTHETIC: calcinosis"


def test_rtf_it_cannot_read_is_refused_saying_why():
    with pytest.raises(NotReadAsText, match=r"RTF document calciscope cannot read \(binary"):
        attachment_text("text/rtf", rb"{\rtf1 SYNTHETIC \bin4 abcd}")


def _document(*attachments: dict[str, object]) -> dict[str, object]:
    return {
        "resourceType": "DocumentReference",
        "id": "d1",
        "status": "current",
        "subject": {"reference": "Patient/p1"},
        "date": "2021-03-04T10:00:00Z",
        "content": [{"attachment": a} for a in attachments],
    }


def _bundle(*resources: tuple[str, dict[str, object]]) -> dict[str, object]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": url, "resource": r} for url, r in resources],
    }


def _encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_an_rtf_only_document_is_read_and_an_unreadable_one_skipped_saying_why():
    rtf = {"contentType": "text/rtf", "data": _encoded(r"{\rtf1 SYNTHETIC\par}")}
    result = read_fhir_bundle(_document(rtf), source="d.json", stub_patients=True)
    assert [n.text for n in result.batch.notes] == ["SYNTHETIC"]
    rtf = {"contentType": "text/rtf", "data": _encoded(r"{\rtf1 SYNTHETIC\bin2 xx}")}
    result = read_fhir_bundle(_document(rtf), source="d.json", stub_patients=True)
    assert result.batch.notes == []
    ((_kind, why),) = [k for k in result.skipped if k[0] == "DocumentReference"]
    assert "text/rtf attachment was not read: an RTF document calciscope cannot read" in why


def test_rtf_beside_html_reads_the_html():
    rtf = {"contentType": "text/rtf", "data": _encoded(r"{\rtf1 SYNTHETIC\par}")}
    html = {"contentType": "text/html", "data": _encoded("<p>SYNTHETIC: calcinosis</p>")}
    result = read_fhir_bundle(_document(rtf, html), source="d.json", stub_patients=True)
    assert [n.text for n in result.batch.notes] == ["SYNTHETIC: calcinosis"]


BINARY = {
    "resourceType": "Binary",
    "id": "b1",
    "contentType": "text/plain",
    "data": _encoded("SYNTHETIC: calcinosis at the left elbow"),
}


@pytest.mark.parametrize(
    ("url", "full_url"),
    [
        ("Binary/b1", "http://example.org/fhir/Binary/b1"),
        ("http://example.org/fhir/Binary/b1", "http://example.org/fhir/Binary/b1"),
        ("urn:uuid:5f0b4d4e-0000-4000-8000-000000000001", "urn:uuid:5f0b4d4e-0000-4000-8000-000000000001"),
    ],
)  # fmt: skip
def test_an_attachment_url_to_a_binary_in_the_bundle_is_read(url, full_url):
    # before: skipped as "no inline text attachment (only URLs, ...)"
    document = _document({"url": url, "title": "letter"})
    bundle = _bundle(("urn:uuid:d1", document), (full_url, BINARY))
    result = read_fhir_bundle(bundle, source="b.json", stub_patients=True)
    assert [n.text for n in result.batch.notes] == ["SYNTHETIC: calcinosis at the left elbow"]
    assert result.mapped["DocumentReference"] == 1
    assert any(
        kind == "Binary" and "read through the attachment" in why for kind, why in result.skipped
    )


def test_an_attachment_url_to_no_binary_of_the_bundle_is_not_fetched():
    document = _document({"url": "http://example.org/fhir/Binary/elsewhere"})
    result = read_fhir_bundle(
        _bundle(("urn:uuid:d1", document), ("urn:uuid:b1", BINARY)),
        source="b.json",
        stub_patients=True,
    )
    assert result.batch.notes == []
