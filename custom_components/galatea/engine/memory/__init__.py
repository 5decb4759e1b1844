"""Memories: formation from mined results, embeddings and hybrid recall."""

from .embedding import Embedder, LocalEmbedder, OpenAIEmbedder
from .formation import FormationSummary, form_memories
from .recall import MemoryIndex

__all__ = [
    "Embedder", "FormationSummary", "LocalEmbedder", "MemoryIndex", "OpenAIEmbedder",
    "form_memories",
]
