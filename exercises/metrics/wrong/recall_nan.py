"""Plain division of numpy counts: 0/0 is nan (with a warning) when there are no real positives."""
EXPECT = {"fails": ["recall:zero_denominator", "recall:single_class"], "misconception": "nan_on_zero"}


def recall(y_true, y_pred):
    (tp, fn), (fp, tn) = confusion_matrix(y_true, y_pred)
    return tp / (tp + fn)
