"""The README's pictures: grade the sample class, then photograph a report and the class page;
grade a small exam class, then photograph its marking page in `grader serve`.

    .venv/bin/python scripts/screenshots.py [--out docs] [--lang en]

Uses the system Chromium (/usr/bin/chromium, installed by scripts/browser) through Playwright,
with nothing fetched from the network; JavaScript is off for the reports (they have none) and on
for the marking page, which is served on 127.0.0.1 only while it is photographed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
STUDENT = "bruno_partly_wrong"
RELU = ("ReLU(x) = max(0, x): zero for negative inputs, the identity for positive ones. It does not saturate "
        "for x > 0, so the gradient does not vanish through many layers, and it is cheap to compute.")
EXAM_ANSWERS = {  # t2, "What is ReLU, and why does it help train deep networks?"
    "ana": RELU,
    "bruno": RELU.replace("ReLU(x)", "relu(x)"),  # the same answer: marked together with ana's
    "carla": RELU.replace("it is cheap to compute", "it is cheap to compute and sparse"),  # nearly the same
    "dani": "ReLU is $\\max(0, x)$. Better than the sigmoid because it is faster.",
}


def exam_class(root: Path, grader: Path) -> Path:
    """A released exam answered by four students, graded into root/out."""
    subprocess.run([str(grader), "release", "exam", "--out", str(root / "rel")], check=True, stdout=subprocess.DEVNULL)
    template = json.loads((root / "rel" / "exam.ipynb").read_text())
    (root / "subs").mkdir()
    for student, answer in EXAM_ANSWERS.items():
        for cell in template["cells"]:
            if "t2" in cell.get("metadata", {}).get("tags", []):
                cell["source"] = cell["metadata"]["grader"]["prompt"] + "\n\n" + answer
        (root / "subs" / f"{student}.ipynb").write_text(json.dumps(template))
    subprocess.run([str(grader), "grade", str(root / "subs"), "--out", str(root / "out")], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return root / "out"


def marking_page(browser, out: Path, target: Path) -> None:
    """The marking page of ana's answer to t2, two criteria given points with the keyboard."""
    from grader.serve import Server

    with Server(out, port=0) as server:
        context = browser.new_context(viewport={"width": 1100, "height": 1440}, device_scale_factor=1)
        context.add_cookies([{"name": f"grader-marker-{server.port}", "value": "marta", "url": server.base}])
        page = context.new_page()
        page.goto(server.url)
        page.goto(server.base + "/mark/t2/ana")
        page.keyboard.press("1")
        page.keyboard.press("1")
        page.screenshot(path=str(target))
        context.close()


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
            marking_page(browser, exam_class(Path(tmp) / "exam", Path(sys.executable).parent / "grader"),
                         args.out / "marking.png")
            browser.close()
    for name in ("report.png", "report-picture.png", "class.png", "marking.png"):
        print(args.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
