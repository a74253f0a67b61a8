"""calciscope: find, classify and describe calcinosis phenotypes in SSc and myositis cohorts."""

__version__ = "0.1.0"
__all__ = ["__version__"]
