"""`grader gradescope EXERCISE`: the autograder zip Gradescope builds its image from.

The zip's root holds what Gradescope's harness runs (`setup.sh`, `run_autograder`), a wheel of
this grader built from the code that is running (so the autograder grades exactly as the
instructor's copy does, bundled exercises and templates included), and, for an exercise folder
outside the bundled library, that folder as `exercise/`.

`setup.sh` runs once on Gradescope's Ubuntu image: it installs Python 3.11 when the image's
python3 is older (Ubuntu 22.04 ships 3.10), makes a virtual environment in /autograder/venv, and
installs the pinned CPU build of PyTorch and the wheel. `run_autograder` runs for each
submission: `python -m grader.lms.gradescope` grades /autograder/submission and writes
/autograder/results/results.json; should Python itself not start, the script still writes a
valid results.json with a visible "Grading failed" test.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
from importlib import metadata
from pathlib import Path

from .. import __version__
from ..errors import GraderError
from .common import zip_bytes
from .gradescope import WORDS, failed_test

# The CPU build of PyTorch that scripts/setup installs (tests keep the two in step).
TORCH_PIN = "torch==2.13.0"
SKIP = ("__pycache__", ".pytest_cache", ".mypy_cache")


def _files(folder: Path, prefix: str) -> list[tuple[str, bytes]]:
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_dir() or any(part in SKIP or part.startswith(".") for part in rel.parts) or path.suffix == ".pyc":
            continue
        found.append((f"{prefix}/{rel.as_posix()}", path.read_bytes()))
    return found


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel() -> tuple[str, bytes]:
    """A pure-Python wheel of the running grader: its package, `reference`, exercises and templates."""
    from ..library import bundle_dir

    package = Path(__file__).resolve().parent.parent
    members = _files(package, "grader")
    if not (package / "_bundle").is_dir():  # a source checkout: the bundle lives beside the package
        for name in ("exercises", "templates"):
            members += _files(bundle_dir(name), f"grader/_bundle/{name}")
    spec = importlib.util.find_spec("reference")
    if spec is None or not spec.submodule_search_locations:
        raise GraderError("the 'reference' package is not importable; cannot build the autograder")
    members += _files(Path(next(iter(spec.submodule_search_locations))), "reference")
    try:
        requires = [r for r in (metadata.requires("grader") or []) if "extra ==" not in r]
        python = metadata.metadata("grader")["Requires-Python"] or ">=3.11"
    except metadata.PackageNotFoundError:
        raise GraderError("the grader is not installed (pip install -e .); cannot build the autograder") from None
    info = f"grader-{__version__}.dist-info"
    meta = "".join([f"Metadata-Version: 2.1\nName: grader\nVersion: {__version__}\nRequires-Python: {python}\n",
                    *(f"Requires-Dist: {r}\n" for r in requires)])
    members += [(f"{info}/METADATA", meta.encode()),
                (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: grader\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
                (f"{info}/entry_points.txt", b"[console_scripts]\ngrader = grader.cli:main\n")]
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in members) + f"{info}/RECORD,,\n"
    members.append((f"{info}/RECORD", record.encode()))
    return f"grader-{__version__}-py3-none-any.whl", zip_bytes(members)


SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, on its Ubuntu image, with this zip in /autograder/source.
set -euo pipefail
cd /autograder/source
PYTHON=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3.11 python3.11-venv
    PYTHON=python3.11
fi
"$PYTHON" -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --quiet --upgrade pip
# The CPU build from PyTorch's own index: PyPI's default Linux wheel carries CUDA (several GB),
# useless in Gradescope's CPU-only containers and over their memory limit.
/autograder/venv/bin/python -m pip install --quiet "{torch}" --index-url https://download.pytorch.org/whl/cpu
/autograder/venv/bin/python -m pip install --quiet /autograder/source/{wheel}
/autograder/venv/bin/python -c "import grader.lms.gradescope, torch, numpy"
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission (files in /autograder/submission). The grader writes
# /autograder/results/results.json whatever happens to the student's code; should Python itself
# fail to start, a valid results.json with a visible failed test is written here instead.
cd /autograder
/autograder/venv/bin/python -m grader.lms.gradescope --root /autograder --exercise {exercise} --lang {lang}
if [ ! -s /autograder/results/results.json ]; then
    mkdir -p /autograder/results
    cat > /autograder/results/results.json <<'EOF'
{fallback}
EOF
fi
"""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def build(exercise_ref: str, lang: str = "en") -> tuple[bytes, list[str]]:
    """The autograder zip for an exercise (bundled id or folder), and the names of its members."""
    from ..library import exercises_root, load, resolve

    folder = resolve(exercise_ref)
    exercise = load(exercise_ref)
    members: list[tuple[str, bytes]] = []
    if folder.parent == exercises_root().resolve():
        target = folder.name
    else:  # an exercise folder of the instructor's own: shipped beside the wheel
        members += _files(folder, "exercise")
        target = "/autograder/source/exercise"
    name, data = wheel()
    fallback = {"score": 0, "output": WORDS[lang]["crash"], "output_format": "text",
                "tests": [failed_test(WORDS[lang]["crash"], exercise.max_score, lang)]}
    scripts = [("setup.sh", SETUP.format(torch=TORCH_PIN, wheel=name)),
               ("run_autograder", RUN.format(exercise=_quote(target), lang=lang,
                                             fallback=json.dumps(fallback, ensure_ascii=False)))]
    members = [(n, s.encode()) for n, s in scripts] + [(name, data)] + members
    return zip_bytes(members, executable=("setup.sh", "run_autograder")), [n for n, _ in members]
