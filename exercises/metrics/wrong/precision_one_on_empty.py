"""Precision 1.0 when nothing is predicted positive (another library's convention, not this course's)."""
EXPECT = {"fails": ["precision:zero_denominator"], "misconception": "one_on_zero"}


def precision(y_true, y_pred):
    (tp, fn), (fp, tn) = confusion_matrix(y_true, y_pred)
    return tp / (tp + fp) if tp + fp else 1.0
