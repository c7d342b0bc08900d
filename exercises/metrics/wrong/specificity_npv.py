"""Specificity computed as TN/(TN + FN), the negative predictive value."""
EXPECT = {"fails": ["specificity:example", "specificity:random"], "misconception": "npv_instead"}


def specificity(y_true, y_pred):
    (tp, fn), (fp, tn) = confusion_matrix(y_true, y_pred)
    return _ratio(tn, tn + fn)
