"""The students' distribution (student/): built from this repository, installed into a fresh
environment that already holds PyTorch 2.13.0, it leaves that torch alone, checks a released
notebook on its own, and holds no solution, hidden test, answer key or reference implementation."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader.library import exercise_dirs, load
from grader.release import BEGIN, END, release, student_notebook

from .conftest import ROOT

pytestmark = pytest.mark.slow

TORCH = "2.13.0"


def _top_level(dist: importlib.metadata.Distribution) -> set[str]:
    return {Path(str(f)).parts[0] for f in dist.files or () if not str(f).startswith("..")}


def torch_environment(into: Path) -> None:
    """Links torch 2.13.0 and what it requires, as installed here, into `into`: an environment that
    holds torch before the students' package comes, as Colab's does (installing the wheel again
    would only copy 800 MB)."""
    wanted, seen = ["torch"], set()
    into.mkdir()
    while wanted:
        name = wanted.pop()
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        key = dist.metadata["Name"].lower()
        if key in seen:
            continue
        seen.add(key)
        for top in _top_level(dist):
            source = Path(str(dist.locate_file(top)))
            if source.exists() and not (into / top).exists():
                (into / top).symlink_to(source)
        for requirement in dist.requires or ():
            if "extra ==" not in requirement:
                wanted.append(re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0])


@pytest.fixture(scope="module")
def student_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("student")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT / "student"), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp / "dist")], check=True, cwd=tmp)
    wheel = next((tmp / "dist").glob("grader_check-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(tmp / "venv")], check=True)
    python = tmp / "venv" / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    torch_environment(tmp / "held")
    (site / "_held.pth").write_text(str(tmp / "held") + "\n")
    before = subprocess.run([str(python), "-c", "import torch; print(torch.__version__, torch.__file__)"],
                            capture_output=True, text=True, check=True).stdout
    assert before.startswith(TORCH)
    install = subprocess.run([str(python), "-m", "pip", "install", str(wheel)], capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr
    return tmp, python, site, before, install.stdout


def test_installing_it_leaves_the_torch_already_there(student_env):
    _, python, _, before, log = student_env
    collected = "\n".join(line for line in log.splitlines() if line.startswith(("Collecting", "Installing collected")))
    assert "torch" not in collected.lower(), collected
    assert re.search(r"Requirement already satisfied: sympy", log)
    after = subprocess.run([str(python), "-c", "import torch; print(torch.__version__, torch.__file__)"],
                           capture_output=True, text=True, check=True).stdout
    assert after == before
    requires = subprocess.run([str(python), "-c", "import importlib.metadata as m; print(m.requires('grader-check'))"],
                              capture_output=True, text=True, check=True).stdout
    assert "torch" not in requires


def test_it_checks_a_released_notebook_on_its_own(student_env, tmp_path):
    _, python, _, _, _ = student_env
    for exercise in ("activations", "derivations"):
        release(load(exercise), tmp_path / "rel")
    cells = {name: json.loads((tmp_path / "rel" / f"{name}.ipynb").read_text())["cells"][0]["source"]
             for name in ("activations", "derivations")}
    solution = json.loads((ROOT / "exercises" / "activations" / "solution.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in solution["cells"] if c["cell_type"] == "code")
    script = tmp_path / "student.py"
    script.write_text(f"{cells['activations']}\n{code}\n"
                      "import grader\nprint(grader.check().summary())\n"
                      f"{cells['derivations']}\n"
                      "d_sigmoid = 'sigma(x)*(1 - sigma(x))'\nprint(grader.check('d_sigmoid'))\n"
                      "import sys\nprint(sorted(m for m in sys.modules if m in ('reference', 'torch')))\n")
    out = subprocess.run([str(python), str(script)], capture_output=True, text=True, cwd=tmp_path / "rel")
    assert out.returncode == 0, out.stderr
    assert "public tests: 9/9 passed; 13 hidden test(s) not run" in out.stdout
    assert "was read as (1 - sigma(x))*sigma(x)" in out.stdout  # the derivation reader runs there too
    assert "grader_check" not in out.stderr and "/work/main" not in out.stdout.split("Public tests from")[0]


def _secrets() -> dict[str, set[str]]:
    """What a student's install must not hold, taken from the repository: each exercise's solution
    code, its definition (where the hidden tests' cases are), the reference implementations, and
    the derivations' expected answers and the exam's correct options; less what the release hands
    out anyway (statements and the released notebook) and, for lines of code, the grader's own."""
    ours = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "grader").rglob("*.py"))
    handed_out = []
    for folder in exercise_dirs():
        handed_out += [p.read_text(encoding="utf-8") for p in folder.glob("statement.*.md")]
        handed_out.append(json.dumps(student_notebook(load(folder.name)), ensure_ascii=False))
    public = "\n".join(handed_out)
    found: dict[str, set[str]] = {"solution": set(), "exercise definition": set(), "reference": set(), "answer": set()}

    def keep(kind: str, line: str, least: int = 20) -> None:
        line = line.strip()
        if len(line) >= least and not line.startswith(("#", '"', "'")) and line not in ours and line not in public:
            found[kind].add(line)

    for folder in exercise_dirs():
        notebook = json.loads((folder / "solution.ipynb").read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            inside = "solution" in cell.get("metadata", {}).get("tags", [])
            for line in source.split("\n"):
                if BEGIN.match(line) or END.match(line):
                    inside = bool(BEGIN.match(line)) or "solution" in cell.get("metadata", {}).get("tags", [])
                    continue
                if inside:
                    keep("solution", line)
        for line in (folder / "exercise.py").read_text(encoding="utf-8").split("\n"):
            keep("exercise definition", line, 24)
        for task in load(folder.name).tasks:
            answers = [task.derivation.expected] if task.derivation is not None else []
            answers += [o.text.en for o in task.choice.options if o.correct] if task.choice is not None else []
            found["answer"].update(a for a in answers if len(a) >= 6 and a not in public)
    for module in (ROOT / "reference").rglob("*.py"):
        for line in module.read_text(encoding="utf-8").split("\n"):
            keep("reference", line, 24)
    return found


def test_the_install_holds_no_solution_hidden_test_answer_or_reference(student_env):
    tmp, _, site, _, _ = student_env
    record = next(site.glob("grader_check-*.dist-info")) / "RECORD"
    files = [site / row.split(",")[0] for row in record.read_text().splitlines() if row]
    names = [f.relative_to(site).as_posix() for f in files]
    assert any(n == "grader/live/__init__.py" for n in names)
    forbidden_paths = re.compile(r"(^|/)(exercises|reference|templates|_bundle)/|solution|\.ipynb$|keys\.csv$|"
                                 r"\.checks\.json$|statement\.\w+\.md$|(^|/)exercise\.py$|(^|/)wrong/|(^|/)right/")
    # grader/exercise.py is the framework's (what an exercise is made of), no exercise's.
    assert not [n for n in names if forbidden_paths.search(n) and n != "grader/exercise.py"]
    text = "\n".join(f.read_text(encoding="utf-8", errors="replace") for f in files if f.is_file())
    secrets = _secrets()
    assert all(len(values) >= 5 for values in secrets.values()), \
        {k: len(v) for k, v in secrets.items()}
    leaked = {kind: sorted(s for s in values if s in text)[:5] for kind, values in secrets.items()}
    assert not any(leaked.values()), leaked
    assert not [p for p in site.iterdir() if p.name in ("reference", "exercises", "templates")]
