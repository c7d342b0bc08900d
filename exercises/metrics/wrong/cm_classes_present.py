"""Built from the classes present in the data: a 1 × 1 matrix when only one class occurs."""
EXPECT = {"fails": ["confusion_matrix:single_class"]}


def confusion_matrix(y_true, y_pred):
    classes = np.unique(np.concatenate([y_true, y_pred]))[::-1]
    return np.array([[np.sum((y_true == a) & (y_pred == b)) for b in classes] for a in classes])
