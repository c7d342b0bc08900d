"""An instructor's marks file is read within bounds: no YAML alias expands, no file is too large."""

from __future__ import annotations

import time

import pytest

from grader.errors import InputError
from grader.manual import MAX_MARKS_BYTES, read_marks


def alias_bomb(students: int = 300, tasks: int = 100, criteria: int = 100) -> str:
    """A few KiB of YAML whose aliases make students * tasks * criteria marks (3 million here)."""
    lines = ["c: &c {" + ", ".join(f"c{i}: 1" for i in range(criteria)) + "}",
             "t: &t {" + ", ".join(f"t{i}: *c" for i in range(tasks)) + "}"]
    lines += [f"s{i}: *t" for i in range(students)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_once_naming_the_file(tmp_path):
    marks = tmp_path / "marks.yaml"
    marks.write_text(alias_bomb(), encoding="utf-8")
    assert marks.stat().st_size < 5000
    started = time.perf_counter()
    with pytest.raises(InputError) as caught:
        read_marks(marks)
    assert time.perf_counter() - started < 2
    assert "marks.yaml" in str(caught.value) and "alias" in str(caught.value)


@pytest.mark.parametrize("text", [
    "ana:\n  t1: &m {crit: 1}\n  t2: *m\n",  # a plain alias
    "base: &b {crit: 1}\nana:\n  t1:\n    <<: *b\n",  # a merge key, which is an alias too
    "ana: {t1: {crit: &p 1}}\nbea: {t1: {crit: *p}}\n",  # an alias of a scalar
])
def test_any_alias_is_refused(tmp_path, text):
    marks = tmp_path / "marks.yml"
    marks.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"marks\.yml: .*alias"):
        read_marks(marks)


def test_anchors_without_aliases_and_plain_marks_still_read(tmp_path):
    marks = tmp_path / "marks.yaml"
    marks.write_text("ana:\n  t1: &first {crit: 1.5, other: {points: 2, comment: good}}\n", encoding="utf-8")
    read = {(m.student, m.task, m.criterion): (m.points, m.comment) for m in read_marks(marks)}
    assert read == {("ana", "t1", "crit"): (1.5, ""), ("ana", "t1", "other"): (2.0, "good")}


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_a_marks_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path, suffix):
    marks = tmp_path / f"marks{suffix}"
    with marks.open("wb") as fh:
        fh.truncate(MAX_MARKS_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(InputError, match=rf"marks\{suffix}: .*MiB limit"):
        read_marks(marks)


def test_yaml_nested_beyond_reason_is_an_input_error(tmp_path):
    marks = tmp_path / "deep.yaml"
    marks.write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    with pytest.raises(InputError, match="deep.yaml"):
        read_marks(marks)
