"""Running untrusted notebook code: warm workers, forked isolated children, plain-data results."""

from .limits import Limits
from .runner import CellRun, ErrorInfo, Execution, Job, Output, Probe, ProbeRun, Sandbox

__all__ = ["CellRun", "ErrorInfo", "Execution", "Job", "Limits", "Output", "Probe", "ProbeRun", "Sandbox"]
