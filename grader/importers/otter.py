"""Reading an otter-grader master notebook (Otter Assign's format v1).

Raw cells delimit blocks: `# ASSIGNMENT CONFIG` (YAML: `files`, …), `# BEGIN QUESTION` (YAML:
`name`, `points`, `manual`) … `# END QUESTION`, and inside a question `# BEGIN SOLUTION`,
`# BEGIN PROMPT` and `# BEGIN TESTS` blocks, each closed by its `# END …` cell. Each code cell of
a tests block is one test case: hidden when its first line is `# HIDDEN` or the YAML
of its leading `# BEGIN TEST CONFIG` string says `hidden: true`, worth the points otter's rules give it, and
passing when its last expression shows what the solution's showed (OK-format doctest). Cells
whose first line is `## Ignore ##` belong to neither output.

Solution code follows otter's syntax, turned into our regions: a line ending in `# SOLUTION`
(the student sees `...`, or `name = ...`), `# SOLUTION NO PROMPT` or `# SEED` (the student sees
nothing), `# BEGIN SOLUTION [NO PROMPT]` … `# END SOLUTION`, and a `# BEGIN PROMPT` string (up to
`# END PROMPT`) whose lines the student sees instead.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from .model import (
    Assignment,
    Cell,
    Manual,
    TestCase,
    TestCell,
    heading,
    identifier,
    load_notebook,
    source_of,
)

_DELIMITER = re.compile(r"^#\s*(BEGIN|END)\s+(QUESTION|SOLUTION|TESTS|PROMPT)\b", re.IGNORECASE)
_IGNORE = re.compile(r"^\s*##\s*ignore\s*##\s*$", re.IGNORECASE)
_HIDDEN = re.compile(r"^\s*#\s*HIDDEN\s*$", re.IGNORECASE)
_BLOCK = re.compile(r"^(\s*)#\s*BEGIN SOLUTION( NO PROMPT)?\s*$")
_BLOCK_END = re.compile(r"^\s*#\s*END SOLUTION\s*$")
_PROMPT = re.compile(r"^(\s*)(\"\"\"|''')\s*#\s*BEGIN PROMPT\s*$")
_PROMPT_END = re.compile(r"^\s*(\"\"\"|''');?\s*#\s*END PROMPT\s*$")
_LINE = re.compile(r"^(.*?)\s*#\s*(SOLUTION NO PROMPT|SEED|SOLUTION)\s*$")
_ASSIGN = re.compile(r"^(\s*)([^=]+?[^=<>!+\-*/%&|^@:])\s*=(?!=)\s*(.+)$")
DEFAULT_PROMPT = "_Type your answer here, replacing this text._"


def _raw(source: str) -> str:
    """A raw cell's text: HTML around it (as some editors save it) removed."""
    return "\n".join(line for line in html.unescape(re.sub(r"<[^>]+>", "", source)).split("\n")).strip()


def _region(indent: str, body: list[str], student: list[str]) -> list[str]:
    lines = [f"{indent}# BEGIN SOLUTION", *body]
    lines += [f"{indent}# STUDENT: {line[len(indent):] if line.startswith(indent) else line.lstrip()}"
              for line in student] or [f"{indent}# STUDENT:"]
    return lines + [f"{indent}# END SOLUTION"]


def otter_solution(source: str) -> str:
    """Solution code in otter's syntax, with our `# BEGIN SOLUTION` regions and `# STUDENT:` lines."""
    lines, out, i = source.split("\n"), [], 0
    while i < len(lines):
        line = lines[i]
        block, prompt, single = _BLOCK.match(line), _PROMPT.match(line), _LINE.match(line)
        if block:
            end = next((j for j in range(i + 1, len(lines)) if _BLOCK_END.match(lines[j])), None)
            if end is None:
                raise ValueError(f"line {i + 1}: '# BEGIN SOLUTION' has no '# END SOLUTION'")
            body, i = lines[i + 1:end], end + 1
            student = [] if block.group(2) else [block.group(1) + "..."]
            if i < len(lines) and _PROMPT.match(lines[i]):
                student, i = _prompt(lines, i)
            out += _region(block.group(1), body, student)
        elif prompt:
            student, i = _prompt(lines, i)
            out += _region(prompt.group(1), [], student)
        elif single and single.group(1).strip():
            code, kind = single.group(1), single.group(2)
            indent = code[: len(code) - len(code.lstrip())]
            assign = _ASSIGN.match(code)
            if assign and any(assign.group(2).count(a) != assign.group(2).count(b) for a, b in ("()", "[]", "{}")):
                assign = None  # `f(x=1)`: a keyword, not an assignment
            student = [] if kind != "SOLUTION" else \
                [f"{assign.group(1)}{assign.group(2)} = ..." if assign else f"{indent}..."]
            out += _region(indent, [code], student)
            i += 1
        else:
            out.append(line)
            i += 1
    return "\n".join(out)


def _prompt(lines: list[str], start: int) -> tuple[list[str], int]:
    end = next((j for j in range(start + 1, len(lines)) if _PROMPT_END.match(lines[j])), None)
    if end is None:
        raise ValueError(f"line {start + 1}: '# BEGIN PROMPT' has no '# END PROMPT'")
    return lines[start + 1:end], end + 1


def _yaml(text: str, where: str, path: Path) -> dict[str, Any]:
    body = "\n".join(text.split("\n")[1:])
    try:
        data = yaml.safe_load(body) if body.strip() else {}
    except yaml.YAMLError as exc:
        raise InputError(f"{where}: its YAML cannot be read ({exc})", path) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{where}: its YAML is not a mapping of settings", path)
    return data


def read_case(source: str, where: str, path: Path) -> tuple[str, dict[str, Any]]:
    """A test cell's code without otter's `# HIDDEN` line and TEST CONFIG string, and its settings."""
    lines = source.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    config: dict[str, Any] = {}
    if lines and _HIDDEN.match(lines[0]):
        config["hidden"] = True
        lines.pop(0)
    if lines and re.match(r"^\s*(\"\"\"|''')\s*#\s*BEGIN TEST CONFIG", lines[0]):
        end = next((j for j, line in enumerate(lines) if "END TEST CONFIG" in line and j > 0), None)
        if end is None:
            raise InputError(f"{where}: '# BEGIN TEST CONFIG' has no '# END TEST CONFIG'", path)
        config.update(_yaml("\n".join(lines[:end]), where, path))
        lines = lines[end + 1:]
    return "\n".join(lines), config


def _number(value: Any, what: str, where: str, path: Path) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {what} {value!r} is not a number", path) from None
    if not number >= 0:
        raise InputError(f"{where}: {what} must be at least 0", path)
    return number


def case_points(question: Any, cases: list[Any], where: str, path: Path) -> list[float]:
    """Each test case's points by otter's rules: cases without points share what the question's
    points leave (nothing when the question has none); with none given anywhere, the question
    (1 point by default) is shared equally."""
    if isinstance(question, list):
        if len(question) != len(cases):
            raise InputError(f"{where}: {len(question)} points listed for {len(cases)} test cases", path)
        return [_number(p, "points", where, path) for p in question]
    total = None if question is None else _number(question, "points", where, path)
    given = [None if p is None else _number(p, "a test case's points", where, path) for p in cases]
    unset = sum(p is None for p in given)
    if unset == len(given):
        share = (1.0 if total is None else total) / max(len(given), 1)
    else:
        share = 0.0 if total is None or not unset else (total - sum(p for p in given if p is not None)) / unset
    return [share if p is None else p for p in given]


class _Question:
    def __init__(self, config: dict[str, Any], where: str, path: Path) -> None:
        name = config.get("name")
        if not isinstance(name, (str, int)) or not str(name).strip():
            raise InputError(f"{where}: the question has no name", path)
        self.name, self.config, self.where = str(name), config, where
        self.manual = bool(config.get("manual", False))
        self.cells: list[Cell] = []  # in order: its text, solution, prompt and tests
        self.tests: list[tuple[Cell, dict[str, Any]]] = []
        self.prompt_code: list[str] = []
        self.prompt_markdown: list[Cell] = []
        self.solution_markdown: list[str] = []


def read_otter(path: Path) -> Assignment:
    nb = load_notebook(path)
    cells: list[Cell] = []
    used: set[str] = set()
    config: dict[str, Any] = {}
    question: _Question | None = None
    block: str | None = None
    seen = 0
    for index, raw in enumerate(nb["cells"]):
        where, kind, source = f"cell {index + 1}", raw.get("cell_type"), source_of(raw)
        cell_id = raw.get("id") if isinstance(raw.get("id"), str) else None
        first = source.strip().split("\n")[0] if source.strip() else ""
        if kind == "raw":
            text = _raw(source)
            if text.upper().startswith("# ASSIGNMENT CONFIG"):
                config = _yaml(text, where, path)
                continue
            match = _DELIMITER.match(text)
            if match is None:
                continue
            seen += 1
            edge, what = match.group(1).upper(), match.group(2).upper()
            if what == "QUESTION" and edge == "BEGIN":
                if question is not None:
                    raise InputError(f"{where}: a question begins inside question {question.name!r}", path)
                question, block = _Question(_yaml(text, where, path), where, path), None
            elif what == "QUESTION":
                if question is None or block is not None:
                    raise InputError(f"{where}: '# END QUESTION' without its question (or inside a block)", path)
                cells += _finish(question, used, path)
                question = None
            elif question is None:
                raise InputError(f"{where}: '# {edge} {what}' outside a question", path)
            elif edge == "BEGIN":
                if block is not None:
                    raise InputError(f"{where}: '# BEGIN {what}' inside the {block} block", path)
                block = what.lower()
            else:
                if block != what.lower():
                    raise InputError(f"{where}: '# END {what}' does not close the open block ({block})", path)
                block = None
            continue
        if _IGNORE.match(first):
            continue
        try:
            code = otter_solution(source) if kind == "code" and block != "tests" else source
        except ValueError as exc:
            raise InputError(f"{where}: {exc}", path) from None
        role = "answer" if kind == "code" and "# BEGIN SOLUTION" in code else "given" if kind == "code" else "markdown"
        cell = Cell(role, code, cell_id, outputs=list(raw.get("outputs") or []))  # type: ignore[arg-type]
        if question is None:
            cells.append(cell)
        elif block == "tests" and kind == "code":
            body, settings = read_case(source, where, path)
            question.tests.append((Cell("test", body, cell_id, outputs=cell.outputs), settings))
        elif block == "prompt":
            if kind == "code":
                question.prompt_code += source.split("\n")
            else:
                question.prompt_markdown.append(cell)
        elif block == "solution" and kind == "markdown":
            question.solution_markdown.append(source)
        else:
            question.cells.append(cell)
    if question is not None:
        raise InputError(f"question {question.name!r} has no '# END QUESTION'", path)
    if not seen:
        raise InputError("no '# BEGIN QUESTION' raw cell: is this an otter-grader master notebook (format v1)?", path)
    files = config.get("files") or []
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise InputError("the ASSIGNMENT CONFIG's files must be a list of paths", path)
    notes = _notes(config)
    title = next((heading(c.source) for c in cells if c.role == "markdown" and heading(c.source)), path.stem)
    return Assignment("otter", path, title or path.stem, cells, [Path(f) for f in files], notes,
                      nb.get("metadata", {}))


def _notes(config: dict[str, Any]) -> list[str]:
    notes = []
    if config.get("autograder_files"):
        notes.append("autograder_files are not copied: whatever is in files/ the student's notebook can read")
    if config.get("seed") or (isinstance(config.get("generate"), dict) and config["generate"].get("seed")):
        notes.append("intercell seeding (seed) is not carried over: seed inside the cells that need it")
    if config.get("requirements") or config.get("environment"):
        notes.append("requirements and environment files are not read: install the packages where the grader runs "
                     "(grader doctor names what is missing)")
    generate = config.get("generate")
    if isinstance(generate, dict) and generate.get("public_multiplier") is not None:
        notes.append("generate.public_multiplier is not carried over: each test keeps its own points")
    return notes


def _finish(question: _Question, used: set[str], path: Path) -> list[Cell]:
    """A question's cells, with its tests or its hand-marked answer attached."""
    task = identifier(question.name, used, "q")
    text = next((c for c in question.cells if c.role == "markdown"), None)
    title = (heading(text.source) if text is not None else None) or question.name
    cells = list(question.cells)
    answers = [c for c in cells if c.role == "answer"]
    if question.prompt_code and len(answers) == 1:
        body = answers[0].source.split("\n")
        stripped = [line for line in body if line.strip() not in ("# BEGIN SOLUTION", "# END SOLUTION")
                    and not line.strip().startswith("# STUDENT:")]
        answers[0].source = "\n".join(_region("", stripped, question.prompt_code))
    if question.manual:
        points = _number(question.config.get("points", 1) or 1, "points", question.where, path)
        ask = text.source if text is not None else ""
        if question.solution_markdown or not answers:
            prompt = question.prompt_markdown[0] if question.prompt_markdown else None
            first = " ".join((prompt.source if prompt is not None else DEFAULT_PROMPT).split())
            model = "\n\n".join(_unmarked(s) for s in question.solution_markdown)
            target = (prompt.cell_id if prompt is not None else None) or task
            manual = Manual(task, title, points, ask, "markdown", target)
            cells.append(Cell("manual", f"{first}\n\n{model}".strip(), target if target != task else None,
                              [task, "solution"], manual=manual))
        else:
            anchor = text if text is not None else Cell("markdown", f"*({task}: marked by hand)*", None)
            anchor.tags.append(task)
            if text is None:
                cells.insert(0, anchor)
            answers[-1].manual = Manual(task, title, points, ask, "code", anchor.cell_id or task)
        return cells
    cells += question.prompt_markdown  # what an autograded question's prompt block shows students
    if question.tests:
        points = case_points(question.config.get("points"), [s.get("points") for _, s in question.tests],
                             question.where, path)
        for n, ((cell, settings), share) in enumerate(zip(question.tests, points), 1):
            public = not bool(settings.get("hidden", False))
            stored = _stored_output(cell.outputs)
            cell.test = TestCell(task, title, cell.source, cell.source if public else "", [],
                                 [TestCase(f"test{n}", share, public, "all", f"test case {n}")], output=True, stored_output=stored,
                                 hint=str(settings["failure_message"]) if settings.get("failure_message") else None)
            cells.append(cell)
    return cells


def _unmarked(markdown: str) -> str:
    """A solution's markdown without otter's `**SOLUTION:**` marker (a line of its own, or its start)."""
    marker = re.compile(r"^\s*(<strong>|\*\*)solution:?(</strong>|\*\*)\s*", re.IGNORECASE)
    lines = [marker.sub("", line, count=1) for line in markdown.split("\n")]
    return "\n".join(lines).strip()


def _stored_output(outputs: list[Any]) -> str | None:
    for output in outputs:
        if isinstance(output, dict) and output.get("output_type") == "execute_result":
            text = output.get("data", {}).get("text/plain")
            if text is not None:
                return "".join(text) if isinstance(text, list) else str(text)
    return None
