"""The package as a whole: light import, re-exports, the rules every module keeps."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import reference

PACKAGE = Path(reference.__file__).parent
MODULES = sorted(p for p in PACKAGE.glob("*.py") if p.name != "__init__.py")


def test_import_is_light() -> None:
    code = "import sys, reference; print('torch' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PACKAGE.parent, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "False"], f"importing reference pulled in torch/numpy: {out}"


def test_every_export_resolves() -> None:
    assert len(reference.__all__) == len(set(reference.__all__)) > 50
    for name in reference.__all__:
        assert getattr(reference, name) is not None, name
    from reference import adam_step  # noqa: F401  the promise of the docstring

    with pytest.raises(AttributeError, match="no attribute 'adamw_step'"):
        reference.adamw_step  # noqa: B018


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_rules(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    assert len(source.splitlines()) < 400, f"{path.name} is {len(source.splitlines())} lines"
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    } | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert "grader" not in imported, f"{path.name} imports grader"
    if path.name != "device.py":
        assert ".cuda(" not in source and '"cuda"' not in source, f"{path.name} picks a device itself"
    assert ast.get_docstring(tree), f"{path.name} has no module docstring"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_public_functions_are_typed_and_documented(path: Path) -> None:
    module = __import__(f"reference.{path.stem}", fromlist=["_"])
    for name, obj in vars(module).items():
        if name.startswith("_") or not inspect.isfunction(obj) or obj.__module__ != module.__name__:
            continue
        signature = inspect.signature(obj)
        untyped = [p for p in signature.parameters if signature.parameters[p].annotation is inspect.Parameter.empty]
        assert not untyped, f"{path.stem}.{name}: parameters without type hints {untyped}"
        assert signature.return_annotation is not inspect.Signature.empty, f"{path.stem}.{name}: no return type"
        assert obj.__doc__, f"{path.stem}.{name}: no docstring"
