"""Methods and results paragraphs generated from the study definition and the analysis."""

from __future__ import annotations

from calciscope.criteria import load_criteria_sets
from calciscope.phenotype import load_phenotypes
from calciscope.study import OverlapBasis, ReviewStates, SscBasis, StudyAnalysis, SubsetBasis
from calciscope.study.analysis import LABELS

__all__ = ["criteria_references", "methods_paragraphs", "results_paragraphs", "value_range"]

_SSC = {
    SscBasis.CLINICIAN: "a clinician's recorded diagnosis of SSc",
    SscBasis.CRITERIA: "classification by the 2013 ACR/EULAR criteria for SSc (score ≥ 9)",
    SscBasis.EITHER: "a clinician's recorded diagnosis of SSc or classification by the 2013 "
    "ACR/EULAR criteria (either sufficed)",
}
_OVERLAP = {
    OverlapBasis.CRITERIA: "fulfilment of both the 2013 ACR/EULAR SSc criteria and the 2017 "
    "EULAR/ACR criteria for idiopathic inflammatory myopathy (probable or definite)",
    OverlapBasis.CLINICIAN: "a clinician's recorded diagnosis of SSc–myositis overlap",
    OverlapBasis.EITHER: "either fulfilment of both the 2013 SSc and the 2017 IIM criteria "
    "(probable or definite) or a clinician's recorded diagnosis of SSc–myositis overlap",
}


def value_range(span: dict[str, float | None], spec: str = "g", dash: str = "–") -> str:
    """Return ``{"min": .., "max": ..}`` as text ("1–6"), or "unknown" when no value is known.

    A case's calcinosis dated before SSc onset has no interval (it is a data-quality item in
    the review queue), so the onset range may be unknown for every case.
    """
    low, high = span["min"], span["max"]
    if low is None or high is None:
        return "unknown"
    return f"{low:{spec}}{dash}{high:{spec}}"


def criteria_references() -> list[dict[str, str]]:
    """Return every criteria set with its version and citation (for the methods and the manifest)."""
    return [
        {"id": s.id, "name": s.name, "version": s.version, "citation": " ".join(s.citation.split())}
        for s in load_criteria_sets()
    ]


_SEEN = {
    "visit": "recorded clinic visit",
    "any_record": "dated encounter-like record (clinic visit, letter or other note, image, "
    "radiograph, laboratory test or mRSS examination)",
}


def _population(a: StudyAnalysis) -> str:
    s = a.study
    p = s.population
    return (
        f"We identified all patients in the registry with SSc, defined by {_SSC[p.ssc_by]}, who "
        f"had at least one {_SEEN[p.seen_by.value]} between {s.window_start:%d %B %Y} and the index "
        f"date of {p.index_date:%d %B %Y} (the {p.seen_within_years:g} years before the index "
        "date). Facts dated after the index date were ignored."
    )


def _groups(a: StudyAnalysis) -> str:
    s = a.study
    subset = (
        "the subset recorded by the clinician"
        if s.groups.subset_by is SubsetBasis.RECORDED
        else "the clinician-recorded subset when present, otherwise the LeRoy rule applied to the "
        "body regions with skin thickening"
    )
    review = (
        "Only facts confirmed by a person were counted."
        if s.review.states is ReviewStates.CONFIRMED
        else "Facts confirmed by a person defined the cases; patients who would qualify only "
        "when facts suggested by note extraction or image reading are also counted are "
        "reported separately and are not counted as cases."
    )
    return (
        f"The cutaneous subset (dcSSc, lcSSc, ssSSc) was {subset}. SSc–myositis overlap was "
        f"defined as {_OVERLAP[s.groups.overlap_by]}; no validated criteria for this overlap "
        f"exist. {review}"
    )


def _phenotype(a: StudyAnalysis) -> str:
    phenos = load_phenotypes(**a.study.phenotype_parameters)
    target = next((p for p in phenos.phenotypes if p.id == a.study.target_phenotype), None)
    label = target.label.split(" (")[0] if target else a.study.target_phenotype
    par = phenos.parameters
    regions = par.get("min_sheet_like_regions", 2)
    mixed = (
        "lesions described as mixed (nodular and sheet-like) counted toward sheet-like"
        if par.get("sheet_like_morphology") == "sheet_like_or_mixed"
        else "lesions described as mixed (nodular and sheet-like) were not counted as sheet-like"
    )
    sites = (
        "body sites, the left and right of a paired region counted as two sites"
        if par.get("region_unit") == "sides"
        else "distinct body regions, left and right of a region counted as one"
    )
    onset = {
        "calcinosis": "the first calcinosis of any kind",
        "calcinosis_sheet_like": "the first sheet-like or reticular calcinosis",
        "calcinosis_sheet_like_or_mixed": "the first sheet-like, reticular or mixed calcinosis",
    }.get(str(par.get("onset_event")), str(par.get("onset_event")))
    return (
        f"The target phenotype was {label.lower()} (calciscope phenotype "
        f"'{a.study.target_phenotype}', phenotypes version {phenos.version}): calcinosis of skin "
        f"or subcutaneous tissue with at least one lesion described as sheet-like or reticular "
        f"(Florence plate/linear/net patterns) in at least {regions} {sites}, from clinical "
        f"examination, radiographs, ultrasound or CT; {mixed}. A lesion recorded without its "
        "site left the count open: such a patient was a case only if the known sites already "
        f"reached {regions}, and otherwise counted as unknown, not as a non-case. The onset "
        f"interval ran from SSc onset to {onset}."
    )


_DATE_WORDS = {
    "first_visit_date": "first registry record (first clinic visit)",
    "last_visit_date": "last visit",
    "calcinosis_assessment_last_date": "last calcinosis assessment (a radiograph or a recorded "
    "finding, present or absent)",
}


def _follow_up(a: StudyAnalysis) -> str:
    """Describe delayed entry, censoring and who was left out of the incidence analysis."""
    spec = a.study.time_to_event
    censor = _DATE_WORDS.get(spec.censor_at, spec.censor_at.replace("_", " "))
    text = f"censoring at the {censor}"
    if spec.entry is not None:
        entry = _DATE_WORDS.get(spec.entry, spec.entry.replace("_", " "))
        text = (
            f"with delayed entry (left truncation) at the {entry}, since patients enter the "
            f"registry years after onset (Geskus, Biometrics 2011), and {text}; patients who "
            "died before they could be seen are not in the registry, so estimates are "
            "conditional on survival to registry entry"
        )
    return text


def _incidence_exclusions(a: StudyAnalysis) -> str:
    """Say who could not contribute follow-up to the cumulative incidence, by reason."""
    if not a.incidence_excluded:
        return ""
    listed = "; ".join(f"{reason}, {n}" for reason, n in a.incidence_excluded.items())
    return f"Left out of the cumulative incidence (no follow-up to contribute): {listed}. "


def _case_tests(a: StudyAnalysis) -> str:
    """Say how cases were compared with the rest: tested, or only described when few."""
    n, minimum = int(a.table["case"].sum()), a.study.statistics.min_group_for_tests
    if n < minimum:
        return (
            f"With {n} cases (fewer than {minimum}), cases were described beside the rest of "
            "the source population, not compared by hypothesis tests: p values from so few "
            "patients would mislead. "
        )
    return (
        "Cases were compared with the rest of the source population by Fisher's exact test "
        "(antibodies; conditional maximum-likelihood odds ratios with exact confidence "
        "intervals) and the Mann–Whitney U test (age at diagnosis). "
    )


def _statistics(a: StudyAnalysis) -> str:
    st = a.study.statistics
    other = "Wilson score" if st.interval.value == "clopper_pearson" else "Clopper–Pearson exact"
    return (
        f"Proportions are given with {st.confidence_level:.0%} {st.interval.label} confidence "
        f"intervals ({other} intervals beside them in Table 3). {_case_tests(a)}Calcinosis of any "
        "kind was compared across cutaneous subsets by Pearson's chi-square test. The cumulative "
        "incidence of calcinosis (first recorded calcinosis) from SSc onset (first non-Raynaud "
        f"symptom) was estimated by the Aalen–Johansen method with death as a competing risk, "
        f"{_follow_up(a)}; Kaplan–Meier 1 − S estimates are given for comparison. "
        f"{_incidence_exclusions(a)}"
        "Continuous variables are summarised as median [interquartile range] and categorical "
        "ones as n (%) of patients with a known value; missing values are counted separately. "
        "Analyses used calciscope with scipy and lifelines."
    )


def methods_paragraphs(a: StudyAnalysis) -> list[str]:
    """Return the methods section: population, groups, phenotype, criteria sets, statistics."""
    sets = "; ".join(f"{c['name']} (version {c['version']})" for c in criteria_references())
    criteria = f"Patients were classified with the following criteria sets: {sets}."
    return [_population(a), _groups(a), criteria, _phenotype(a), _statistics(a), *_sensitivity(a)]


def _sensitivity(a: StudyAnalysis) -> list[str]:
    """Name the sensitivity analyses (Table 6), if the study has any."""
    if not a.study.sensitivity:
        return []
    from calciscope.study.sensitivity import variant_changes

    listed = "; ".join(f"{v.label} ({variant_changes(v)})" for v in a.study.sensitivity)
    return [
        "Sensitivity analyses repeated the case finding with the definitions changed one at a "
        f"time: {listed}. Table 6 gives the cases and how many had {a.study.focus_label} under "
        "each, beside the main analysis."
    ]


def _case_share(a: StudyAnalysis, within: str | None, where: str) -> str:
    """Return " (x/n (..%) of <where>)" for the study's proportion of cases ``within``, if it has one."""
    spec = next(
        (p for p in a.study.proportions if p.when == {"case": True} and p.within == within), None
    )
    return f" ({a.proportions[spec.id].text()} of {where})" if spec else ""


def _unknown_clause(a: StudyAnalysis, proportion_id: str) -> str:
    """Return " (subset unknown for 19)" for any proportion with unknowns, as the headline says."""
    text = a.proportion_unknown_text(proportion_id)
    return f" ({text})" if text else ""


def results_paragraphs(a: StudyAnalysis) -> list[str]:
    """Return the results section with the headline numbers."""
    h = a.headline
    phrases = [
        f"{a.proportions[p.id].text()} {p.results}{_unknown_clause(a, p.id)}"
        for p in a.study.proportions
        if p.results
    ]
    whom = (
        ", of whom " + ", ".join(phrases[:-1]) + " and " * (len(phrases) > 1) + phrases[-1]
        if phrases
        else ""
    )
    first = f"The source population comprised {h.source_population} patients with SSc{whom}."
    if not h.cases:
        return [first, "No patient met the definition of the target phenotype."]
    label = a.attrition[-1].label.removeprefix("Cases: ")
    focus = h.focus
    abs_ = ", ".join(f"{LABELS.get(k, k)} in {n}" for k, n in h.antibodies_positive.items() if n)
    second = (
        f"{label[:1].upper()}{label[1:]} was found in {h.cases} patients"
        f"{_case_share(a, None, 'the source population')}; {h.cases_in_focus} of the {h.cases} "
        f"had {a.study.focus_label}{_case_share(a, focus, 'that subgroup')}. Ages at SSc diagnosis: "
        f"{value_range(h.age_at_ssc_diagnosis, '.0f', ' to ')} years; {h.women} were women. "
        f"Antibodies positive among the cases: {abs_ or 'none of those compared'}. Calcinosis "
        f"was first recorded {value_range(h.calcinosis_onset_years)} years after SSc onset (of "
        "the cases with both dates in order)."
    )
    third = (
        f"{h.at_risk_prompts} patients with dcSSc and SSc–myositis overlap had no radiograph "
        f"or calcinosis assessment in the {a.study.at_risk.assessment_months} months before the "
        "index date; they are listed separately as a prompt to consider radiographic assessment, "
        "not as a diagnosis or a prediction."
    )
    extra = []
    if h.cases_suggested_only:
        extra.append(
            f"A further {h.cases_suggested_only} patients would meet the definition only when "
            "suggested (unreviewed) facts from notes or images are counted; they await review."
        )
    return [first, second, *extra, third]
