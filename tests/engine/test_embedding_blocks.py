"""The local embedder sums word features in blocks with numpy: it must give exactly the vectors
of adding every feature of every word one by one (the features are small integers, so any
order of addition is exact)."""

from __future__ import annotations

import random

import numpy as np
from galatea_engine.memory.embedding import LocalEmbedder, tokens


def _one_by_one(embedder: LocalEmbedder, texts: list[str]) -> np.ndarray:
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in tokens(text):
            idx, val = embedder._features(word)
            for i, v in zip(idx, val, strict=True):
                out[row, i] += v
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


def test_blocks_equal_feature_by_feature() -> None:
    rng = random.Random(4)
    words = ["kitchen", "light.kitchen_ceiling", "on", "Anna", "wakes", "07:10", "wörds",
             "bed", "bed", "the", "x", "sensor.a_b_c", "21.5", "°C"]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randrange(0, 12)))
             for _ in range(4500)]  # more than two blocks of 2048 texts
    texts[:4] = ["", "   ", "a a a", "!!"]
    for dim in (256, 32):
        embedder = LocalEmbedder(dim)
        got = embedder.embed(texts)
        want = _one_by_one(LocalEmbedder(dim), texts)
        assert got.dtype == np.float32
        assert got.shape == (len(texts), dim)
        assert got.tobytes() == want.tobytes()
    assert LocalEmbedder().embed([]).shape == (0, 256)
