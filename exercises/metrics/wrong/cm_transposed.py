"""Rows indexed by the prediction: [[TP, FP], [FN, TN]] (as if y_true and y_pred were swapped)."""
EXPECT = {"fails": ["confusion_matrix:example", "confusion_matrix:random"], "misconception": "transposed"}


def confusion_matrix(y_true, y_pred):
    tp = np.sum((y_true == 1) & (y_pred == 1))
    fn = np.sum((y_true == 1) & (y_pred == 0))
    fp = np.sum((y_true == 0) & (y_pred == 1))
    tn = np.sum((y_true == 0) & (y_pred == 0))
    return np.array([[tp, fp], [fn, tn]])
