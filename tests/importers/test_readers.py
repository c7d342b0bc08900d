"""Reading the two tools' notebooks: otter's solution syntax and points, nbgrader's metadata, and a
clear error naming the file for what cannot be read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from grader.errors import InputError
from grader.importers.nbgrader import read_nbgrader
from grader.importers.otter import case_points, otter_solution, read_case, read_otter
from grader.release import strip_solutions


def _student(source: str) -> str:
    """What a student sees of otter-syntax solution code once it is ours: our release of it."""
    return strip_solutions(otter_solution(source))


@pytest.mark.parametrize("source, student", [
    ("def square(x):\n    y = x * x # SOLUTION NO PROMPT\n    return y # SOLUTION", "def square(x):\n    \n    ..."),
    ("nine = square(3) # SOLUTION", "nine = ..."),
    ("result = f(x=1) # SOLUTION", "result = ..."),
    ("f(x=1) # SOLUTION", "..."),  # a keyword argument is not an assignment
    ("np.random.seed(42) # SEED\nx = 1", "\nx = 1"),
    ("if True:\n    # BEGIN SOLUTION\n    radius = 3\n    # END SOLUTION\n    print(radius)",
     "if True:\n    ...\n    print(radius)"),
    (("def c(r):\n    # BEGIN SOLUTION NO PROMPT\n    return 2 * r\n    # END SOLUTION\n"
     '    """ # BEGIN PROMPT\n    # Next, define it.\n    pass\n    """; # END PROMPT'),
     "def c(r):\n    # Next, define it.\n    pass"),
])
def test_otter_solution_syntax_becomes_our_regions(source: str, student: str) -> None:
    assert _student(source) == student
    ours = otter_solution(source)
    assert "# BEGIN SOLUTION" in ours and "NO PROMPT" not in ours and "# SOLUTION" not in ours.replace(
        "# BEGIN SOLUTION", "").replace("# END SOLUTION", "")


def test_a_solution_keeps_its_code() -> None:
    scope: dict[str, Any] = {}
    exec(otter_solution("def square(x):\n    y = x * x # SOLUTION NO PROMPT\n    return y # SOLUTION"), scope)  # noqa: S102
    assert scope["square"](3) == 9


@pytest.mark.parametrize("question, cases, points", [
    (None, [None, None], [0.5, 0.5]),  # a question is worth 1 point by default, shared equally
    (6, [None, None, None], [2, 2, 2]),
    (6, [2, 2, None, None], [2, 2, 1, 1]),  # the others share what the given ones leave
    (None, [1, None], [1, 0]),  # no question points: unspecified cases are worth nothing
    ([1, 3], [None, None], [1, 3]),
])
def test_otter_case_points_follow_otters_rules(question: Any, cases: list[Any], points: list[float]) -> None:
    assert case_points(question, cases, "cell 1", Path("m.ipynb")) == pytest.approx(points)


def test_an_otter_case_reads_its_hidden_line_and_its_config() -> None:
    body, config = read_case('# HIDDEN\nf(1)', "cell 1", Path("m.ipynb"))
    assert body == "f(1)" and config == {"hidden": True}
    body, config = read_case('""" # BEGIN TEST CONFIG\npoints: 2\nfailure_message: nope\n""" # END TEST CONFIG\n'
                             "assert f(1) == 2", "cell 1", Path("m.ipynb"))
    assert body == "assert f(1) == 2" and config == {"points": 2, "failure_message": "nope"}


def _nb(cells: list[dict[str, Any]]) -> dict[str, Any]:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def _code(source: str, **nbgrader: Any) -> dict[str, Any]:
    meta = {"nbgrader": {"schema_version": 3, **nbgrader}} if nbgrader else {}
    return {"cell_type": "code", "metadata": meta, "source": source, "outputs": [], "execution_count": None}


def _raw(source: str) -> dict[str, Any]:
    return {"cell_type": "raw", "metadata": {}, "source": source}


def _write(tmp_path: Path, nb: dict[str, Any]) -> Path:
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(nb))
    return path


@pytest.mark.parametrize("cells, words", [
    ([_code("x = 1")], "no cell carries nbgrader metadata"),
    ([_code("assert f(1) == 1", grade=True, points="many", grade_id="t")], "points 'many' is not a number"),
    ([_code("assert f(1) == 1", grade="yes", points=1, grade_id="t")], "cell 1: nbgrader's 'grade' is 'yes'"),
    ([_code("assert f(1)\n### BEGIN HIDDEN TESTS\nassert f(2)", grade=True, points=1, grade_id="t")],
     "has no '### END HIDDEN TESTS'"),
    ([_code("def f(x):\n    ### BEGIN SOLUTION\n    return x", solution=True, grade_id="a")],
     "1 '### BEGIN SOLUTION' for 0"),
])
def test_an_nbgrader_notebook_that_cannot_be_read_says_which_cell_and_why(tmp_path: Path, cells: Any,
                                                                         words: str) -> None:
    path = _write(tmp_path, _nb(cells))
    with pytest.raises(InputError) as caught:
        read_nbgrader(path)
    assert str(path) in str(caught.value) and words in str(caught.value)


def test_an_nbgrader_answer_without_regions_is_a_solution_as_a_whole(tmp_path: Path) -> None:
    path = _write(tmp_path, _nb([_code("def f(x):\n    return x", solution=True, grade_id="a"),
                                 _code("assert f(1) == 1", grade=True, points=2, grade_id="t")]))
    assignment = read_nbgrader(path)
    answer = assignment.cells[0]
    assert answer.role == "answer" and strip_solutions(answer.source).strip().startswith("raise NotImplementedError")
    (task, _, cases, _), = assignment.tasks()
    assert task == "t" and [(c.name, c.points, c.public) for _, c in cases] == [("tests", 2.0, True)]


@pytest.mark.parametrize("cells, words", [
    ([_code("x = 1")], "no '# BEGIN QUESTION' raw cell"),
    ([_raw("# BEGIN QUESTION\nname: [q1"), _raw("# END QUESTION")], "its YAML cannot be read"),
    ([_raw("# BEGIN QUESTION\npoints: 1"), _raw("# END QUESTION")], "the question has no name"),
    ([_raw("# BEGIN QUESTION\nname: q1"), _raw("# BEGIN TESTS")], "question 'q1' has no '# END QUESTION'"),
    ([_raw("# BEGIN QUESTION\nname: q1"), _raw("# END TESTS"), _raw("# END QUESTION")], "does not close"),
    ([_raw("# BEGIN SOLUTION")], "outside a question"),
    ([_raw("# BEGIN QUESTION\nname: q1"), _code("def f():\n    # BEGIN SOLUTION\n    pass"), _raw("# END QUESTION")],
     "has no '# END SOLUTION'"),
])
def test_an_otter_notebook_that_cannot_be_read_says_which_cell_and_why(tmp_path: Path, cells: Any, words: str) -> None:
    path = _write(tmp_path, _nb(cells))
    with pytest.raises(InputError) as caught:
        read_otter(path)
    assert str(path) in str(caught.value) and words in str(caught.value)


def test_an_otter_raw_cell_saved_as_html_is_still_a_delimiter(tmp_path: Path) -> None:
    html = '<div class="cell"><pre>\n# BEGIN QUESTION\nname: q1\npoints: 3\n</pre></div>'
    path = _write(tmp_path, _nb([_raw(html), _raw("<pre># BEGIN SOLUTION</pre>"), _code("x = 2 # SOLUTION"),
                                 _raw("<pre># END SOLUTION</pre>"), _raw("<pre># BEGIN TESTS</pre>"), _code("x == 2"),
                                 _raw("<pre># END TESTS</pre>"), _raw("<pre># END QUESTION</pre>")]))
    (task, _, cases, _), = read_otter(path).tasks()
    assert task == "q1" and [c.points for _, c in cases] == [3]


def test_a_notebook_that_is_not_one_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "a.ipynb"
    path.write_text("{not json")
    with pytest.raises(InputError) as caught:
        read_nbgrader(path)
    assert str(path) in str(caught.value) and "not a readable notebook" in str(caught.value)


def _markdown(source: str, cell_id: str | None = None, **nbgrader: Any) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": "markdown", "metadata": {"nbgrader": {"schema_version": 3, **nbgrader}}
                            if nbgrader else {}, "source": source}
    if cell_id:
        cell["id"] = cell_id
    return cell


def test_a_hand_marked_answer_is_found_by_a_cell_every_release_keeps(tmp_path: Path) -> None:
    # A written answer: its own cell id (nbgrader's release keeps ids). Code marked by hand: the
    # markdown cell that asks for it, which both releases show unchanged.
    path = _write(tmp_path, _nb([
        _markdown("## Plot\n\nPlot the loss curve.", "ask-plot"),
        _code("plt.plot(losses)", solution=True, grade=True, points=2, grade_id="plot"),
        _markdown("Why does the loss go down?", "ask-why"),
        _markdown("Because gradient descent ...", "why", solution=True, grade=True, points=3, grade_id="why"),
    ]))
    assignment = read_nbgrader(path)
    tasks = {task: manual for task, _, _, manual in assignment.tasks()}
    assert (tasks["plot"].target, tasks["plot"].answer, tasks["plot"].points) == ("ask-plot", "code", 2)
    assert (tasks["why"].target, tasks["why"].answer, tasks["why"].points) == ("why", "markdown", 3)
    answer = next(c for c in assignment.cells if c.manual is not None and c.manual.task == "why")
    assert answer.tags == ["why", "solution"] and answer.source.endswith("Because gradient descent ...")
    assert "plot" in assignment.cells[0].tags


def test_an_otter_manual_question_is_a_written_answer_with_its_prompt(tmp_path: Path) -> None:
    path = _write(tmp_path, _nb([
        _raw("# BEGIN QUESTION\nname: q9\nmanual: true\npoints: 4"), _markdown("Explain overfitting."),
        _raw("# BEGIN PROMPT"), _markdown("_Write here._", "prompt-9"), _raw("# END PROMPT"),
        _raw("# BEGIN SOLUTION"), _markdown("**SOLUTION:** The model learns the noise."), _raw("# END SOLUTION"),
        _raw("# END QUESTION")]))
    (task, _, _, manual), = read_otter(path).tasks()
    assert task == "q9" and manual.points == 4 and manual.target == "prompt-9"
    answer = next(c for c in read_otter(path).cells if c.manual is not None)
    assert answer.source == "_Write here._\n\nThe model learns the noise." and answer.cell_id == "prompt-9"
