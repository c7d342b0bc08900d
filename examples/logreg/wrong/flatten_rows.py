"""One picture per row, read in the wrong order: reshape to (-1, m) instead of transposing."""
EXPECT = {"fails": ["flatten:random"], "misconception": "rows"}


def flatten(images):
    return images.reshape(-1, images.shape[0]) / 255.0
