"""The README's picture of `grader.check()`: a released notebook with one mistake, run in a Jupyter
kernel, then opened in JupyterLab and photographed in headless Chromium.

    .venv/bin/python scripts/notebook_screenshot.py --jupyter /path/to/venv/bin/jupyter [--out docs]

JupyterLab is not one of the grader's dependencies: give the `jupyter` command of an environment
that has it (`python -m venv /tmp/jlab && /tmp/jlab/bin/pip install jupyterlab`). The notebook is
executed by this environment's kernel (nbclient), trusted, and served on 127.0.0.1 only while it
is photographed; Chromium is the system one (/usr/bin/chromium), through Playwright.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
MISTAKE = ("# A mistake, to show what a failed check looks like\n"
           "def sigmoid(x):\n"
           "    return 1 / (1 + np.exp(x))")


def student_notebook(folder: Path) -> Path:
    """The released activations notebook, filled in from the solution, with one mistake and a check."""
    sys.path.insert(0, str(ROOT))
    from grader.library import load
    from grader.release import release

    release(load("activations"), folder)
    (folder / "activations.checks.json").unlink()  # only the notebook: the tests travel inside it
    released = json.loads((folder / "activations.ipynb").read_text())
    solution = json.loads((ROOT / "exercises" / "activations" / "solution.ipynb").read_text())
    kept = [c for c in solution["cells"] if "instructor" not in c.get("metadata", {}).get("tags", [])]
    for cell, source in zip(released["cells"][1:], kept, strict=True):
        if cell["cell_type"] == "code":
            text = source["source"]
            cell["source"] = "".join(text) if isinstance(text, list) else text
    released["cells"] += [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": MISTAKE},
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
         "source": "import grader\ngrader.check(\"sigmoid\")"},
    ]
    released["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    import nbformat
    from nbclient import NotebookClient

    node = nbformat.from_dict(released)
    NotebookClient(node, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    path = folder / "student.ipynb"
    nbformat.write(node, str(path))
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jupyter", required=True, help="the jupyter command of an environment with JupyterLab")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        notebook = student_notebook(work)
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(work / "config"), JUPYTER_DATA_DIR=str(work / "data"),
                   JUPYTER_RUNTIME_DIR=str(work / "runtime"))
        subprocess.run([args.jupyter, "trust", str(notebook)], check=True, env=env, capture_output=True)
        port = free_port()
        server = subprocess.Popen([args.jupyter, "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
                                   "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
                                   f"--ServerApp.root_dir={work}", "--LabApp.news_url=", "--allow-root"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    urllib.request.urlopen(base + "/api", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                page = browser.new_page(viewport={"width": 1180, "height": 1500}, device_scale_factor=1)
                page.goto(f"{base}/lab/tree/{notebook.name}")
                check = page.locator(".jp-OutputArea-output .grader-check").last
                check.wait_for(timeout=120_000)
                cell = page.locator(".jp-Cell").filter(has=check).last
                cell.scroll_into_view_if_needed()
                time.sleep(1.0)  # fonts and the picture settle
                args.out.mkdir(parents=True, exist_ok=True)
                target = args.out / "notebook-check.png"
                cell.screenshot(path=str(target))
                browser.close()
                print(target)
        finally:
            server.terminate()
            server.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
