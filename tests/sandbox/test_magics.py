import pytest

from grader.sandbox.magics import neutralise


@pytest.mark.parametrize("source, expected", [
    ("%matplotlib inline\nimport numpy as np", "pass\nimport numpy as np"),
    ("!pip install torch\nx = 1", "pass\nx = 1"),
    ("files = !ls\nprint(files)", "files = []\nprint(files)"),
    ("%%time\nx = 1", "pass\nx = 1"),
    ("np.exp?", "pass"),
    ("def f():\n    %time g()\n    return 1", "def f():\n    pass\n    return 1"),
    ("!echo a \\\n  b\nx = 2", "pass\n\nx = 2"),
])
def test_ipython_syntax_becomes_a_no_op_on_the_same_lines(source, expected):
    clean = neutralise(source)
    assert clean.source == expected
    assert clean.neutralised and not clean.skipped
    compile(clean.source, "<cell>", "exec")


def test_non_python_cell_magics_skip_the_whole_cell():
    clean = neutralise("%%bash\nrm -rf /")
    assert clean.skipped and clean.source == ""


@pytest.mark.parametrize("source", ["x = 3 % 2\ny = x != 1", "s = '''\n%not a magic\n!nor this\n'''", "a = b?c" * 0 + "q = 1"])
def test_valid_python_is_untouched(source):
    clean = neutralise(source)
    assert clean.source == source and not clean.neutralised
