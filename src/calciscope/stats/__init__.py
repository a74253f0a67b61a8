"""Statistics for case series: functions named after the method, returning ``*Result`` objects.

Each result has a ``summary`` DataFrame and ``to_html()``; values are tested against R output
and published tables.
"""

from calciscope.stats.agreement import AgreementResult, cohen_kappa, intraclass_correlation
from calciscope.stats.comparison import (
    TestResult,
    chi_square_test,
    fisher_exact_test,
    mann_whitney_u_test,
)
from calciscope.stats.proportions import (
    IntervalMethod,
    ProportionResult,
    clopper_pearson_interval,
    proportion,
    wilson_interval,
)
from calciscope.stats.result import StatResult
from calciscope.stats.survival import (
    CumulativeIncidenceResult,
    aalen_johansen_cumulative_incidence,
    kaplan_meier,
    numbers_at_risk,
)
from calciscope.stats.table_one import (
    SMALL_GROUP,
    TableOneResult,
    Variable,
    VariableKind,
    table_one,
)

__all__ = [
    "SMALL_GROUP",
    "AgreementResult",
    "CumulativeIncidenceResult",
    "IntervalMethod",
    "ProportionResult",
    "StatResult",
    "TableOneResult",
    "TestResult",
    "Variable",
    "VariableKind",
    "aalen_johansen_cumulative_incidence",
    "chi_square_test",
    "clopper_pearson_interval",
    "cohen_kappa",
    "fisher_exact_test",
    "intraclass_correlation",
    "kaplan_meier",
    "mann_whitney_u_test",
    "numbers_at_risk",
    "proportion",
    "table_one",
    "wilson_interval",
]
