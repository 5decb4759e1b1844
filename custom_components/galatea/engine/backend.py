"""``EngineBackend``: the one way Home Assistant's side of Galatea reaches the engine.

The integration's entities, actions, Assist and LLM tools call these methods and nothing else
of the engine's API (pure helpers such as ``period_bounds`` and the store's own reads aside).
There are two implementations (``custom_components/galatea/backend.py``): the engine's
``GalateaAPI`` in this process, run in HA's executor; or the Galatea add-on over HTTP
(``POST /api/call/{method}``), whose server accepts exactly ``BACKEND_METHODS``, so the two
sides share one list.

Each method has the name, arguments and result of the ``GalateaAPI`` method it stands for
(results are JSON-able dicts, shapes in ``engine/api.py``); errors are ``APIError``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Protocol, get_protocol_members, runtime_checkable

# An API answer: a dict of JSON types (``engine/api.py`` documents each shape).
type Answer = dict[str, Any]


@runtime_checkable
class EngineBackend(Protocol):
    """The engine operations the integration uses (async; same names as ``GalateaAPI``)."""

    async def routine_states(self, *, absent: Collection[str] = ()) -> Answer:
        """``GalateaAPI.routine_states``: each routine with whether it is late."""
        ...

    async def activity_summary(
        self, since: datetime | None = None, *, detail: bool = True
    ) -> Answer:
        """``GalateaAPI.activity_summary``: activity counters since local midnight."""
        ...

    async def routines(
        self, person: str | None = None, *, include_rejected: bool = False
    ) -> Answer:
        """``GalateaAPI.routines``: the current routines."""
        ...

    async def timeline(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        area: str | None = None,
        person: str | None = None,
        *,
        period: str | None = None,
        limit: int = 50,
    ) -> Answer:
        """``GalateaAPI.timeline``: what happened in a window or a named period."""
        ...

    async def recall(
        self, query: str, limit: int = 5, *, include_closed: bool = False,
        subject: str | None = None,
    ) -> Answer:
        """``GalateaAPI.recall``: memories matching a query."""
        ...

    async def last_time(
        self,
        what: str | None = None,
        *,
        entity_id: str | None = None,
        area: str | None = None,
        kind: str | None = None,
        person: str | None = None,
    ) -> Answer:
        """``GalateaAPI.last_time``: when something last happened."""
        ...

    async def remember(self, text: str, subject: str | None = None) -> Answer:
        """``GalateaAPI.remember``: store a fact the user told."""
        ...

    async def confirm_routine(self, key: str) -> Answer:
        """``GalateaAPI.confirm_routine``."""
        ...

    async def reject_routine(self, key: str) -> Answer:
        """``GalateaAPI.reject_routine``."""
        ...

    async def forget(self, memory_id: int) -> Answer:
        """``GalateaAPI.forget``: delete one memory."""
        ...


# The method names: what the add-on's ``POST /api/call/{method}`` accepts.
BACKEND_METHODS: frozenset[str] = frozenset(get_protocol_members(EngineBackend))
