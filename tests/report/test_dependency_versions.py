"""The study manifest names the version of every library calciscope declares."""

from calciscope.report.bundle import dependency_versions


def test_dependency_versions_cover_the_core_and_leave_out_test_tools():
    versions = dependency_versions()
    for name in ("scipy", "sqlalchemy", "ibis-framework", "fhir.resources", "phenopackets"):
        assert versions.get(name), name
    assert "pytest" not in versions and "ruff" not in versions
