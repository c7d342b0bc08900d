"""Writes the exercise's data set: small synthetic pictures of cats and of other things, in HDF5.

A "cat" is a warm-coloured disc with two triangular ears on a cool background; anything else is a
blotch of random colours. The pictures are 12 x 12 pixels, RGB, uint8: small enough to ship in
the exercise folder, and a logistic regression on their pixels separates them well.

    python examples/logreg/make_data.py          # rewrites files/datasets/*.h5 (same bytes each time)
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

SIZE = 12
CLASSES = (b"non-cat", b"cat")
HERE = Path(__file__).resolve().parent


def cat(rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    cy, cx = rng.uniform(6.0, 7.5), rng.uniform(4.5, 7.5)
    r = rng.uniform(3.0, 4.0)
    image = np.empty((SIZE, SIZE, 3))
    image[...] = rng.uniform([20, 60, 110], [60, 110, 170])  # a cool background
    face = (yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2
    ears = ((yy < cy - r + 3) & (yy >= cy - r - 1)
            & ((np.abs(xx - (cx - r + 1)) <= (yy - (cy - r - 1)) / 2) | (np.abs(xx - (cx + r - 1)) <= (yy - (cy - r - 1)) / 2)))
    image[face | ears] = rng.uniform([190, 120, 40], [250, 170, 90])  # warm fur
    return image


def other(rng: np.random.Generator) -> np.ndarray:
    image = rng.uniform(0, 255, size=(SIZE, SIZE, 3))
    smooth = (image + np.roll(image, 1, 0) + np.roll(image, 1, 1) + np.roll(image, (1, 1), (0, 1))) / 4
    return smooth * rng.uniform(0.4, 1.0)


def make(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.permutation(np.arange(n) % 2)
    images = np.stack([cat(rng) if y else other(rng) for y in labels])
    noise = rng.normal(0, 8, size=images.shape)
    return np.clip(images + noise, 0, 255).astype(np.uint8), labels.astype(np.int64)


def write(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        # No timestamps in the file: the same data gives the same bytes.
        f.create_dataset("images", data=images, track_times=False)
        f.create_dataset("labels", data=labels, track_times=False)
        f.create_dataset("classes", data=np.array(CLASSES), track_times=False)


def main() -> None:
    rng = np.random.default_rng(20240917)
    write(HERE / "files" / "datasets" / "train_cats.h5", *make(60, rng))
    write(HERE / "files" / "datasets" / "test_cats.h5", *make(20, rng))


if __name__ == "__main__":
    main()
