"""The report bundle: one self-contained HTML file, tables as CSV + JSON, figures, manifest."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from calciscope.report.bodymap import bodymap_counts, bodymap_figure
from calciscope.report.export import pseudonymised_dir, write_pseudonymised_export
from calciscope.report.figure import SavedFigure, close_figures, save_figure
from calciscope.report.flow import attrition_figure
from calciscope.report.incidence import incidence_figure
from calciscope.report.pdf import write_pdf
from calciscope.report.radiographs import image_methods, radiograph_panel
from calciscope.report.tables import (
    attrition_table,
    case_table,
    comparison_table,
    evidence_table,
    heading,
    proportion_table,
    sensitivity_report_table,
)
from calciscope.report.text import criteria_references, methods_paragraphs, results_paragraphs
from calciscope.report.timeline import swimmer_figure
from calciscope.study import OutputFormat, StudyAnalysis, is_true
from calciscope.study.analysis import LABELS
from calciscope.study.evidence import TIMELINE_CONCEPTS

__all__ = ["ReportBundle", "case_names", "dependency_versions", "write_report_bundle"]


def dependency_versions() -> dict[str, str]:
    """Return the installed version of every package calciscope declares (core and extras).

    Written into the study manifest, so that a report says which libraries computed it; an
    extra that is not installed, and the test tools, are left out.
    """
    try:
        requirements = metadata.requires("calciscope") or []
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return {}
    versions: dict[str, str] = {}
    for requirement in requirements:
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        if match is None or re.search(r"extra\s*==\s*['\"]test['\"]", requirement):
            continue
        try:
            versions[match.group(0).lower()] = metadata.version(match.group(0))
        except metadata.PackageNotFoundError:
            continue
    return dict(sorted(versions.items()))


@dataclass(frozen=True)
class ReportBundle:
    """Paths of what was written."""

    out_dir: Path
    index_html: Path
    results_json: Path
    files: tuple[Path, ...] = field(default=(), repr=False)
    export_dir: Path | None = None
    pdf: Path | None = None


def case_names(a: StudyAnalysis) -> dict[str, str]:
    """Return 'Case 1', 'Case 2', ... for confirmed cases, then 'Suggested 1', ... by patient id."""
    names = {
        pid: f"Case {i}" for i, pid in enumerate(a.table.loc[a.table["case"], "patient_id"], 1)
    }
    extra = a.table.loc[a.table["case_suggested_only"], "patient_id"]
    return names | {pid: f"Suggested {i}" for i, pid in enumerate(extra, 1)}


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _records(frame: pd.DataFrame) -> list[dict[Any, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _write_tables(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
        _write_json(folder / f"{name}.json", _records(frame))
        paths += [folder / f"{name}.csv", folder / f"{name}.json"]
    return paths


def _figures(
    a: StudyAnalysis,
    facts: pd.DataFrame,
    names: dict[str, str],
    folder: Path,
    bodymap: pd.DataFrame | None,
) -> list[SavedFigure]:
    pop = a.population
    cases = a.table[a.table["case"]]
    others = pop.loc[is_true(pop["calcinosis_any"]) & ~pop["case"], "patient_id"]
    if bodymap is None:  # counted here, from the facts of the cases and of the others
        bodymap = bodymap_counts(facts, cases["patient_id"], others)
    tl_facts = facts[
        facts["patient_id"].isin(cases["patient_id"]) & facts["concept"].isin(TIMELINE_CONCEPTS)
    ]
    shown = f"Cases 1–{SWIMMER_CASES} of {len(cases)}. " if len(cases) > SWIMMER_CASES else ""
    n_at = ", ".join(f"{t:g}" for t in a.study.time_to_event.at_risk_times)
    return [
        save_figure(
            attrition_figure(a.attrition),
            folder,
            "attrition",
            "Flow of patients",
            "STROBE-style flow: from the registry to the source population, with the patients "
            "excluded at each step and why; the dcSSc subset and dcSSc with SSc–myositis overlap "
            "below it; the cases come from the source population (a case need not have dcSSc or "
            "overlap). Percentages of the source population.",
        ),
        save_figure(
            swimmer_figure(cases.head(SWIMMER_CASES), tl_facts, names),
            folder,
            "swimmer",
            "Timeline of each case",
            shown + "Years from SSc onset; the grey bar runs from Raynaud "
            "onset (or SSc onset) to death or the last visit. Calcinosis marks are labelled with "
            "body regions and morphology.",
        ),
        save_figure(
            bodymap_figure(bodymap, len(cases), len(others)),
            folder,
            "bodymap",
            "Body regions with calcinosis",
            "Cases beside the other patients of the source population with calcinosis: patients "
            "with calcinosis recorded in each region, n (% of the group); marker area grows with "
            "the percentage. A schematic: arm regions drawn on the right, leg regions on the left; "
            "back and buttock/hip are posterior.",
        ),
        save_figure(
            incidence_figure(a.incidence, LABELS),
            folder,
            "incidence",
            "Cumulative incidence of calcinosis from SSc onset",
            "Aalen–Johansen estimates with death as a competing risk and 95% confidence bands, by "
            f"cutaneous subset and by SSc–myositis overlap; numbers at risk at {n_at} years.",
        ),
    ]


#: Rows of a table shown in the HTML; every row is in tables/<name>.csv.
HTML_ROWS = 200

#: Cases drawn on the swimmer timeline.
SWIMMER_CASES = 20


def _table_html(name: str, frame: pd.DataFrame) -> str:
    shown = _display(frame.head(HTML_ROWS)).rename(columns=heading)
    text = shown.to_html(index=False, border=0, na_rep="", float_format=lambda x: f"{x:.3g}")
    if len(frame) > HTML_ROWS:
        text += (
            f'<p class="small">First {HTML_ROWS} of {len(frame):,} rows; every row is in '
            f"tables/{name}.csv and tables/{name}.json.</p>"
        )
    return str(text)


def _display(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy for HTML: yes/no for booleans, blank for unknown."""

    def cell(value: Any) -> Any:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if value is None or value is pd.NA or value is pd.NaT:
            return ""  # pandas' NA of a nullable column (overlap_status) too, never "<NA>"
        return "" if isinstance(value, float) and pd.isna(value) else value

    return frame.astype(object).map(cell)


def _case_images(images: pd.DataFrame | None, names: dict[str, str]) -> pd.DataFrame:
    columns = [
        "case",
        "patient_id",
        "image_id",
        "modality",
        "body_site",
        "laterality",
        "image_date",
        "reading",
    ]
    if images is None or images.empty:
        return pd.DataFrame(columns=columns)
    if "reading" not in images:
        images = images.assign(reading=None)
    out = images[images["patient_id"].isin(list(names))].copy()
    out["case"] = out["patient_id"].map(names)
    return out.sort_values(["case", "image_date"])[columns].reset_index(drop=True)


def _tables(
    a: StudyAnalysis, evidence: dict[str, list[dict[str, Any]]], names: dict[str, str]
) -> dict[str, pd.DataFrame]:
    incidence = pd.concat(
        [r.summary.assign(by=by) for by, r in a.incidence.items()], ignore_index=True
    )
    incidence["group"] = incidence["group"].map(lambda g: LABELS.get(g, g))
    for col in ("estimate", "lower", "upper"):
        incidence[f"{col}_percent"] = (100 * incidence.pop(col)).round(1)
    incidence = incidence.rename(columns={"time": "years"})
    at_risk_n = pd.concat(
        [
            r.at_risk.rename_axis("group").reset_index().assign(by=by)
            for by, r in a.incidence.items()
        ],
        ignore_index=True,
    )
    return {
        "attrition": attrition_table(a),
        "table1": a.table_one.summary,
        "table1_listing": a.table_one.listing,
        "cases": case_table(a, names, evidence),
        "case_evidence": evidence_table(evidence, names),
        "proportions": proportion_table(a),
        "comparisons": comparison_table(a),
        "cumulative_incidence": incidence,
        "numbers_at_risk": at_risk_n,
        "at_risk_prompts": a.at_risk,
        "sensitivity": sensitivity_report_table(a),
    }


def _html(
    a: StudyAnalysis,
    tables: dict[str, pd.DataFrame],
    figures: list[SavedFigure],
    manifest: dict[str, Any],
    pdf: bool,
    films: dict[str, str] | None = None,
) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("calciscope.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    html = {k: _table_html(k, v) for k, v in tables.items()}
    rows = [
        (k, json.dumps(v, default=_json_default) if isinstance(v, dict) else v)
        for k, v in manifest.items()
    ]
    return env.get_template("report.html.j2").render(
        title=a.study.title,
        description=a.study.description,
        synthetic=a.headline.synthetic,
        h=a.headline,
        proportion_label=a.study.headline_label,
        target_label=a.attrition[-1].label.removeprefix("Cases: "),
        methods=[*methods_paragraphs(a), *[t for t in [(films or {}).get("methods")] if t]],
        radiographs=(films or {}).get("panel", ""),
        results=results_paragraphs(a),
        criteria=criteria_references(),
        figures=figures,
        table_one=html["table1"],
        table_one_note=a.table_one.note,
        listing=html["table1_listing"] if len(tables["table1_listing"]) else "",
        cases=html["cases"],
        proportions=html["proportions"],
        comparisons=html["comparisons"],
        incidence=html["cumulative_incidence"],
        evidence=html["case_evidence"],
        images=html["case_images"],
        at_risk=html["at_risk_prompts"],
        sensitivity=html["sensitivity"] if len(tables["sensitivity"]) > 1 else "",
        manifest_rows=rows,
        pdf=pdf,
    )


def write_report_bundle(
    analysis: StudyAnalysis,
    *,
    facts: pd.DataFrame,
    evidence: dict[str, list[dict[str, Any]]],
    manifest: dict[str, Any],
    out_dir: Path,
    pseudonymise: bool = False,
    images: pd.DataFrame | None = None,
    bodymap: pd.DataFrame | None = None,
) -> ReportBundle:
    """Write ``index.html``, ``results.json``, ``manifest.json``, tables, figures (and PDF, export).

    Parameters
    ----------
    analysis
        The computed study.
    facts
        Registry facts with a ``concept`` column (for timelines and the body map).
    evidence
        Evidence facts of each case (:func:`calciscope.study.case_evidence`).
    manifest
        Versions, input hashes and time.
    out_dir
        Folder to write (created).
    pseudonymise
        Also write the pseudonymised bundle ``<out_dir>-pseudonymised/`` (its own index.html).
    images
        Image records (radiographs) of the cases, listed with their evidence.
    bodymap
        The body map's counts (:func:`calciscope.report.bodymap.counted_regions`, counted in
        the database); None: counted from ``facts``, which then hold the facts of the other
        patients of the source population with calcinosis too.

    Notes
    -----
    The bundle is written into a hidden folder beside ``out_dir`` and its files are moved into
    ``out_dir`` only when every one was written: a failure leaves ``out_dir`` as it was.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # the pseudonymised bundle is its own folder beside the report, staged the same way
    private = pseudonymised_dir(out_dir) if pseudonymise else None
    with _staged([out_dir] if private is None else [out_dir, private]) as staging:
        written = _write_bundle(
            analysis,
            facts=facts,
            evidence=evidence,
            manifest=manifest,
            out_dir=staging[0],
            pseudonymised=staging[1] if private is not None else None,
            images=images,
            bodymap=bodymap,
        )
    return _rebased(written, staging[0], out_dir, private)


@contextmanager
def _staged(targets: list[Path]) -> Iterator[list[Path]]:
    """Yield a hidden staging folder beside each target folder, in order.

    When the block ends without an error, each staging folder's entries are moved into its
    target (:func:`_move_into`); the staging folders are removed in any case.
    """
    staging = [Path(tempfile.mkdtemp(prefix=f".{t.name}-", dir=t.parent)) for t in targets]
    try:
        yield staging
        for folder, target in zip(staging, targets, strict=True):
            _move_into(folder, target)
    finally:
        for folder in staging:
            shutil.rmtree(folder, ignore_errors=True)


def _move_into(staging: Path, out_dir: Path) -> None:
    """Move every entry of ``staging`` into ``out_dir``, replacing entries of the same name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for entry in sorted(staging.iterdir()):
        target = out_dir / entry.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif entry.is_dir() and target.exists():
            target.unlink()
        os.replace(entry, target)


def _rebased(
    bundle: ReportBundle, staging: Path, out_dir: Path, private: Path | None
) -> ReportBundle:
    def move(path: Path) -> Path:
        return out_dir / path.relative_to(staging)

    return ReportBundle(
        out_dir,
        move(bundle.index_html),
        move(bundle.results_json),
        tuple(map(move, bundle.files)),
        private,
        None if bundle.pdf is None else move(bundle.pdf),
    )


def _write_bundle(
    analysis: StudyAnalysis,
    *,
    facts: pd.DataFrame,
    evidence: dict[str, list[dict[str, Any]]],
    manifest: dict[str, Any],
    out_dir: Path,
    pseudonymised: Path | None,
    images: pd.DataFrame | None,
    bodymap: pd.DataFrame | None,
) -> ReportBundle:
    names = case_names(analysis)
    tables = _tables(analysis, evidence, names)
    tables["case_images"] = _case_images(images, names)
    paths = _write_tables(tables, out_dir / "tables")
    figures = _figures(analysis, facts, names, out_dir / "figures", bodymap)
    paths += [p for f in figures for p in (f.svg_path, f.png_path)]
    formats = analysis.study.outputs.formats
    pdf = (
        write_pdf(analysis, figures, out_dir / "report.pdf")
        if OutputFormat.PDF in formats
        else None
    )
    close_figures(figures)
    results_json = out_dir / "results.json"
    _write_json(
        results_json,
        _results(analysis, tables, {names[p]: e for p, e in evidence.items()}, manifest),
    )
    _write_json(out_dir / "manifest.json", manifest)
    index = out_dir / "index.html"
    films = {
        "panel": radiograph_panel(images, names),
        "methods": image_methods(
            None if images is None else images[images["patient_id"].isin(list(names))],
            None if images is None else images.attrs.get("agreement"),
        ),
    }
    page = _html(analysis, tables, figures, manifest, pdf is not None, films)
    index.write_text(page, encoding="utf-8")
    export = (
        write_pseudonymised_export(analysis, tables, pseudonymised)
        if pseudonymised is not None
        else None
    )
    return ReportBundle(out_dir, index, results_json, (*paths, results_json, index), export, pdf)


def _results(
    analysis: StudyAnalysis,
    tables: dict[str, pd.DataFrame],
    evidence: dict[str, list[dict[str, Any]]],
    manifest: dict[str, Any],
) -> dict[str, Any]:
    """Return what ``results.json`` holds: the headline, the tables, the cases' evidence."""
    return {
        "headline": analysis.headline.to_dict(),
        "attrition": _records(tables["attrition"]),
        "proportions": _records(tables["proportions"]),
        "comparisons": _records(tables["comparisons"]),
        "cases": _records(tables["cases"]),
        "evidence": evidence,
        "images": _records(tables["case_images"]),
        "at_risk_prompts": len(analysis.at_risk),
        "manifest": manifest,
    }


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=1, default=_json_default), encoding="utf-8")
