"""Precision computed as TP/(TP + FN), the recall."""
EXPECT = {"fails": ["precision:example", "precision:random"], "misconception": "recall_instead"}


def precision(y_true, y_pred):
    (tp, fn), (fp, tn) = confusion_matrix(y_true, y_pred)
    return _ratio(tp, tp + fn)
