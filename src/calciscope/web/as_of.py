"""The date the web app evaluates at: the registry's as-of date (``api.registry_as_of``).

Read once per request that shows a result (one row of ``registry_state``), so a date set with
``calciscope registry set-as-of`` while the app runs, or today's date moving on at midnight
for a registry without one, is followed at once: when it differs from the date the app's kept
results were computed at, the per-patient results are forgotten and the patient list is taken
at the new date (a new :class:`~calciscope.web.cache.PatientTable`); the review queue's kept
lists are keyed by their date. The CLI (``calciscope patients show --explain``) reads the same
date, so one patient gets one answer in both.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request

from calciscope import api

__all__ = ["as_of_text", "current_as_of"]


def current_as_of(request: Request) -> api.AsOf:
    """Return the registry's as-of date now; a change drops what was computed at the old one.

    Read once per request (kept on ``request.state``): a page that asks twice, as the
    dashboard does, reads ``registry_state`` once and shows one date throughout.
    """
    kept = getattr(request.state, "as_of", None)
    if kept is not None:
        return kept
    state: Any = request.app.state
    found = api.registry_as_of(state.registry)
    request.state.as_of = found
    with state.as_of_lock:
        if found.date != state.as_of.date:
            state.patient_table = state.make_patient_table(found.date)
            state.as_of = found
            state.forget_every_patient()  # explanations and page records of the old date
        state.as_of = found
    return found


def as_of_text(shown: dt.date, current: api.AsOf) -> str:
    """Return how to show a result's date: with why, when it is the current as-of date."""
    if shown == current.date:
        return current.describe()
    return api.AsOf(shown, api.AsOfSource.CHOSEN).describe()
