"""calciscope: find, classify and describe calcinosis phenotypes in SSc and myositis cohorts."""

import os as _os

__version__ = "0.1.0"
__all__ = ["__version__"]

if _os.environ.get("CALCISCOPE_PURE_PYTHON", "") not in ("", "0"):
    from calciscope._pure import prefer_source as _prefer_source

    _prefer_source()
