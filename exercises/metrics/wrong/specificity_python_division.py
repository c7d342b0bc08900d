"""Python ints divided directly: ZeroDivisionError when there are no real negatives."""
EXPECT = {"fails": ["specificity:zero_denominator", "specificity:single_class"]}


def specificity(y_true, y_pred):
    (tp, fn), (fp, tn) = confusion_matrix(y_true, y_pred)
    return int(tn) / int(fp + tn)
