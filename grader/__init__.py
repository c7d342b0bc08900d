"""grader: grade neural-network coursework notebooks safely, fast, with actionable feedback."""

__version__ = "0.1.0"
