"""``calciscope facts add|correct|history``: enter and correct facts by hand.

A correction supersedes the fact (the old one is kept with its history); both record who and
why. Values are validated by the same model as imports, so errors name the field.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from calciscope import api
from calciscope.cli.cohort import console
from calciscope.cli.options import DbOption, JsonOption
from calciscope.cli.output import echo_json, mark_read_only
from calciscope.cli.review import ReasonOption

__all__ = ["register"]

facts_app = typer.Typer(help="Enter, correct and trace facts by hand.", no_args_is_help=True)

AuthorOption = Annotated[
    str | None,
    typer.Option(
        "--author", help="Who (default: $CALCISCOPE_USER, else the OS user).", show_default=False
    ),
]
ReferenceHighOption = Annotated[
    str | None,
    typer.Option(
        "--reference-high",
        help=(
            "The laboratory's upper limit of normal for the value, in its unit (0 or more); "
            "'none': no ULN recorded (facts correct: clears it, the default table applies)."
        ),
        metavar="NUMBER|none",
        show_default=False,
    ),
]

#: What ``--reference-high`` reads as "no upper limit of normal recorded".
_NO_ULN = frozenset({"none", "null", "-"})


def _reference_high(fields: dict[str, Any]) -> dict[str, Any]:
    """Read ``--reference-high`` of the given fields: a number, or None for ``none`` (cleared).

    Text that is neither is a usage error naming the option.
    """
    text = fields.get("reference_high")
    if text is None:
        return fields
    if text.strip().lower() in _NO_ULN:
        return fields | {"reference_high": None}
    try:
        return fields | {"reference_high": float(text)}
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a number (or 'none' for no upper limit of normal)",
            param_hint="--reference-high",
        ) from None


#: Option name -> fact field (the options whose name differs from the field).
_NAMES = {"date": "effective_date", "value": "value_num", "site": "body_site"}

#: Fields ``facts correct --clear`` may empty (by option name): every optional one.
CLEARABLE = (
    "date",
    "value",
    "value-text",
    "unit",
    "reference-high",
    "site",
    "laterality",
    "morphology",
    "method",
)

ClearOption = Annotated[
    list[str] | None,
    typer.Option(
        "--clear",
        help="Clear a field the fact has (repeat for more): " + ", ".join(CLEARABLE) + ".",
        show_default=False,
    ),
]


def _cleared(names: list[str] | None, given: dict[str, Any]) -> dict[str, None]:
    """Return ``--clear`` as fact fields set to None.

    A name that is not clearable, or a field also given a value, is an error naming it.
    """
    out: dict[str, None] = {}
    for name in names or []:
        option = name.strip().lower().replace("_", "-")
        field = _NAMES.get(option, option.replace("-", "_"))
        if option not in CLEARABLE:
            raise typer.BadParameter(
                f"{name!r} cannot be cleared; one of: {', '.join(CLEARABLE)}", param_hint="--clear"
            )
        if field in given:
            raise typer.BadParameter(
                f"{option} is both given a value and cleared", param_hint="--clear"
            )
        out[field] = None
    return out


#: The command options that are not fact fields (the others are named after one, or mapped).
_NOT_FIELDS = ("fact_id", "reason", "author", "db", "expected_version", "clear")


def _fields(options: dict[str, Any]) -> dict[str, Any]:
    """Map a command's options (its ``locals()``) to fact fields, leaving out those not given."""
    names = {"patient": "patient_id", **_NAMES}
    return {
        names.get(k, k): v for k, v in options.items() if v is not None and k not in _NOT_FIELDS
    }


def add(
    reason: ReasonOption,
    patient: Annotated[str, typer.Option("--patient", help="Patient id.")],
    system: Annotated[
        str, typer.Option("--system", help="Code system (HP, SNOMEDCT, LOINC, calciscope, ...).")
    ],
    code: Annotated[str, typer.Option("--code", help="Code in that system.")],
    status: Annotated[
        str, typer.Option("--status", help="present, absent or unknown.")
    ] = "present",
    date: Annotated[str | None, typer.Option("--date", help="Effective date (YYYY-MM-DD).")] = None,
    value: Annotated[float | None, typer.Option("--value", help="Numeric value.")] = None,
    value_text: Annotated[str | None, typer.Option("--value-text", help="Text value.")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Unit of the value.")] = None,
    reference_high: ReferenceHighOption = None,
    site: Annotated[
        str | None, typer.Option("--site", help="Body region (fingers, hand, ...).")
    ] = None,
    laterality: Annotated[
        str | None, typer.Option("--laterality", help="left, right, bilateral.")
    ] = None,
    morphology: Annotated[
        str | None, typer.Option("--morphology", help="nodular, sheet_like, ...")
    ] = None,
    method: Annotated[
        str | None, typer.Option("--method", help="radiograph, clinical_examination, ...")
    ] = None,
    author: AuthorOption = None,
    db: DbOption = None,
) -> None:
    """Enter a confirmed fact for a patient (validated like an import)."""
    fields = _reference_high(_fields(locals()))
    with api.open_registry(db) as registry:
        fact = api.add_fact(registry, fields, author=author, reason=reason)
    console.print(
        f"added fact {fact.fact_id} for {fact.patient_id} ({fact.system}:{fact.code} {fact.status})"
    )


def correct(
    fact_id: Annotated[str, typer.Argument(help="The fact to correct (F...).")],
    reason: ReasonOption,
    system: Annotated[str | None, typer.Option("--system", help="New code system.")] = None,
    code: Annotated[str | None, typer.Option("--code", help="New code.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="present, absent or unknown.")
    ] = None,
    date: Annotated[str | None, typer.Option("--date", help="Effective date (YYYY-MM-DD).")] = None,
    value: Annotated[float | None, typer.Option("--value", help="Numeric value.")] = None,
    value_text: Annotated[str | None, typer.Option("--value-text", help="Text value.")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Unit of the value.")] = None,
    reference_high: ReferenceHighOption = None,
    site: Annotated[str | None, typer.Option("--site", help="Body region.")] = None,
    laterality: Annotated[str | None, typer.Option("--laterality", help="Side.")] = None,
    morphology: Annotated[
        str | None, typer.Option("--morphology", help="Calcinosis morphology.")
    ] = None,
    method: Annotated[str | None, typer.Option("--method", help="How it was found.")] = None,
    clear: ClearOption = None,
    expected_version: Annotated[
        int | None, typer.Option("--expected-version", help="Fail if the fact changed since.")
    ] = None,
    author: AuthorOption = None,
    db: DbOption = None,
) -> None:
    """Correct a fact: a new confirmed fact supersedes it; the old one is kept.

    ``--reference-high none`` (or ``--clear reference-high``) removes the laboratory's upper
    limit of normal (the default table then applies); ``--reference-high N`` sets it.
    """
    changes = _reference_high(_fields(locals()))
    changes |= _cleared(clear, changes)
    with api.open_registry(db) as registry:
        new = api.correct_fact(
            registry,
            fact_id,
            changes,
            author=author,
            reason=reason,
            expected_version=expected_version,
        )
    console.print(f"fact {fact_id} superseded by {new.fact_id}")


def history(
    fact_id: Annotated[str, typer.Argument(help="Any fact of the chain (F...).")],
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Show a fact's corrections, oldest first: each version, who, when and why."""
    mark_read_only()
    with api.open_registry(db) as registry:
        revisions = api.fact_history(registry, fact_id)
    if as_json:
        echo_json(revisions)
        return
    table = Table(title=f"history of {fact_id}")
    for header in ("fact", "action", "by", "at", "why", "decided", "state", "content"):
        table.add_column(header, overflow="fold")
    for r in revisions:
        f = r.fact
        value = None if f.value_num is None else f"{f.value_num:g} {f.unit or ''}".strip()
        uln = None if f.reference_high is None else f"(ULN {f.reference_high:g})"
        shown = (f.code, f.status, f.effective_date, value, uln, f.body_site, f.morphology)
        content = " ".join(str(v) for v in shown if v)
        state = "superseded" if r.superseded_by else f.review_state.value
        at = r.at.isoformat(timespec="seconds") if r.at else ""
        decided = ""
        if r.decision:
            when = r.decided_at.isoformat(timespec="seconds") if r.decided_at else ""
            decided = f"{r.decision} by {r.decided_by} at {when}"
            decided += f": {r.decision_reason}" if r.decision_reason else ""
        row = (f.fact_id, r.action, r.author or "", at, r.reason or "", decided, state, content)
        table.add_row(*row)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``facts`` to the root app."""
    facts_app.command("add")(add)
    facts_app.command("correct")(correct)
    facts_app.command("history")(history)
    app.add_typer(facts_app, name="facts")
