"""Puts into the wheel the `grader` modules that checking reaches (student/closure.py), taken
from the repository this folder sits in."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class StudentFiles(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        here = Path(self.root)
        repo = here.parent
        if not (repo / "grader" / "live" / "__init__.py").is_file():
            raise RuntimeError(f"{here} must sit in the grader repository, beside its grader/ package")
        spec = importlib.util.spec_from_file_location("grader_closure", here / "closure.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for path in module.closure(repo):
            build_data["force_include"][str(path)] = str(path.relative_to(repo))
