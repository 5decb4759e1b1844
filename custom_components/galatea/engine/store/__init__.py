"""The activity store: append-only activity log, derived tables and a blob folder.

``from galatea_engine.store import ActivityStore`` (see ``core.py``)::

    store = ActivityStore(url | None, path=..., settings=StoreSettings(commit_interval=1.0,
                          retention_days=None, ...), on_recovered=None, on_health=None)
    store.start(); store.enqueue(ev) -> bool; store.flush(); store.stop() -> bool
    store.add_events(evs) -> ids            # synchronous, all or nothing
    store.iter_activity(since_id, start=, end=, source=, kind=, entity_id=, area=, actor=)
    with store.unit_of_work() as uow: ...   # cursor + derived rows in one transaction
    store.purge(older_than, batch=); store.checkpoint(); store.stats()
    store.recovered_from_corruption         # Path of a corrupt file moved aside, or None

Modules: ``core`` (the facade) composes ``database`` (opening, corruption recovery, lock
retries), ``activity_log`` (enqueue, inserts, reads, blobs), ``derived_store`` (derived tables,
engine state, forgetting) and ``maintenance`` (purge, checkpoints, health, stats), configured
by ``settings``. The SQL and helpers they use: ``schema`` (tables), ``migrations`` (versions),
``db`` (engine, pragmas, corruption, locks), ``activity`` (log rows, payload dedup, filters,
purge), ``derived`` (unit of work, readers), ``writer`` (the queue thread), ``blobs``
(content-addressed files), ``admission`` (what can be written), ``privacy`` (forgetting, a
person's data).
"""

from .blobs import BlobStore
from .core import ActivityStore
from .derived import UnitOfWork
from .migrations import ForeignDatabaseError, SchemaTooNewError
from .schema import SCHEMA_VERSION
from .settings import StoreSettings

__all__ = [
    "SCHEMA_VERSION",
    "ActivityStore",
    "BlobStore",
    "ForeignDatabaseError",
    "SchemaTooNewError",
    "StoreSettings",
    "UnitOfWork",
]
