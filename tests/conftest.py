from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """Where this machine allows only "basic" isolation (no user namespaces, not root), `grade`
    refuses untrusted notebooks; the suite's notebooks are ours, so it grades them anyway. The
    refusal itself is tested with this setting taken away."""
    import os

    from grader.sandbox.isolation import detect

    if detect() == "basic":
        os.environ.setdefault("GRADER_ACCEPT_WEAK_ISOLATION", "1")


@pytest.fixture(scope="session")
def sandbox():
    """One pool of warm workers shared by the tests that execute code (numpy and torch preloaded)."""
    from grader.sandbox import Sandbox

    with Sandbox(workers=2, preload=("numpy", "torch")) as pool:
        yield pool


def make_notebook(cells: list[str], exercise: str | None = "activations", markdown: dict[str, str] | None = None) -> dict:
    """A minimal nbformat-4 notebook whose code cells hold `cells`."""
    nb_cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": src}
                for src in cells]
    for tag, text in (markdown or {}).items():
        nb_cells.append({"cell_type": "markdown", "metadata": {"tags": [tag]}, "source": text})
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    if exercise:
        metadata["grader"] = {"exercise": exercise}
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": nb_cells}


def write_notebook(path: Path, cells: list[str], exercise: str | None = "activations") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(make_notebook(cells, exercise)), encoding="utf-8")
    return path


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """The system Chromium through Playwright (never a browser a tool downloads)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install it with scripts/browser (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright's Python package is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
