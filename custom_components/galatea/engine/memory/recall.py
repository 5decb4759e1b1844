"""Hybrid recall over memories: keyword (BM25), embedding similarity, recency and importance.

``MemoryIndex`` is built once from the store's memories and kept in memory: an inverted index of
numpy posting arrays for BM25 and one float32 matrix of embeddings, so a query is a handful of
vector operations whatever the number of memories. Entity ids, areas and subjects are indexed as
words too (and weigh double), so "kitchen" finds ``light.kitchen_ceiling``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from ..models import Memory
from .embedding import Embedder, Matrix, tokens

# Weights of the four signals (each scaled to 0..1 before mixing).
W_KEYWORD = 0.45
W_EMBEDDING = 0.30
W_RECENCY = 0.10
W_IMPORTANCE = 0.15
RECENCY_HALF_LIFE_DAYS = 30.0
IVF_MIN_ROWS = 20_000  # below this a query scans the whole matrix (exact)
IVF_ITERATIONS = 8
IVF_MIN_PROBE = 8
IVF_PROBE_DIVISOR = 16  # scan about 1/16 of the cells (~6 % of the rows)
MAX_KEYWORD_CANDIDATES = 2_000  # big indexes: best BM25 rows scored in full
BM25_K1 = 1.2
BM25_B = 0.75
_STOP_TEXT = (
    "a an the and or of in on at to is are was were do did does i my me you your we our what "
    "when where who how about remember tell usually last it its for with from by be been"
)
STOPWORDS = frozenset(_STOP_TEXT.split())


def index_text(memory: Memory) -> str:
    """What a memory is searchable by: its text plus subject/area/entities (names count twice)."""
    parts = [memory.text]
    names: list[str] = []
    if memory.subject:
        names.append(memory.subject)
    detail = memory.detail or {}
    for key in ("area", "person", "entity_id", "kind", "label"):
        value = detail.get(key)
        if isinstance(value, str):
            names.append(value)
    for ent in detail.get("entities", []) or []:
        if isinstance(ent, str):
            names.append(ent)
    if names:
        joined = " ".join(names)
        parts.extend([joined, joined])
    return " ".join(parts)


def query_terms(query: str) -> list[str]:
    terms = [t for t in tokens(query) if t not in STOPWORDS]
    out: list[str] = []
    for term in terms:
        out.append(term)
        # crude plural/possessive folding so "lights" finds "light"
        if len(term) > 3 and term.endswith("s"):
            out.append(term[:-1])
    return out


@dataclass(slots=True)
class Hit:
    memory: Memory
    score: float
    keyword: float
    similarity: float
    recency: float


class MemoryIndex:
    """In-memory hybrid index over a fixed list of memories (rebuild when they change)."""

    def __init__(
        self,
        memories: Sequence[Memory],
        embedder: Embedder,
        *,
        embeddings: Mapping[int, bytes] | None = None,
    ) -> None:
        self.memories = list(memories)
        self.embedder = embedder
        n = len(self.memories)
        texts = [index_text(m) for m in self.memories]
        # BM25 postings
        postings: dict[str, dict[int, int]] = defaultdict(dict)
        lengths = np.zeros(n, dtype=np.float32)
        for i, text in enumerate(texts):
            toks = tokens(text)
            lengths[i] = len(toks)
            for tok in toks:
                row = postings[tok]
                row[i] = row.get(i, 0) + 1
        self._post: dict[str, tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]] = {
            tok: (
                np.fromiter(d.keys(), dtype=np.int32, count=len(d)),
                np.fromiter(d.values(), dtype=np.float32, count=len(d)),
            )
            for tok, d in postings.items()
        }
        self._len_norm: npt.NDArray[np.float32] = (
            BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(float(lengths.mean()), 1.0))
        ).astype(np.float32) if n else lengths
        self._n = n
        # Embedding matrix: stored vectors when their width matches, else embed now.
        self.matrix = self._build_matrix(texts, embeddings or {})
        ts = np.array(
            [
                ts.timestamp() if (ts := m.valid_from or m.learned_at) else 0.0
                for m in self.memories
            ],
            dtype=np.float64,
        )
        self._ts = ts
        self._importance = np.array([m.importance for m in self.memories], dtype=np.float32)
        self._confidence = np.array([m.confidence for m in self.memories], dtype=np.float32)
        self._closed = np.array([m.valid_to is not None for m in self.memories], dtype=bool)
        self._build_ivf()

    def _build_matrix(self, texts: list[str], stored: Mapping[int, bytes]) -> Matrix:
        if not self.embedder.dim and self.memories:
            self.embedder.embed(["dimension probe"])  # a remote embedder learns its width
        dim = self.embedder.dim
        missing: list[int] = []
        rows: list[npt.NDArray[np.float32] | None] = []
        for i, mem in enumerate(self.memories):
            raw = stored.get(mem.id) if mem.id is not None else None
            vec = np.frombuffer(raw, dtype=np.float32) if raw else None
            if vec is None or (dim and vec.shape[0] != dim):
                missing.append(i)
                rows.append(None)
            else:
                rows.append(vec)
        fresh = self.embedder.embed([texts[i] for i in missing]) if missing else None
        dim = self.embedder.dim or (fresh.shape[1] if fresh is not None else 0)
        mat = np.zeros((len(self.memories), max(dim, 1)), dtype=np.float32)
        for i, vec in enumerate(rows):
            if vec is not None:
                mat[i] = vec
        if fresh is not None:
            mat[missing] = fresh
        self.new_vectors: dict[int, bytes | None] = {}
        for i in missing:
            mid = self.memories[i].id
            if mid is not None:
                self.new_vectors[mid] = mat[i].tobytes()
        return mat

    def __len__(self) -> int:
        return self._n

    def keyword_scores(self, terms: Sequence[str]) -> npt.NDArray[np.float32]:
        """Dense BM25 scores (one per memory); ``search`` uses the sparse form."""
        scores = np.zeros(self._n, dtype=np.float32)
        idx, val = self._keyword_sparse(terms)
        scores[idx] = val
        return scores

    def _keyword_sparse(
        self, terms: Sequence[str]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """BM25 over the postings of ``terms``: (memory rows ascending, scores)."""
        parts_i: list[npt.NDArray[np.int32]] = []
        parts_v: list[npt.NDArray[np.float32]] = []
        for term in dict.fromkeys(terms):
            post = self._post.get(term)
            if post is None:
                continue
            idx, tf = post
            idf = math.log(1 + (self._n - len(idx) + 0.5) / (len(idx) + 0.5))
            parts_i.append(idx)
            parts_v.append(idf * tf * (BM25_K1 + 1) / (tf + self._len_norm[idx]))
        if not parts_i:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        rows, inverse = np.unique(np.concatenate(parts_i), return_inverse=True)
        sums = np.asarray(np.bincount(inverse, weights=np.concatenate(parts_v)), dtype=np.float64)
        return rows.astype(np.int64), sums

    def _build_ivf(self) -> None:
        """Coarse quantiser for big indexes: spherical k-means cells. The rows are then stored
        cell by cell, so a query scans a few contiguous slices of the matrix (``nprobe`` cells
        nearest to it) instead of the whole matrix."""
        self._cells: Matrix | None = None
        self._bounds: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        n = self._n
        if n < IVF_MIN_ROWS or self.matrix.shape[1] < 2:
            return
        rng = np.random.default_rng(0)
        nlist = int(math.sqrt(n))
        sample = self.matrix[rng.choice(n, size=min(n, 40 * nlist), replace=False)]
        cells = sample[rng.choice(len(sample), size=nlist, replace=False)].copy()
        for _ in range(IVF_ITERATIONS):
            assign = np.argmax(sample @ cells.T, axis=1)
            sums = np.zeros_like(cells)
            np.add.at(sums, assign, sample)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            empty = norms[:, 0] == 0
            sums[empty] = cells[empty]
            norms[empty] = 1.0
            cells = (sums / norms).astype(np.float32)
        assign_all = np.empty(n, dtype=np.int64)
        for start in range(0, n, 20_000):
            block = self.matrix[start:start + 20_000]
            assign_all[start:start + 20_000] = np.argmax(block @ cells.T, axis=1)
        order = np.argsort(assign_all, kind="stable")
        self._bounds = np.searchsorted(assign_all[order], np.arange(nlist + 1)).astype(np.int64)
        self._reorder(order)
        self._cells = cells
        self._nprobe = max(IVF_MIN_PROBE, nlist // IVF_PROBE_DIVISOR)

    def _reorder(self, order: npt.NDArray[np.int64]) -> None:
        """Store every per-row array (and the postings' row numbers) in ``order``."""
        inverse = np.empty_like(order)
        inverse[order] = np.arange(order.size)
        self.memories = [self.memories[i] for i in order]
        self.matrix = np.ascontiguousarray(self.matrix[order])
        self._ts = self._ts[order]
        self._importance = self._importance[order]
        self._confidence = self._confidence[order]
        self._closed = self._closed[order]
        self._len_norm = self._len_norm[order]
        self._post = {tok: (inverse[idx].astype(np.int32), tf)
                      for tok, (idx, tf) in self._post.items()}

    def _probe(self, qvec: npt.NDArray[np.float32]
               ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Rows whose embedding may be close to ``qvec`` and their similarity (every row for
        small indexes): slices of the cells nearest to the query, no copy of the matrix."""
        if self._cells is None:
            sim = np.einsum("ij,j->i", self.matrix, qvec)
            return np.arange(self._n, dtype=np.int64), sim
        near = np.argpartition(-(self._cells @ qvec), self._nprobe - 1)[: self._nprobe]
        rows = [np.arange(self._bounds[c], self._bounds[c + 1]) for c in near]
        sims = [np.einsum("ij,j->i", self.matrix[self._bounds[c]:self._bounds[c + 1]], qvec)
                for c in near]
        return np.concatenate(rows), np.concatenate(sims).astype(np.float32)

    def _recency(self, rows: npt.NDArray[np.int64], ref: float) -> npt.NDArray[np.float32]:
        age_days = np.maximum(ref - self._ts[rows], 0.0) / 86400.0
        result: npt.NDArray[np.float32] = np.exp2(-age_days / RECENCY_HALF_LIFE_DAYS).astype(
            np.float32)
        return result

    def search(
        self,
        query: str,
        *,
        limit: int = 5,
        now: datetime | None = None,
        include_closed: bool = False,
        subject: str | None = None,
    ) -> list[Hit]:
        """Best memories for ``query``; every signal is mixed after scaling to 0..1.

        Only candidates are scored: memories sharing a term with the query and memories whose
        embedding is in the query's nearest cells (every memory for small indexes); anything
        else has neither a keyword nor a similarity and cannot be relevant."""
        if self._n == 0:
            return []
        kw_rows, kw_val = self._keyword_sparse(query_terms(query))
        if self._cells is not None and kw_rows.size > MAX_KEYWORD_CANDIDATES:
            # the weak keyword matches of a common word cannot beat the strong ones
            keep = np.argpartition(-kw_val, MAX_KEYWORD_CANDIDATES)[:MAX_KEYWORD_CANDIDATES]
            kw_rows, kw_val = kw_rows[keep], kw_val[keep]
        qvec = self.embedder.embed([query])[0]
        if qvec.shape[0] == self.matrix.shape[1]:
            rows, sim = self._probe(qvec)
        else:
            rows, sim = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        kw_full = np.zeros(self._n, dtype=np.float32)
        kw_full[kw_rows] = kw_val
        if self._cells is not None or rows.size == 0:
            # keyword hits outside the probed cells are candidates too
            probed = np.zeros(self._n, dtype=bool)
            probed[rows] = True
            extra = kw_rows[~probed[kw_rows]]
            if extra.size:
                extra_sim = (np.einsum("ij,j->i", self.matrix[extra], qvec)
                             if qvec.shape[0] == self.matrix.shape[1]
                             else np.zeros(extra.size, dtype=np.float32))
                rows = np.concatenate([rows, extra])
                sim = np.concatenate([sim, extra_sim.astype(np.float32)])
        if rows.size == 0:
            return []
        sim = np.clip(sim, 0.0, 1.0)
        kw = kw_full[rows]
        top_kw = float(kw.max())
        kw_n = kw / top_kw if top_kw > 0 else kw
        ref = now.timestamp() if now else float(self._ts.max())
        recency = self._recency(rows, ref)
        score = (
            W_KEYWORD * kw_n
            + W_EMBEDDING * sim
            + W_RECENCY * recency
            + W_IMPORTANCE * self._importance[rows]
        ) * (0.5 + 0.5 * self._confidence[rows])
        relevant = (kw > 0) | (sim > 0.25)
        if not include_closed:
            relevant &= ~self._closed[rows]
        if subject:
            relevant &= np.array([self.memories[i].subject == subject for i in rows])
        score = np.where(relevant, score, -1.0)
        k = min(limit, rows.size)
        best = np.argpartition(-score, k - 1)[:k] if k < rows.size else np.arange(rows.size)
        best = best[np.argsort(-score[best], kind="stable")]
        return [
            Hit(
                memory=self.memories[int(rows[j])],
                score=round(float(score[j]), 4),
                keyword=round(float(kw_n[j]), 4),
                similarity=round(float(sim[j]), 4),
                recency=round(float(recency[j]), 4),
            )
            for j in best
            if score[j] >= 0
        ]
