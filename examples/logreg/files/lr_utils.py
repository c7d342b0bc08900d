"""Helpers given with the assignment: the picture data set, and the logistic function."""

import h5py
import numpy as np

TRAIN = "datasets/train_cats.h5"
TEST = "datasets/test_cats.h5"


def _read(path):
    with h5py.File(path, "r") as f:
        images = f["images"][:]
        labels = f["labels"][:]
        classes = [name.decode() for name in f["classes"][:]]
    return images, labels.reshape(1, -1), classes


def load_dataset():
    """train_x (m, 12, 12, 3) uint8, train_y (1, m), test_x, test_y, and the class names."""
    train_x, train_y, classes = _read(TRAIN)
    test_x, test_y, _ = _read(TEST)
    return train_x, train_y, test_x, test_y, classes


def sigmoid(z):
    """The logistic function, elementwise."""
    return 1.0 / (1.0 + np.exp(-z))
