"""Galatea never records its own doings: its actions, its entities, the card's polling, logging."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
)

from custom_components.galatea.const import DOMAIN
from custom_components.galatea.coordinator import get_coordinator
from custom_components.galatea.engine.capture.ha_events import HAEventNormalizer

from .conftest import flush, setup_galatea


async def _count(hass: HomeAssistant, entry: MockConfigEntry) -> int:
    await flush(hass, entry)
    store = entry.runtime_data.store
    return await hass.async_add_executor_job(lambda: len(list(store.iter_activity())))


def _last_activity_entity(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_last_activity"
    )
    assert entity_id
    return entity_id


async def _card_poll(hass: HomeAssistant, context: Context) -> None:
    """What the card does on each refresh: the two read actions, with the viewer's user."""
    await hass.services.async_call(
        DOMAIN, "list_routines", {}, blocking=True, return_response=True, context=context
    )
    await hass.services.async_call(
        DOMAIN, "timeline", {"period": "today", "limit": 500}, blocking=True,
        return_response=True, context=context,
    )


async def test_a_day_of_card_polling_adds_no_activity(
    hass: HomeAssistant, tmp_path: Path, hass_admin_user: MockUser
) -> None:
    """A wall tablet with the card open all day (a refresh every 15 min here, with the
    coordinator's minute refreshes in between) leaves the activity log as it was."""
    assert await async_setup_component(hass, "system_log", {})
    hass.states.async_set("person.anna", "home", {"user_id": hass_admin_user.id})
    entry = await setup_galatea(hass, tmp_path)
    viewer = Context(user_id=hass_admin_user.id)
    hass.states.async_set("light.kitchen", "on", context=viewer)
    before = await _count(hass, entry)
    assert before == 1
    now = dt_util.utcnow()
    for step in range(96):  # 24 h in 15-minute steps
        await _card_poll(hass, Context(user_id=hass_admin_user.id))
        # The card's history read and HA's own logging service are not activity either.
        await hass.services.async_call(
            "system_log", "write", {"message": f"poll {step}", "level": "debug"},
            blocking=True, context=Context(user_id=hass_admin_user.id),
        )
        now += timedelta(minutes=15)
        async_fire_time_changed(hass, now)
        await hass.async_block_till_done()
    assert await _count(hass, entry) == before
    await get_coordinator(entry).async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(_last_activity_entity(hass, entry))
    assert state is not None
    assert "galatea" not in state.state.lower()
    assert "Kitchen" in state.state or "kitchen" in state.state


async def test_actions_on_own_entities_and_their_effects_are_not_activity(
    hass: HomeAssistant, tmp_path: Path, hass_admin_user: MockUser
) -> None:
    entry = await setup_galatea(hass, tmp_path)
    registry = er.async_get(hass)
    own = [e.entity_id for e in er.async_entries_for_config_entry(registry, entry.entry_id)]
    user = Context(user_id=hass_admin_user.id)
    # A dashboard refreshing Galatea's entities.
    hass.bus.async_fire(
        "call_service",
        {"domain": "homeassistant", "service": "update_entity",
         "service_data": {"entity_id": own[:2]}},
        context=user,
    )
    # An action of Galatea's and a state change it caused (same context chain).
    galatea_call = Context(user_id=hass_admin_user.id)
    hass.bus.async_fire(
        "call_service", {"domain": DOMAIN, "service": "confirm_routine", "service_data": {}},
        context=galatea_call,
    )
    hass.states.async_set("light.hall", "on", context=Context(parent_id=galatea_call.id))
    # Logging.
    hass.bus.async_fire(
        "call_service", {"domain": "system_log", "service": "write",
                         "service_data": {"message": "x"}},
        context=Context(user_id=hass_admin_user.id),
    )
    # A person's own action still counts.
    hass.bus.async_fire(
        "call_service",
        {"domain": "light", "service": "turn_on", "service_data": {"entity_id": "light.desk"}},
        context=Context(user_id=hass_admin_user.id),
    )
    await flush(hass, entry)
    store = entry.runtime_data.store
    events = await hass.async_add_executor_job(lambda: list(store.iter_activity()))
    assert [(ev.kind, ev.entity_id) for ev in events] == [("call_service", "light.desk")]


def test_normaliser_drops_own_actions_in_replay_too() -> None:
    """Replayed HA events go through the same filter."""
    normalizer = HAEventNormalizer()

    def call(domain: str, service: str, user: str | None = "u1") -> dict[str, Any]:
        return {
            "event_type": "call_service",
            "time_fired": "2026-01-05T07:00:00+00:00",
            "context": {"id": f"{domain}.{service}", "user_id": user, "parent_id": None},
            "data": {"domain": domain, "service": service, "service_data": {}},
        }

    for domain, service in [(DOMAIN, "timeline"), (DOMAIN, "list_routines"),
                            ("system_log", "write"), ("logger", "set_level")]:
        assert normalizer.normalize(call(domain, service)) is None
    kept = normalizer.normalize(call("light", "turn_on"))
    assert kept is not None
    # An HA user with no person is never named by its id.
    assert kept.actor is None
    assert "u1" not in (kept.summary or "")
