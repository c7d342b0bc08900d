"""The modules of `grader` that `grader.check()` can reach: the student's distribution ships these
and nothing else of the repository (no exercise, no reference, no template)."""

from __future__ import annotations

import ast
from pathlib import Path

# Where checking starts: the package, the in-notebook check, and the derivation reader, which
# runs as `python -m grader.symbolic.service`.
ENTRY = ("grader/__init__.py", "grader/live/__init__.py", "grader/symbolic/service.py")


def _module_file(root: Path, dotted: str) -> Path | None:
    base = root / Path(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(root: Path, path: Path) -> set[str]:
    """Dotted names of the grader modules a file imports, anywhere in it (lazy imports too)."""
    package = ".".join(path.relative_to(root).with_suffix("").parts)
    if path.name == "__init__.py":
        package = package.rsplit(".", 1)[0] + ".__init__"
    here = package.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "grader")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "grader":
                module = node.module
            else:
                continue
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)  # `from . import codec`
    return found


def closure(root: Path) -> list[Path]:
    """Every grader file reachable from ENTRY, each package's __init__ included, sorted."""
    pending = [root / entry for entry in ENTRY]
    seen: set[Path] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for parent in path.relative_to(root).parents:
            init = root / parent / "__init__.py"
            if parent.parts and init.is_file() and init not in seen:
                pending.append(init)
        for dotted in _imported(root, path):
            found = _module_file(root, dotted)
            if found is not None and found not in seen:
                pending.append(found)
    return sorted(seen)


if __name__ == "__main__":
    repo = Path(__file__).resolve().parent.parent
    for path in closure(repo):
        print(path.relative_to(repo))
