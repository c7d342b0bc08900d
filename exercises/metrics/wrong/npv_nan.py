"""Plain division of numpy counts: nan when nothing is predicted negative."""
EXPECT = {"fails": ["npv:zero_denominator", "npv:single_class"], "misconception": "nan_on_zero"}


def npv(y_true, y_pred):
    (tp, fn), (fp, tn) = confusion_matrix(y_true, y_pred)
    return tn / (tn + fn)
