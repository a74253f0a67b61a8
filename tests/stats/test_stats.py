"""Statistics against outside references (the source of every value is named beside it)."""

from __future__ import annotations

import pandas as pd
import pytest

from calciscope.stats import (
    IntervalMethod,
    Variable,
    VariableKind,
    aalen_johansen_cumulative_incidence,
    chi_square_test,
    clopper_pearson_interval,
    fisher_exact_test,
    kaplan_meier,
    mann_whitney_u_test,
    proportion,
    table_one,
    wilson_interval,
)

# Newcombe RG. Stat Med 1998;17:857-72, Table II: method 3 (Wilson score) and method 5
# (Clopper-Pearson exact) for the four worked examples.
NEWCOMBE = [
    (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
    (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
    (0, 20, (0.0000, 0.1611), (0.0000, 0.1684)),
    (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
]


@pytest.mark.parametrize(("k", "n", "wilson", "exact"), NEWCOMBE)
def test_intervals_match_newcombe_table(k, n, wilson, exact):
    w, e = wilson_interval(k, n), clopper_pearson_interval(k, n)
    assert (w.lower, w.upper) == pytest.approx(wilson, abs=1e-4)
    assert (e.lower, e.upper) == pytest.approx(exact, abs=1e-4)


def test_proportion_text_names_its_interval():
    # the anchor denominator: 102 dcSSc of 461 (Achieng et al. 2024)
    res = proportion(102, 461, interval=IntervalMethod.CLOPPER_PEARSON)
    assert res.text() == "102/461 (22.1%; 95% CI 18.4–26.2%, Clopper–Pearson exact)"
    assert "Clopper" in res.to_html()
    assert proportion(0, 0).estimate is None


@pytest.mark.parametrize(
    ("table", "r_fisher_test"),
    [
        # R 4.2.2: f <- fisher.test(matrix(c(3, 1, 1, 3), nrow = 2)) (the ?fisher.test tea
        # tasting example); c(f$estimate, f$conf.int, f$p.value)
        ([[3, 1], [1, 3]], (6.4083088670, 0.2117329153, 621.9337505454, 0.4857142857)),
        # fisher.test(matrix(c(2, 2, 40, 417), nrow = 2)): 2 of 4 cases against 40 of 457
        ([[2, 40], [2, 417]], (10.31101747129, 0.72948253740, 145.95346008626, 0.04324159482)),
    ],
)
def test_fisher_matches_r_fisher_test(table, r_fisher_test):
    estimate, low, high, p = r_fisher_test
    res = fisher_exact_test(table)
    assert res.p_value == pytest.approx(p, rel=1e-6)
    assert res.statistic == pytest.approx(estimate, rel=1e-4)  # conditional MLE, as R
    # the exact limits come from root finding in both; R and scipy agree to under 1%
    assert res.summary.loc[0, "odds_ratio_lower"] == pytest.approx(low, rel=1e-3)
    assert res.summary.loc[0, "odds_ratio_upper"] == pytest.approx(high, rel=1e-2)


def test_chi_square_matches_r_example():
    # R ?chisq.test (Agresti 2007, p. 39): M <- as.table(rbind(c(762, 327, 468), c(484, 239, 477)))
    # chisq.test(M) -> X-squared = 30.07, df = 2, p-value = 2.954e-07
    res = chi_square_test([[762, 327, 468], [484, 239, 477]])
    assert res.statistic == pytest.approx(30.07, abs=0.01)
    assert res.p_value == pytest.approx(2.954e-07, rel=1e-3)
    assert res.summary.loc[0, "df"] == 2


def test_mann_whitney_matches_r_wilcox_example():
    # R ?wilcox.test (Hollander & Wolfe 1973, p. 69): wilcox.test(x, y) -> W = 35, p-value = 0.2544
    x = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
    y = [1.15, 0.88, 0.90, 0.74, 1.21]
    res = mann_whitney_u_test(x, y)
    assert res.statistic == 35
    assert res.p_value == pytest.approx(0.2544, abs=1e-4)


# Freireich EJ et al. Blood 1963;21:699 (6-MP arm, weeks of remission); Kaplan-Meier estimates as
# tabulated in Kleinbaum DG, Klein M. Survival Analysis, 3rd ed. 2012, ch. 2 (and R survfit).
SIX_MP = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
SIX_MP_KM = {6: 0.8571, 7: 0.8067, 10: 0.7529, 13: 0.6902, 16: 0.6275, 22: 0.5378, 23: 0.4482}


def test_kaplan_meier_matches_textbook_table():
    res = kaplan_meier(SIX_MP, [bool(e) for e in SIX_MP_EVENT], times=list(SIX_MP_KM))
    got = dict(zip(res.summary["time"], res.summary["estimate"], strict=True))
    assert got == pytest.approx(SIX_MP_KM, abs=1e-4)
    assert res.at_risk.loc["Overall", "6"] == 21
    assert res.at_risk.loc["Overall", "23"] == 6


def test_aalen_johansen_without_competing_events_is_one_minus_km():
    codes = SIX_MP_EVENT
    aj = aalen_johansen_cumulative_incidence(SIX_MP, codes, times=[10, 23])
    assert list(aj.summary["estimate"]) == pytest.approx([1 - 0.7529, 1 - 0.4482], abs=2e-3)


def test_aalen_johansen_with_competing_death_by_hand():
    # 4 subjects: event at 1, death at 2, event at 3, censored at 4. By hand (Aalen-Johansen):
    # CIF(1) = 1/4; S(2) = 3/4 * 2/3 = 1/2; CIF(3) = 1/4 + 1/2 * 1/2 = 1/2.
    aj = aalen_johansen_cumulative_incidence([1, 2, 3, 4], [1, 2, 1, 0], times=[1, 2, 3])
    assert list(aj.summary["estimate"]) == pytest.approx([0.25, 0.25, 0.5], abs=1e-3)
    km = kaplan_meier(
        [1, 2, 3, 4], [True, False, True, False], times=[3], cumulative_incidence=True
    )
    assert km.summary["estimate"].iloc[0] > 0.5  # 1-KM overstates incidence under competing risk


def test_table_one_counts_missing_apart_and_lists_small_groups():
    data = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d"],
            "sex": ["female", "female", "male", None],
            "age": [27.0, 65.0, 41.0, None],
            "scl70": [True, False, None, True],
            "case": ["case", "case", "other", "other"],
        }
    )
    variables = [
        Variable("sex", "Sex", VariableKind.CATEGORICAL),
        Variable("age", "Age", VariableKind.CONTINUOUS),
        Variable("scl70", "Anti-Scl70", VariableKind.BOOLEAN),
    ]
    res = table_one(data, variables, group="case")
    table = res.summary.set_index(["Variable", "Level"])
    assert table.loc[("Sex", "female"), "Overall (n=4)"] == "2 (66.7)"
    assert table.loc[("Sex", "missing"), "Overall (n=4)"] == "1"
    assert table.loc[("Age", "median [IQR]"), "case (n=2)"] == "46.0 [36.5–55.5]"
    assert table.loc[("Anti-Scl70", "n (%)"), "other (n=2)"] == "1 (100.0)"
    assert set(res.listing["group"]) == {"case", "other"}
    assert "<table" in res.to_html()


# Delayed entry (left truncation) with a competing event: 15 made-up subjects, checked against R
# 4.2.2, survival 3.5-3:
#   d <- data.frame(entry = c(0, 0, 1, 0.5, 2, 1, 0, 3, 2.5, 0, 4, 1, 0, 2, 1.5),
#                   exit = c(2, 3, 4, 4, 5, 6, 6, 7, 8, 9, 10, 11, 4, 6, 8),
#                   status = factor(c(1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 0, 1, 2, 0), 0:2,
#                                   c("censored", "calcinosis", "death")))
#   fit <- survfit(Surv(entry, exit, status) ~ 1, data = d, id = seq_len(nrow(d)))
#   s <- summary(fit, times = c(2, 4, 6, 8, 10))
#   cbind(s$time, s$n.risk[, 1], s$pstate[, 2], s$std.err[, 2], s$lower[, 2], s$upper[, 2])
DELAYED_ENTRY = [0, 0, 1, 0.5, 2, 1, 0, 3, 2.5, 0, 4, 1, 0, 2, 1.5]
DELAYED_EXIT = [2, 3, 4, 4, 5, 6, 6, 7, 8, 9, 10, 11, 4, 6, 8]
DELAYED_STATUS = [1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 0, 1, 2, 0]
R_SURVFIT = [  # time, n.risk, cumulative incidence, std.err, lower, upper
    (2, 10, 0.10000, 0.09486832981, 0.01557683834, 0.6419788010),
    (4, 12, 0.25000, 0.12162099599, 0.09634830766, 0.6486880934),
    (6, 9, 0.38500, 0.13146926130, 0.19714856376, 0.7518441787),
    (8, 5, 0.46375, 0.13739456185, 0.25947745860, 0.8288352432),
    (10, 2, 0.62125, 0.15843061704, 0.37687189263, 1.0000000000),
]


def test_aalen_johansen_with_delayed_entry_matches_r_survfit():
    times = [row[0] for row in R_SURVFIT]
    res = aalen_johansen_cumulative_incidence(
        DELAYED_EXIT, DELAYED_STATUS, entry=DELAYED_ENTRY, times=times
    )
    curve = res.curves["Overall"]
    for time, n_risk, cif, se, lower, upper in R_SURVFIT:
        row = curve[curve["time"] <= time].iloc[-1]
        assert (row["estimate"], row["se"]) == pytest.approx((cif, se), abs=1e-9)
        assert (row["lower"], row["upper"]) == pytest.approx((lower, upper), abs=1e-9)
        assert res.at_risk.loc["Overall", f"{time:g}"] == n_risk
    assert "delayed entry" in res.note


def test_delayed_entry_keeps_late_entrants_out_of_early_risk_sets():
    # Subject 2 enters at 5: the event at 1 is 1 of 1 at risk, not 1 of 2.
    res = aalen_johansen_cumulative_incidence([1, 6], [1, 0], entry=[0, 5], times=[1])
    assert res.summary["estimate"].iloc[0] == pytest.approx(1.0)
    plain = aalen_johansen_cumulative_incidence([1, 6], [1, 0], times=[1])
    assert plain.summary["estimate"].iloc[0] == pytest.approx(0.5)


def test_kaplan_meier_with_delayed_entry_equals_aalen_johansen_without_competing_events():
    events = [min(s, 1) if s != 2 else 0 for s in DELAYED_STATUS]
    observed = [e == 1 for e in events]
    km = kaplan_meier(
        DELAYED_EXIT, observed, entry=DELAYED_ENTRY, times=[4, 8], cumulative_incidence=True
    )
    aj = aalen_johansen_cumulative_incidence(
        DELAYED_EXIT, events, entry=DELAYED_ENTRY, times=[4, 8]
    )
    assert list(km.summary["estimate"]) == pytest.approx(list(aj.summary["estimate"]), abs=1e-9)


def test_kaplan_meier_names_a_group_it_cannot_estimate_after_delayed_entry():
    """Group a's first event empties its risk set before the others enter: no curve, a note."""
    result = kaplan_meier(
        [1, 5, 6, 4, 7],
        [True, True, False, True, False],
        entry=[0, 3, 3, 0, 0],
        groups=["a", "a", "a", "b", "b"],
        times=(1, 5),
        cumulative_incidence=True,
    )
    assert list(result.curves) == ["b"]
    assert "not estimable for a" in result.note
    assert result.at_risk.loc["a"].tolist() == [1, 2]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_aalen_johansen_on_collapsed_rows_equals_one_row_per_subject(seed):
    # rows with the same (entry, exit, code) are one weighted row: the same curve as one row
    # per subject (estimate exactly; the standard error up to the order of the additions)
    import numpy as np

    from calciscope.stats.survival import _AalenJohansen

    rng = np.random.default_rng(seed)
    n = 600
    entry = rng.integers(0, 4, n).astype(float)
    exit_ = entry + rng.integers(1, 12, n)
    code = rng.choice([0, 1, 2], n, p=[0.6, 0.25, 0.15])
    plain = _AalenJohansen(entry, exit_, code).fit()
    collapsed = _AalenJohansen.collapsed(entry, exit_, code)
    assert len(collapsed.exit) < n / 4  # many ties
    weighted = collapsed.fit()
    assert list(weighted["time"]) == list(plain["time"])
    assert list(weighted["estimate"]) == list(plain["estimate"])
    for column in ("se", "lower", "upper"):
        assert weighted[column].to_numpy() == pytest.approx(plain[column].to_numpy(), rel=1e-12)


def test_conditional_odds_ratio_interval_equals_scipys():
    # the tails summed at once give scipy's exact interval (R's fisher.test), edges included
    import numpy as np
    from scipy import stats as sps

    from calciscope.stats.comparison import conditional_odds_ratio_ci

    rng = np.random.default_rng(7)
    tables = [[[5, 0], [3, 7]], [[0, 4], [6, 2]], [[2, 0], [0, 2]], [[0, 0], [3, 4]]]
    tables += [rng.integers(0, 40, (2, 2)).tolist() for _ in range(25)]
    tables.append([[150, 520], [12000, 64000]])
    for table in tables:
        ci = sps.contingency.odds_ratio(np.array(table), kind="conditional").confidence_interval()
        low, high = conditional_odds_ratio_ci(np.array(table))
        for ours, theirs in ((low, ci.low), (high, ci.high)):
            if theirs in (0, np.inf):
                assert ours == theirs, table
            else:
                assert ours == pytest.approx(theirs, rel=1e-9), table
