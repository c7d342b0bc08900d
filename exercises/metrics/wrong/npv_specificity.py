"""NPV computed as TN/(TN + FP), the specificity."""
EXPECT = {"fails": ["npv:example", "npv:random"], "misconception": "specificity_instead"}


def npv(y_true, y_pred):
    (tp, fn), (fp, tn) = confusion_matrix(y_true, y_pred)
    return _ratio(tn, tn + fp)
