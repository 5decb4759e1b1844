"""The activity store: append-only activity log, derived tables and a blob folder.

``from galatea_engine.store import ActivityStore`` (see ``core.py``).
"""

from .blobs import BlobStore
from .core import ActivityStore
from .derived import UnitOfWork
from .migrations import SchemaTooNewError
from .schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "ActivityStore", "BlobStore", "SchemaTooNewError", "UnitOfWork"]
