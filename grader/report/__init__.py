"""Feedback reports: one self-contained HTML page per student and a class index (Jinja2).

Reports know nothing of execution: they read `SubmissionResult`s. What a student may see of each
test is decided once, by `student_view`; pictures are drawn by `grader.report.plots` only where
they help, and matplotlib is imported only then.
"""

from .pages import render_index, render_student, report_name
from .ui import UI
from .views import TestView, student_view, trim_traceback

__all__ = ["UI", "TestView", "render_index", "render_student", "report_name", "student_view", "trim_traceback"]
