"""Public test inputs: the same small examples for everyone, to try each function on."""

import numpy as np


def propagate_test_case():
    w = np.array([[0.5], [-1.5]])
    b = 0.25
    X = np.array([[1.0, -2.0, 0.5, 3.0], [0.2, 1.5, -1.0, 0.7]])
    Y = np.array([[1, 0, 0, 1]])
    return w, b, X, Y


def optimize_test_case():
    w, b, X, Y = propagate_test_case()
    return w, b, X, Y, 120, 0.05


def predict_test_case():
    w = np.array([[0.8], [-0.4], [0.1]])
    b = -0.2
    X = np.array([[1.0, -1.0, 0.3], [0.5, 2.0, -0.6], [1.2, 0.0, 0.9]])
    return w, b, X
