"""Backfill: import the recorder's history so routines can be mined on day one.

Runs once per database in the background after HA has started: reads the recorder's tables in
one-hour windows (in the recorder's own executor), normalises them with the same filter and
normaliser as live capture (``source="backfill"``) and writes each window in one batch. Progress
lives in the store (``ha_backfill`` state), so an interrupted backfill resumes where it stopped;
the first window after a resume is de-duplicated against what was already written, so nothing
is imported twice. It covers what the recorder keeps, up to the moment live capture began.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util
from homeassistant.util.json import json_loads_object
from homeassistant.util.ulid import bytes_to_ulid_or_none

from .const import CONF_BACKFILL, LOGGER, SIGNAL_BACKFILL_PROGRESS
from .engine.capture.ha_events import EntityInfo, HAEventNormalizer, StaticRegistry
from .engine.models import ActivityEvent, ValidationError

if TYPE_CHECKING:
    from .data import GalateaConfigEntry

STATE_KEY = "ha_backfill"
WINDOW = timedelta(hours=1)
EVENT_TYPES = ("automation_triggered", "script_started", "call_service")


@dataclass(slots=True)
class RecorderRow:
    """One recorder row in the normaliser's dict shape, with its time for ordering."""

    ts: float
    order: int  # events (0) before states (1) at the same instant: automations cause states
    event: dict[str, Any]


def _uuid_hex(raw: bytes | None) -> str | None:
    if not raw:
        return None
    try:
        return raw.hex() if len(raw) == 16 else None
    except (TypeError, ValueError):
        return None


def _context_columns(table: Any) -> tuple[Any, Any, Any]:
    """A recorder table's context columns, in the order ``_context`` reads them."""
    return table.context_id_bin, table.context_user_id_bin, table.context_parent_id_bin


def _context(
    id_bin: bytes | None, user_bin: bytes | None, parent_bin: bytes | None
) -> dict[str, Any]:
    return {
        "id": bytes_to_ulid_or_none(id_bin),
        "user_id": _uuid_hex(user_bin),
        "parent_id": bytes_to_ulid_or_none(parent_bin),
    }


def _attrs(shared: str | None) -> dict[str, Any]:
    if not shared:
        return {}
    try:
        return json_loads_object(shared)
    except ValueError:
        return {}


def read_entity_ids(hass: HomeAssistant) -> dict[int, str]:
    """metadata_id -> entity_id of everything the recorder has states for (recorder executor)."""
    from homeassistant.components.recorder.db_schema import StatesMeta
    from homeassistant.helpers.recorder import session_scope
    from sqlalchemy import select

    with session_scope(hass=hass, read_only=True) as session:
        return {
            row.metadata_id: row.entity_id
            for row in session.execute(select(StatesMeta.metadata_id, StatesMeta.entity_id))
            if row.entity_id
        }


def read_oldest_ts(hass: HomeAssistant) -> float | None:
    """Time of the oldest state the recorder still keeps (recorder executor)."""
    from homeassistant.components.recorder.db_schema import States
    from homeassistant.helpers.recorder import session_scope
    from sqlalchemy import func, select

    with session_scope(hass=hass, read_only=True) as session:
        value = session.execute(select(func.min(States.last_updated_ts))).scalar()
    return float(value) if value is not None else None


def read_window(
    hass: HomeAssistant, start: float, end: float, metadata_ids: Mapping[int, str]
) -> list[RecorderRow]:
    """States of wanted entities and automation/script/service events in [start, end)."""
    from homeassistant.components.recorder.db_schema import (
        EventData,
        Events,
        EventTypes,
        StateAttributes,
        States,
    )
    from homeassistant.helpers.recorder import session_scope
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    rows: list[RecorderRow] = []
    old = aliased(States)
    old_attrs = aliased(StateAttributes)
    states_stmt = (
        select(
            States.metadata_id,
            States.state,
            StateAttributes.shared_attrs,
            States.last_updated_ts,
            *_context_columns(States),
            old.state,
            old_attrs.shared_attrs,
            States.old_state_id,
        )
        .outerjoin(StateAttributes, States.attributes_id == StateAttributes.attributes_id)
        .outerjoin(old, States.old_state_id == old.state_id)
        .outerjoin(old_attrs, old.attributes_id == old_attrs.attributes_id)
        .where(States.last_updated_ts >= start, States.last_updated_ts < end)
        .where(States.metadata_id.in_(list(metadata_ids)))
        .order_by(States.last_updated_ts, States.state_id)
    )
    events_stmt = (
        select(
            EventTypes.event_type,
            EventData.shared_data,
            Events.time_fired_ts,
            *_context_columns(Events),
        )
        .join(EventTypes, Events.event_type_id == EventTypes.event_type_id)
        .outerjoin(EventData, Events.data_id == EventData.data_id)
        .where(Events.time_fired_ts >= start, Events.time_fired_ts < end)
        .where(EventTypes.event_type.in_(EVENT_TYPES))
        .order_by(Events.time_fired_ts, Events.event_id)
    )
    with session_scope(hass=hass, read_only=True) as session:
        if metadata_ids:
            for (meta_id, state, attrs, ts, ctx, user, parent, old_state, old_shared, old_id) in (
                session.execute(states_stmt)
            ):
                if state is None or ts is None:
                    continue
                if old_id is None and not user and not parent:
                    # The entity appeared with nobody behind it (HA starting, restoring its
                    # state; a device paired): not activity, as in live capture.
                    continue
                when = dt_util.utc_from_timestamp(ts)
                old_dict = (
                    {"state": old_state, "attributes": _attrs(old_shared)}
                    if old_state is not None
                    else None
                )
                rows.append(
                    RecorderRow(
                        ts,
                        1,
                        {
                            "event_type": "state_changed",
                            "time_fired": when,
                            "context": _context(ctx, user, parent),
                            "data": {
                                "entity_id": metadata_ids[meta_id],
                                "new_state": {"state": state, "attributes": _attrs(attrs)},
                                "old_state": old_dict,
                            },
                        },
                    )
                )
        for event_type, shared, ts, ctx, user, parent in session.execute(events_stmt):
            if ts is None:
                continue
            rows.append(
                RecorderRow(
                    ts,
                    0,
                    {
                        "event_type": event_type,
                        "time_fired": dt_util.utc_from_timestamp(ts),
                        "context": _context(ctx, user, parent),
                        "data": _attrs(shared),
                    },
                )
            )
    rows.sort(key=lambda row: (row.ts, row.order))
    return rows


def _key(event: ActivityEvent) -> tuple[Any, ...]:
    ts = round(event.ts.timestamp(), 3)
    return (ts, event.kind, event.entity_id, event.state, event.context_id)


class Backfill:
    """Imports recorder history for one config entry; see the module docstring."""

    def __init__(self, hass: HomeAssistant, entry: GalateaConfigEntry) -> None:
        self._hass = hass
        self._entry = entry
        self._stop = threading.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsub_started: Callable[[], None] | None = None
        self.capture_started = dt_util.utcnow()
        self.status = "waiting"  # waiting | running | done | stopped | failed | unavailable
        self.progress = 0.0  # percent
        self.imported = 0
        self.error: str | None = None

    @callback
    def async_start(self) -> None:
        """Begin once HA has started (never slows start-up)."""
        self._unsub_started = async_at_started(self._hass, self._async_on_started)

    @callback
    def _async_on_started(self, _hass: HomeAssistant) -> None:
        self._unsub_started = None
        if self._stop.is_set():
            return
        self._task = self._hass.async_create_background_task(
            self._async_run(), "galatea backfill"
        )

    async def async_stop(self) -> None:
        """Interrupt: finish the window being written, remember progress, return."""
        self._stop.set()
        if self._unsub_started is not None:
            self._unsub_started()
            self._unsub_started = None
        if self._task is not None and not self._task.done():
            await asyncio.wait({self._task})

    async def async_wait(self) -> None:
        """Wait until the running import finishes or stops (tests, services)."""
        if self._task is not None and not self._task.done():
            await asyncio.wait({self._task})

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "progress": round(self.progress, 1),
            "imported": self.imported,
            "error": self.error,
        }

    @callback
    def _async_set(self, status: str | None = None, progress: float | None = None) -> None:
        if status is not None:
            self.status = status
        if progress is not None:
            self.progress = max(0.0, min(100.0, progress))
        async_dispatcher_send(self._hass, SIGNAL_BACKFILL_PROGRESS.format(self._entry.entry_id))

    async def _async_run(self) -> None:
        try:
            await self._async_import()
        except Exception as err:  # a failed import must not take capture down with it
            self.error = str(err)
            LOGGER.exception("Galatea backfill failed; it will resume on the next start")
            self._async_set("failed")

    async def _async_import(self) -> None:
        hass = self._hass
        store = self._entry.runtime_data.store
        plan: dict[str, Any] | None = await hass.async_add_executor_job(store.get_state, STATE_KEY)
        if plan and plan.get("complete"):
            self.imported = int(plan.get("imported", 0))
            self._async_set("done", 100.0)
            return
        if "recorder" not in hass.config.components:
            self._async_set("unavailable")
            return
        from homeassistant.helpers.recorder import get_instance

        recorder = get_instance(hass)
        if plan is None:
            plan = await self._async_plan(recorder)
            await hass.async_add_executor_job(store.set_state, STATE_KEY, plan)
            resumed = False
        else:
            resumed = True
        self.imported = int(plan.get("imported", 0))
        start, end = float(plan["start"]), float(plan["end"])
        done = float(plan["done_until"])
        entity_ids = await recorder.async_add_executor_job(read_entity_ids, hass)
        normalizer = self._async_normalizer(entity_ids.values())
        wanted = self._async_wanted(normalizer, entity_ids)
        span = max(end - start, 1.0)
        self._async_set("running", 100.0 * (done - start) / span)
        step = WINDOW.total_seconds()
        while done < end:
            if self._stop.is_set():
                self._async_set("stopped")
                return
            window_end = min(done + step, end)
            rows = await recorder.async_add_executor_job(
                read_window, hass, done, window_end, wanted
            )
            count = await hass.async_add_executor_job(
                self._write_window, normalizer, rows, done, window_end, resumed, plan
            )
            resumed = False
            done = window_end
            self.imported += count
            self._async_set(progress=100.0 * (done - start) / span)
        self._async_set("done", 100.0)
        LOGGER.info("Galatea imported %s activities from the recorder's history", self.imported)

    async def _async_plan(self, recorder: Any) -> dict[str, Any]:
        """[start, end): what the recorder keeps, up to when live capture began."""
        hass = self._hass
        store = self._entry.runtime_data.store
        end = self.capture_started.timestamp()
        first_live = await hass.async_add_executor_job(_first_live_ts, store)
        if first_live is not None:
            end = min(end, first_live)
        start = end - timedelta(days=recorder.keep_days).total_seconds()
        oldest = await recorder.async_add_executor_job(read_oldest_ts, hass)
        if oldest is not None:
            start = max(start, oldest)
        start = min(start, end)
        return {"start": start, "end": end, "done_until": start, "imported": 0, "complete": False}

    @callback
    def _async_normalizer(self, entity_ids: Iterable[str]) -> HAEventNormalizer:
        """A normaliser over a snapshot of the registries (safe to use off the loop)."""
        data = self._entry.runtime_data
        registry = data.registry
        entities: dict[str, EntityInfo] = {}
        for entity_id in entity_ids:
            info = registry.entity(entity_id)
            if info is not None:
                entities[entity_id] = info
        users = registry.people_by_user()
        return HAEventNormalizer(
            registry=StaticRegistry(entities, users),
            capture=data.options.capture_filter(),
            source="backfill",
        )

    @callback
    def _async_wanted(
        self, normalizer: HAEventNormalizer, entity_ids: Mapping[int, str]
    ) -> dict[int, str]:
        """Entities worth reading from the recorder. Besides domain and include/exclude, an
        entity the live filter rejects in its current state (a numeric sensor, a battery
        binary sensor) is not read at all: such sensors are most of a recorder's rows."""
        registry = self._entry.runtime_data.registry
        capture = normalizer.capture
        wanted: dict[int, str] = {}
        for metadata_id, entity_id in entity_ids.items():
            if not normalizer_wants(normalizer, entity_id) or registry.is_own(entity_id):
                continue
            state = self._hass.states.get(entity_id)
            if state is not None and entity_id not in capture.include_entities:
                info = registry.entity(entity_id)
                unit = state.attributes.get("unit_of_measurement")
                if not capture.wants(
                    entity_id,
                    entity_id.partition(".")[0],
                    state.attributes.get("device_class") or (info.device_class if info else None),
                    state.state,
                    info.platform if info else None,
                    unit if isinstance(unit, str) else None,
                ):
                    continue
            wanted[metadata_id] = entity_id
        return wanted

    def _write_window(
        self,
        normalizer: HAEventNormalizer,
        rows: list[RecorderRow],
        start: float,
        end: float,
        dedupe: bool,
        plan: dict[str, Any],
    ) -> int:
        """Normalise and write one window, then move the cursor (executor)."""
        store = self._entry.runtime_data.store
        events: list[ActivityEvent] = []
        for row in rows:
            try:
                activity = normalizer.normalize(row.event)
            except ValidationError:
                continue
            if activity is not None:
                events.append(activity)
        if dedupe and events:
            existing = {
                _key(ev)
                for ev in store.iter_activity(
                    source="backfill",
                    start=dt_util.utc_from_timestamp(start),
                    end=dt_util.utc_from_timestamp(end),
                )
            }
            events = [ev for ev in events if _key(ev) not in existing]
        if events:
            store.add_events(events)
        plan["done_until"] = end
        plan["imported"] = int(plan.get("imported", 0)) + len(events)
        plan["complete"] = end >= float(plan["end"])
        store.set_state(STATE_KEY, plan)
        return len(events)


def normalizer_wants(normalizer: HAEventNormalizer, entity_id: str) -> bool:
    """Cheap SQL-side filter: domain and include/exclude only (the normaliser does the rest)."""
    capture = normalizer.capture
    if entity_id in capture.exclude_entities:
        return False
    if entity_id in capture.include_entities:
        return True
    return entity_id.partition(".")[0] in capture.domains


def _first_live_ts(store: Any) -> float | None:
    for event in store.iter_activity(source="ha", batch=1):
        return float(event.ts.timestamp())
    return None


async def async_setup_feature(
    hass: HomeAssistant, entry: GalateaConfigEntry
) -> Callable[[], Any] | None:
    """Start the backfill after HA has started, if the user asked for it."""
    if not entry.data.get(CONF_BACKFILL, True):
        return None
    backfill = Backfill(hass, entry)
    entry.runtime_data.backfill = backfill
    backfill.async_start()
    return backfill.async_stop
