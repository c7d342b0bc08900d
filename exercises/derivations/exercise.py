"""Derivations by hand (course §1–§4), checked with sympy: answers as strings, sympy expressions or LaTeX.

The answer specifications (expected answers, symbols and their domains, conventions, and the
catalogue of known mistakes with their hints) live in answers.py beside this file.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from grader.exercise import DerivationTask, Exercise
from grader.i18n import Text
from grader.sandbox.limits import Limits

_spec = importlib.util.spec_from_file_location("_grader_derivation_answers", Path(__file__).with_name("answers.py"))
assert _spec is not None and _spec.loader is not None
_answers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_answers)
SPECS = _answers.SPECS

POINTS = {"d_sigmoid": 2, "d_tanh": 2, "d_relu": 2, "grad_perceptron": 3, "grad_bce_sigmoid": 3,
          "grad_softmax_ce": 3, "grad_mse_l2": 3, "dfdx": 1, "dfdy": 1}
PUBLIC = {"d_sigmoid", "dfdx"}

EXERCISE = Exercise(
    id="derivations",
    version="1",
    title=Text("Derivatives by hand: activations, losses and a computational graph",
               "Derivadas a mano: activaciones, pérdidas y un grafo computacional"),
    tasks=tuple(DerivationTask(SPECS[name], points, public=name in PUBLIC) for name, points in POINTS.items()),
    limits=Limits(cell_seconds=10, notebook_seconds=30, probe_seconds=5),
    requires=("sympy",),
)
