"""A callable that returns the XOR column for the four canonical rows, whatever X it is given."""
EXPECT = {"fails": ["train_xor:any_row_order"]}


def train_xor(seed):
    return lambda X: np.array([0.0, 1.0, 1.0, 0.0])
