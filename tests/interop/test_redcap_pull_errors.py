"""``redcap pull`` refuses a malformed token or a failed download with a problem, not a traceback."""

from __future__ import annotations

import pytest

from calciscope.errors import ValidationError
from calciscope.interop.redcap.live import pull_project


def test_malformed_token_is_a_problem_not_an_assertion(tmp_path):
    pytest.importorskip("redcap")
    with pytest.raises(ValidationError, match="token") as caught:
        pull_project("https://redcap.invalid/api/", "not-a-token", tmp_path)
    assert "REDCap project not pulled" in str(caught.value)


class _Unreachable:
    def export_metadata(self, **_: object) -> str:
        raise ConnectionError("Max retries exceeded with url: /api/")


def test_failed_download_is_a_problem(tmp_path):
    with pytest.raises(ValidationError, match="Max retries exceeded"):
        pull_project(
            "https://redcap.invalid/api/",
            "x" * 32,
            tmp_path,
            project_factory=lambda *_: _Unreachable(),
        )
