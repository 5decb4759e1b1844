"""The activity store: append-only activity log, derived tables and a blob folder.

``from galatea_engine.store import ActivityStore`` (see ``core.py``)::

    store = ActivityStore(url | None, path=..., blob_dir=..., commit_interval=1.0,
                          max_backlog=50_000, retention_days=None, on_recovered=None)
    store.start(); store.enqueue(ev) -> bool; store.flush(); store.stop() -> bool
    store.add_events(evs) -> ids            # synchronous, all or nothing
    store.iter_activity(since_id, start=, end=, source=, kind=, entity_id=, area=, actor=)
    with store.unit_of_work() as uow: ...   # cursor + derived rows in one transaction
    store.purge(older_than, batch=); store.checkpoint(); store.stats()
    store.recovered_from_corruption         # Path of a corrupt file moved aside, or None

Modules: ``schema`` (tables), ``migrations`` (versions), ``db`` (engine, pragmas, corruption,
locks), ``activity`` (log rows, payload dedup, purge), ``derived`` (unit of work, readers),
``writer`` (the queue thread), ``blobs`` (content-addressed files), ``admission`` (what can
be written), ``privacy`` (forgetting, a person's data), ``core`` (the facade).
"""

from .blobs import BlobStore
from .core import ActivityStore
from .derived import UnitOfWork
from .migrations import ForeignDatabaseError, SchemaTooNewError
from .schema import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "ActivityStore",
    "BlobStore",
    "ForeignDatabaseError",
    "SchemaTooNewError",
    "UnitOfWork",
]
