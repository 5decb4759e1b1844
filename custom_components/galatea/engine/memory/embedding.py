"""Text embeddings for recall: a built-in local method, or an OpenAI-compatible endpoint.

The local embedder needs no download: it hashes character n-grams (3- and 4-grams inside each word,
so "kitchen" and "kitchen's" stay close) and whole words into a fixed number of buckets, applies a
log weighting and L2-normalises. That gives a float32 vector whose dot product is a cosine
similarity, cheap enough to embed 100k memories in a few seconds.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]

DEFAULT_DIM = 256
_WORD_RE = re.compile(r"[0-9a-zà-ÿ_]+", re.IGNORECASE)


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows of ``dim`` columns."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> Matrix: ...


def tokens(text: str) -> list[str]:
    """Lower-case word tokens; entity ids split into their parts (``light.kitchen_ceiling``)."""
    out: list[str] = []
    for word in _WORD_RE.findall(text.lower()):
        out.append(word)
        if "_" in word:
            out.extend(part for part in word.split("_") if part)
    return out


class LocalEmbedder:
    """Hashed character n-gram + word features; deterministic across processes."""

    name = "local-hash-v1"

    def __init__(self, dim: int = DEFAULT_DIM) -> None:
        self.dim = dim
        self._cache: dict[str, tuple[list[int], list[float]]] = {}

    def _features(self, word: str) -> tuple[list[int], list[float]]:
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        dim = self.dim
        idx: list[int] = []
        val: list[float] = []
        h = zlib.crc32(word.encode())
        idx.append(h % dim)
        val.append(2.0 if h & 0x80000000 else -2.0)  # signed hashing keeps collisions unbiased
        padded = f"<{word}>"
        for n in (3, 4):
            for i in range(len(padded) - n + 1):
                g = zlib.crc32(padded[i : i + n].encode(), n)
                idx.append(g % dim)
                val.append(1.0 if g & 0x80000000 else -1.0)
        result = (idx, val)
        if len(self._cache) < 200_000:
            self._cache[word] = result
        return result

    def embed(self, texts: Sequence[str]) -> Matrix:
        """Sum of the words' feature vectors per text, L2-normalised.

        Each distinct word's features are hashed once; then, for blocks of texts, every
        token's features are laid out with numpy and summed per (text, bucket) by one
        ``bincount``. All features are +-1 or +-2, so every sum is an exact integer (in float64
        and then float32) whatever the order of addition: the same vectors as adding each
        feature of each word in turn.
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        vocab: dict[str, int] = {}
        words: list[int] = []  # the vocabulary index of every token, text after text
        starts: list[int] = []  # where each text with tokens begins in ``words``
        rows: list[int] = []  # ... and which text that is
        for row, text in enumerate(texts):
            toks = tokens(text)
            if not toks:
                continue
            starts.append(len(words))
            rows.append(row)
            for word in toks:
                wid = vocab.get(word)
                if wid is None:
                    wid = vocab[word] = len(vocab)
                words.append(wid)
        if words:
            # The vocabulary's features as CSR: word w's are cols/vals[ptr[w]:ptr[w] + n[w]].
            cols: list[int] = []
            vals: list[float] = []
            sizes: list[int] = []
            for word in vocab:  # insertion order: vocabulary index order
                idx, val = self._features(word)
                cols.extend(idx)
                vals.extend(val)
                sizes.append(len(idx))
            w_cols = np.asarray(cols, dtype=np.int64)
            w_vals = np.asarray(vals, dtype=np.float64)
            n_feat = np.asarray(sizes, dtype=np.int64)
            ptr = np.cumsum(n_feat) - n_feat
            word_ids = np.asarray(words, dtype=np.int64)
            first = np.asarray([*starts, len(words)], dtype=np.int64)
            text_rows = np.asarray(rows, dtype=np.int64)
            dim = self.dim
            step = 2048  # texts per block: bounded memory for the expanded features
            for b in range(0, len(rows), step):
                nb = min(step, len(rows) - b)
                lo, hi = int(first[b]), int(first[b + nb])
                wids = word_ids[lo:hi]
                tok_rows = np.repeat(np.arange(nb, dtype=np.int64), np.diff(first[b:b + nb + 1]))
                per_tok = n_feat[wids]
                total = int(per_tok.sum())
                at = (np.arange(total, dtype=np.int64)
                      + np.repeat(ptr[wids] - (np.cumsum(per_tok) - per_tok), per_tok))
                flat = np.repeat(tok_rows, per_tok) * dim + w_cols[at]
                sums = np.bincount(flat, weights=w_vals[at], minlength=nb * dim)
                out[text_rows[b:b + nb]] = sums.reshape(nb, dim)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        out /= norms
        return out


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible ``/v1/embeddings`` endpoint (``openai`` package)."""

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        model: str,
        timeout: float = 20.0,
        batch: int = 256,
    ) -> None:
        from openai import OpenAI

        self._client: Any = OpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=1
        )
        self._model = model
        self._batch = batch
        self.name = f"openai:{model}"
        self.dim = 0  # known after the first call

    def embed(self, texts: Sequence[str]) -> Matrix:
        rows: list[list[float]] = []
        for i in range(0, len(texts), self._batch):
            chunk = list(texts[i : i + self._batch])
            resp = self._client.embeddings.create(model=self._model, input=chunk)
            ordered = sorted(resp.data, key=lambda d: d.index)
            rows.extend(list(d.embedding) for d in ordered)
        if not rows:
            return np.zeros((0, self.dim or 1), dtype=np.float32)
        mat = np.asarray(rows, dtype=np.float32)
        self.dim = int(mat.shape[1])
        norms = np.linalg.norm(mat, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        result: Matrix = mat / norms
        return result


def to_bytes(vec: npt.NDArray[np.float32]) -> bytes:
    return np.asarray(vec, dtype=np.float32).tobytes()


def from_bytes(raw: bytes) -> npt.NDArray[np.float32]:
    return np.frombuffer(raw, dtype=np.float32)
