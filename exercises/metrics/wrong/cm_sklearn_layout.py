"""scikit-learn's layout [[TN, FP], [FN, TP]] instead of the course's [[TP, FN], [FP, TN]]."""
EXPECT = {"fails": ["confusion_matrix:example", "confusion_matrix:random"], "misconception": "sklearn_layout"}


def confusion_matrix(y_true, y_pred):
    m = np.zeros((2, 2), dtype=int)
    for t, p in zip(y_true, y_pred):
        m[t, p] += 1
    return m
