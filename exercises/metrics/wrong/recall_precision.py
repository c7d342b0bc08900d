"""Recall computed as TP/(TP + FP), the precision."""
EXPECT = {"fails": ["recall:example", "recall:random"], "misconception": "precision_instead"}


def recall(y_true, y_pred):
    (tp, fn), (fp, tn) = confusion_matrix(y_true, y_pred)
    return _ratio(tp, tp + fp)
