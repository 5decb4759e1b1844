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
        self._len_norm = (
            BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(float(lengths.mean()), 1.0))
            if n
            else lengths
        )
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

    def _build_matrix(self, texts: list[str], stored: Mapping[int, bytes]) -> Matrix:
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
        scores = np.zeros(self._n, dtype=np.float32)
        for term in dict.fromkeys(terms):
            post = self._post.get(term)
            if post is None:
                continue
            idx, tf = post
            idf = math.log(1 + (self._n - len(idx) + 0.5) / (len(idx) + 0.5))
            scores[idx] += idf * tf * (BM25_K1 + 1) / (tf + self._len_norm[idx])
        return scores

    def search(
        self,
        query: str,
        *,
        limit: int = 5,
        now: datetime | None = None,
        include_closed: bool = False,
        subject: str | None = None,
    ) -> list[Hit]:
        """Best memories for ``query``; every signal is mixed after scaling to 0..1."""
        if self._n == 0:
            return []
        terms = query_terms(query)
        kw = self.keyword_scores(terms)
        top_kw = float(kw.max()) if kw.size else 0.0
        kw_n = kw / top_kw if top_kw > 0 else kw
        qvec = self.embedder.embed([query])[0]
        if qvec.shape[0] == self.matrix.shape[1]:
            sim = np.clip(self.matrix @ qvec, 0.0, 1.0)
        else:
            sim = np.zeros(self._n, dtype=np.float32)
        ref = (now.timestamp() if now else float(self._ts.max()))
        age_days = np.maximum(ref - self._ts, 0.0) / 86400.0
        recency = np.exp2(-age_days / RECENCY_HALF_LIFE_DAYS).astype(np.float32)
        score = (
            W_KEYWORD * kw_n
            + W_EMBEDDING * sim
            + W_RECENCY * recency
            + W_IMPORTANCE * self._importance
        ) * (0.5 + 0.5 * self._confidence)
        relevant = (kw > 0) | (sim > 0.25)
        if not include_closed:
            relevant &= ~self._closed
        if subject:
            relevant &= np.array([m.subject == subject for m in self.memories])
        score = np.where(relevant, score, -1.0)
        k = min(limit, self._n)
        cand = np.argpartition(-score, k - 1)[:k] if k < self._n else np.arange(self._n)
        cand = cand[np.argsort(-score[cand], kind="stable")]
        return [
            Hit(
                memory=self.memories[i],
                score=round(float(score[i]), 4),
                keyword=round(float(kw_n[i]), 4),
                similarity=round(float(sim[i]), 4),
                recency=round(float(recency[i]), 4),
            )
            for i in cand
            if score[i] >= 0
        ]
