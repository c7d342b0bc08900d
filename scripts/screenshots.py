"""The README's pictures: grade the sample class, then photograph a report and the class page.

    .venv/bin/python scripts/screenshots.py [--out docs] [--lang en]

Uses the system Chromium (/usr/bin/chromium, installed by scripts/browser) through Playwright,
with JavaScript off and nothing fetched from the network.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
STUDENT = "bruno_partly_wrong"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--lang", default="en", choices=("en", "es"))
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: run scripts/browser first", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        graded = Path(tmp) / "out"
        subprocess.run([str(Path(sys.executable).parent / "grader"), "grade", str(ROOT / "examples" / "submissions"),
                        "--out", str(graded), "--lang", args.lang], check=True, stdout=subprocess.DEVNULL)
        args.out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            context = browser.new_context(viewport={"width": 960, "height": 1280}, java_script_enabled=False,
                                          device_scale_factor=1)
            page = context.new_page()
            page.goto((graded / "reports" / f"{STUDENT}.html").as_uri())
            page.screenshot(path=str(args.out / "report.png"))
            page.locator("#task-relu_prime").screenshot(path=str(args.out / "report-picture.png"))
            page.goto((graded / "index.html").as_uri())
            page.screenshot(path=str(args.out / "class.png"))
            browser.close()
    for name in ("report.png", "report-picture.png", "class.png"):
        print(args.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
