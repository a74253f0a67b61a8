"""Whether a unit is a UCUM code (case-sensitive syntax), so that an export claims UCUM only then.

A fact's ``unit`` is the text its source gave: a UCUM code (``U/L``, ``mg/dL``, ``10*9/L``),
or a label a source wrote (``unit per liter``, ``cells/uL``, ``IU/ml``). The Phenopacket and
FHIR writers name a unit as UCUM (``UCUM:U/L``, ``system: http://unitsofmeasure.org``) only when
:func:`is_ucum` accepts it. This is a syntax check of the UCUM grammar (https://ucum.org/ucum,
§2-§7: terms of components joined by ``.`` and ``/``, parentheses, exponents, annotations in
braces, prefixes on metric atoms) against the atoms a clinical registry meets (base and derived
SI units, litre, mole, equivalents, international and arbitrary units, time, percent and
parts-per, mercury and water columns, customary lengths and masses). A unit built from an atom
outside that list is not called UCUM (calciscope's operational decision: a false "not UCUM" only
loses a label's claim; a false "UCUM" tells another system a wrong unit).
"""

from __future__ import annotations

import functools
import re

__all__ = ["is_ucum"]

#: Prefixes (UCUM §4, table 1), case-sensitive.
_PREFIXES = (
    "da",
    "Y",
    "Z",
    "E",
    "P",
    "T",
    "G",
    "M",
    "k",
    "h",
    "d",
    "c",
    "m",
    "u",
    "n",
    "p",
    "f",
    "a",
    "z",
    "y",
)
#: Metric atoms (take a prefix).
_METRIC = frozenset(
    [
        "m",
        "s",
        "g",
        "rad",
        "K",
        "C",
        "cd",
        "mol",
        "sr",
        "Hz",
        "N",
        "Pa",
        "J",
        "W",
        "A",
        "V",
        "F",
        "Ohm",
        "S",
        "Wb",
        "Cel",
        "T",
        "H",
        "lm",
        "lx",
        "Bq",
        "Gy",
        "Sv",
        "l",
        "L",
        "ar",
        "t",
        "bar",
        "u",
        "eV",
        "pc",
        "cal",
        "eq",
        "osm",
        "kat",
        "U",
        "b",
        "dyn",
        "erg",
        "P",
        "St",
        "G",
        "Mx",
        "Ci",
        "R",
        "gf",
        "[iU]",
        "[IU]",
        "[CFU]",
        "[PFU]",
        "m[Hg]",
        "m[H2O]",
        "[GPL'U]",
        "[MPL'U]",
        "[APL'U]",
        "[beth'U]",
        "[anti'Xa'U]",
        "[todd'U]",
        "[dye'U]",
        "[smgy'U]",
        "[bdsk'U]",
        "[ka'U]",
        "[knk'U]",
        "[mclg'U]",
        "[tb'U]",
        "[FFU]",
        "[BAU]",
        "[AU]",
        "[Amb'a'1'U]",
        "[EID_50]",
        "[TCID_50]",
        "[CCID_50]",
        "[PNU]",
        "[Lf]",
        "[D'ag'U]",
        "[FEU]",
        "[ELU]",
        "[EU]",
    ]
)
#: Atoms that take no prefix.
_PLAIN = frozenset(
    [
        "10*",
        "10^",
        "%",
        "[ppth]",
        "[ppm]",
        "[ppb]",
        "[pptr]",
        "min",
        "h",
        "d",
        "wk",
        "mo",
        "a",
        "mo_j",
        "a_j",
        "mo_s",
        "mo_g",
        "a_t",
        "a_g",
        "[pi]",
        "[in_i]",
        "[ft_i]",
        "[yd_i]",
        "[mi_i]",
        "[lb_av]",
        "[oz_av]",
        "[gr]",
        "[degF]",
        "[pH]",
        "[drp]",
        "[HPF]",
        "[LPF]",
        "[arb'U]",
        "[USP'U]",
        "[hp'_X]",
        "[hp'_C]",
        "[hp'_M]",
        "[hp'_Q]",
        "[kp_X]",
        "[kp_C]",
        "[kp_M]",
        "[kp_Q]",
        "[mesh_i]",
        "[Ch]",
        "[in_i'H2O]",
        "[in_i'Hg]",
        "[PRU]",
        "[wood'U]",
        "[diop]",
        "[p'diop]",
        "deg",
        "'",
        "''",
        "gon",
        "[sft_i]",
        "[sin_i]",
        "[cft_i]",
        "[cin_i]",
        "[gal_us]",
        "[qt_us]",
        "[pt_us]",
        "[foz_us]",
        "[tsp_us]",
        "[tbs_us]",
        "[cup_us]",
        "[Btu]",
        "[HP]",
        "[MET]",
        "[S]",
        "[mu]",
        "[g]",
        "[k]",
        "[h]",
        "[c]",
        "[e]",
        "[G]",
        "Np",
        "B",
        "B[SPL]",
        "B[V]",
        "B[mV]",
        "B[uV]",
        "B[W]",
        "B[kW]",
        "mho",
        "st",
    ]
)
_ATOMS = sorted(_METRIC | _PLAIN, key=len, reverse=True)
_EXPONENT = re.compile(r"[+-]?[0-9]+")
_DIGITS = re.compile(r"[0-9]+")


def is_ucum(unit: str | None) -> bool:
    """Whether ``unit`` is a UCUM code (``U/L``, ``mg/dL``, ``10*9/L``, ``{titre}``, ``1``)."""
    if not unit or not unit.isascii() or any(c.isspace() for c in unit):
        return False
    return len(unit) in _term(unit, 0)


@functools.lru_cache(maxsize=4096)
def _term(text: str, start: int) -> frozenset[int]:
    """Return every position where a term that begins at ``start`` may end."""
    ends: set[int] = set()
    begin = start + 1 if text.startswith("/", start) else start  # "/min": a leading division
    todo = list(_component(text, begin))
    while todo:
        end = todo.pop()
        if end in ends:
            continue
        ends.add(end)
        if end < len(text) and text[end] in "./":
            todo.extend(_component(text, end + 1))
    return frozenset(ends)


def _component(text: str, start: int) -> set[int]:
    """Return every position where one component (a unit, a factor, a group) may end."""
    if start >= len(text):
        return set()
    ends: set[int] = set()
    if text[start] == "(":
        ends |= {e + 1 for e in _term(text, start + 1) if text.startswith(")", e)}
    elif text[start] == "{":
        close = text.find("}", start)
        if close > start and "{" not in text[start + 1 : close]:
            ends.add(close + 1)
        return ends
    elif (digits := _DIGITS.match(text, start)) is not None:
        ends.add(digits.end())  # a factor: "1", "1000"
    for end in _simple_units(text, start):
        exponent = _EXPONENT.match(text, end)
        for after in (end, exponent.end() if exponent else end):
            ends.add(after)
            if text.startswith("{", after):  # an annotation after a unit: "mL{total}"
                close = text.find("}", after)
                if close > after:
                    ends.add(close + 1)
    return ends


def _simple_units(text: str, start: int) -> set[int]:
    ends = set()
    for atom in _ATOMS:
        if text.startswith(atom, start):
            ends.add(start + len(atom))
    for prefix in _PREFIXES:
        if text.startswith(prefix, start):
            at = start + len(prefix)
            ends |= {at + len(a) for a in _ATOMS if a in _METRIC and text.startswith(a, at)}
    return ends
