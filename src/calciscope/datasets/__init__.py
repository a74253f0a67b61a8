"""The synthetic demo cohort: SSc, myositis and calcinosis, calibrated to published figures.

Everything this package writes is SYNTHETIC and says so in every file.
"""

from calciscope.datasets.generator import (
    DEFAULT_INDEX_DATE,
    DEFAULT_PATIENTS,
    DemoManifest,
    generate_demo_cohort,
)

__all__ = ["DEFAULT_INDEX_DATE", "DEFAULT_PATIENTS", "DemoManifest", "generate_demo_cohort"]
