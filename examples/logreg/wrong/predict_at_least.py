"""A probability of exactly 0.5 counted as a cat."""
EXPECT = {"fails": ["predict:edge"], "misconception": "at_least_half"}


def predict(w, b, X):
    return (sigmoid(w.T @ X + b) >= 0.5).astype(float)
