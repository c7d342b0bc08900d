"""Specificity confused with the false-positive rate FP/(FP + TN)."""
EXPECT = {"fails": ["specificity:example", "specificity:random"], "misconception": "fpr_instead"}


def specificity(y_true, y_pred):
    (tp, fn), (fp, tn) = confusion_matrix(y_true, y_pred)
    return _ratio(fp, fp + tn)
