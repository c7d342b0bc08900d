"""What a student may see of each test, tracebacks cut to their cells, and what to fix first."""

import pytest

from grader.i18n import Text
from grader.report import student_view, trim_traceback
from grader.report.views import student_page

from .samples import SECRET, TRACE, bruno, make_test

VALUES = {"input": f"{SECRET}-in", "expected": f"{SECRET}-exp", "got": f"{SECRET}-got",
          "traceback": 'File "<cell 3>", line 1\nValueError: bad', "source": f"{SECRET}-src"}
HINT = Text("a hint", "una pista")

# visibility → (message, hint, values, traceback, source) shown for a failed PUBLIC test
PUBLIC = {
    "score": (False, False, False, False, False),
    "message": (True, True, True, False, False),
    "traceback": (True, True, True, True, False),
    "source": (True, True, True, True, True),
}


@pytest.mark.parametrize("level", list(PUBLIC))
def test_a_failed_public_test_shows_what_its_visibility_allows(level):
    view = student_view(make_test("t", "failed", public=True, visibility=level, hint=HINT, **VALUES), "en")
    message, hint, values, traceback, source = PUBLIC[level]
    assert bool(view.message) == message and bool(view.hint) == hint
    assert (view.input, view.expected, view.got) == ((VALUES["input"], VALUES["expected"], VALUES["got"])
                                                     if values else (None, None, None))
    assert (view.traceback is not None) == traceback
    assert (view.source is not None) == source


@pytest.mark.parametrize("level", list(PUBLIC))
def test_a_hidden_test_never_shows_its_inputs_values_or_source(level):
    view = student_view(make_test("t", "failed", public=False, visibility=level, hint=HINT, **VALUES), "en")
    assert view.input is view.expected is view.got is view.source is None
    assert SECRET not in view.message  # the summary, not the message that quotes the input
    if level != "score":
        assert view.message == "On a batch of 4: values differ" and view.hint == "a hint"
    assert (view.traceback is not None) == (level in ("traceback", "source"))


def test_a_passed_test_shows_only_its_title_and_points():
    view = student_view(make_test("t", "passed", 2, public=True, visibility="source", **VALUES), "es")
    assert view.passed and view.title == "t (es)" and view.score == 2
    assert not view.message and not view.hint and view.input is None and view.source is None


def test_messages_follow_the_language():
    test = make_test("t", "failed", public=True, hint=HINT)
    spanish = student_view(test, "es")
    assert spanish.hint == "una pista" and spanish.message.startswith("Con la entrada")
    assert student_view(test, "en").hint == "a hint"


def test_tracebacks_keep_only_the_students_cells():
    trimmed = trim_traceback(TRACE)
    assert trimmed is not None
    assert "child.py" not in trimmed and "fn(*args)" not in trimmed and "most recent call" not in trimmed
    assert '<cell 4>' in trimmed and "return 1 / (1 + np.exp(-x)) + z" in trimmed
    assert trimmed.endswith("NameError: name 'z' is not defined")
    assert trim_traceback('  File "<cell 5>", line 1\n    def f(x)\n           ^\nSyntaxError: x') == \
        '  File "<cell 5>", line 1\n    def f(x)\n           ^\nSyntaxError: x'
    assert trim_traceback(None) is None and trim_traceback("") == ""


def test_what_to_fix_first_puts_broken_cells_then_the_costliest_tasks():
    page = student_page(bruno(), Text("Demo", "Demo"), "en")
    anchors = [item.anchor for item in page.fix_first]
    assert anchors[0] == "issue-2"  # cell 4's error (issue 1 is a neutralised magic, not listed)
    lost = [item.lost for item in page.fix_first[1:]]
    assert lost[0] == "5 of 5 points lost" and lost[1] == "4 of 5 points lost"  # softmax, then sigmoid
    assert len(page.fix_first) == 5 and page.more_to_fix == 1
    assert page.verdict == "0 of 5 tasks complete · 9 tests to fix"


def test_failed_tests_with_the_same_details_are_shown_once():
    task = student_page(bruno(), Text("Demo", "Demo"), "en").tasks[1]
    assert task.id == "relu_prime"
    # The public test quotes values; the hidden one does not: different details, two groups.
    assert [len(g.tests) for g in task.failed] == [1, 1]
    same = [make_test(n, "failed", hint=HINT) for n in ("a", "b", "c")]
    from grader.report.views import _groups

    groups = _groups([student_view(t, "en") for t in same])
    assert len(groups) == 1 and [t.name for t in groups[0].tests] == ["a", "b", "c"]


def test_pictures_appear_only_for_tasks_with_a_failed_test():
    page = student_page(bruno(), Text("Demo", "Demo"), "en")
    drawn = {task.id: len(task.figures) for task in page.tasks}
    assert drawn == {"sigmoid": 0, "relu_prime": 1, "softmax": 0, "adam": 1, "xor": 1}
    from .samples import passing

    assert all(not task.figures for task in student_page(passing("ana"), Text("D", "D"), "en").tasks)


def test_an_answer_awaiting_marks_is_neither_failed_nor_to_fix():
    from .samples import essay, passing

    page = student_page(passing("ana", essay()), Text("Demo", "Demo"), "en")
    task = page.tasks[-1]
    assert (task.state, task.failed, len(task.pending)) == ("pending", (), 1)
    assert page.fix_first == [] and page.waiting == 1
    assert page.verdict == "2 of 3 tasks complete · 1 awaiting marks"
    # Its rubric suggestion is for the instructor: the student sees the summary only.
    assert task.pending[0].message == "Awaiting your instructor's marking (120 words)."
