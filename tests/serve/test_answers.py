"""Which answers to one question are the same or nearly the same, and where an answer is found."""

from __future__ import annotations

import json

from grader.i18n import Text
from grader.notebook import content_hash
from grader.results import SubmissionResult, TaskResult
from grader.results import TestResult as Judged
from grader.serve.answers import group, notebook_answer, stored_answer

LONG = ("Backpropagation applies the chain rule because a network is a composition of functions, one layer after "
        "another; derivatives multiply along each path and add over the paths, and the backward pass reuses the "
        "gradients of later layers.")


def test_the_same_text_is_the_same_answer_whatever_the_case_accents_spacing_and_punctuation():
    found = group({"ana": "La función es max(0, x).", "bea": "  LA FUNCION es\nmax(0 x)!",
                   "cris": "max(0, x) es la función", "dan": "La función es max(0, -x)."})
    assert found.same["ana"] == ["bea"] and found.same["bea"] == ["ana"]
    assert found.same["cris"] == [] and found.same["dan"] == []


def test_a_word_changed_in_a_long_answer_is_nearly_the_same_and_another_answer_is_neither():
    found = group({"ana": LONG, "bea": LONG.replace("reuses", "keeps"), "cris": LONG.replace("chain rule", "product"),
                   "dan": "An autoencoder compresses its input into a code and reconstructs it from that code."})
    near = {student: [other for other, _ in found.near.get(student, [])] for student in found.text}
    assert "bea" in near["ana"] and "ana" in near["bea"] and near["dan"] == []
    assert all(similarity >= 0.75 for _, similarity in found.near["ana"])
    assert found.same["ana"] == []


def test_formulas_are_the_same_only_when_their_symbols_are():
    found = group({"ana": "∂L/∂w = δ·a", "bea": "∂L/∂w  =  δ·a", "cris": "∂L/∂w = a·δ", "dan": "$a + b$",
                   "eva": "$a - b$", "fer": "...", "gil": "…"})
    assert found.same["ana"] == ["bea"] and found.same["cris"] == []
    assert found.same["dan"] == [] and found.same["eva"] == [] and found.same["fer"] == []


def result_with(answer: str | None, file: str = "x.ipynb", content: str = "") -> SubmissionResult:
    test = Judged("c1", "pending", 0.0, 1.0, "message", False, Text("", ""), got=answer)
    return SubmissionResult("ana", file, "exam", "1", "graded", 1.0, (TaskResult("t1", Text("", ""), "text",
                                                                                  (test,)),), content_hash=content)


def test_an_answer_is_read_from_its_grade_or_else_from_the_unchanged_notebook(tmp_path):
    assert stored_answer(result_with("my answer"), "t1") == "my answer"
    assert stored_answer(result_with("my answer"), "t2") is None
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {"tags": ["t1"]}, "source": "Written <b>in the notebook</b>"}]}
    path = tmp_path / "ana.ipynb"
    path.write_text(json.dumps(notebook))
    same = result_with(None, str(path), content_hash(path.read_bytes()))
    assert notebook_answer(same, "t1", tmp_path) == "Written <b>in the notebook</b>"
    changed = result_with(None, str(path), "0" * 64)  # the file is no longer the one graded
    assert notebook_answer(changed, "t1", tmp_path) is None
    relative = result_with(None, "ana.ipynb", content_hash(path.read_bytes()))
    assert notebook_answer(relative, "t1", tmp_path) == "Written <b>in the notebook</b>"
    assert notebook_answer(result_with(None, "missing.ipynb"), "t1", tmp_path) is None
