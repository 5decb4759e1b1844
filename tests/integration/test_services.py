"""Galatea's actions with response data, and their translated errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from custom_components.galatea.const import DOMAIN

from .memory_support import routine_key, setup_simulated


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any],
                response: bool = True) -> Any:
    return await hass.services.async_call(DOMAIN, service, data, blocking=True,
                                          return_response=response)


async def test_search_list_timeline(
    hass: HomeAssistant, tmp_path: Path, simulated_db: tuple[Path, dict[str, Any]]
) -> None:
    entry = await setup_simulated(hass, tmp_path, simulated_db)
    found = await _call(hass, "search_memories", {"query": "kitchen", "limit": 3})
    assert found["query"] == "kitchen"
    assert len(found["memories"]) == 3
    assert all("itchen" in m["text"] for m in found["memories"])
    assert found["memories"][0]["score"] >= found["memories"][-1]["score"]
    usual = await _call(hass, "search_memories", {"query": "when does grandma usually wake up"})
    assert usual["answer"].startswith("Grandma usually wakes up")

    listed = await _call(hass, "list_routines", {"person": "person.ben"})
    assert listed["routines"]
    assert {r["person"] for r in listed["routines"]} == {"person.ben"}
    first = listed["routines"][0]
    assert set(first) >= {"key", "kind", "time", "spread_min", "days", "confidence",
                          "next_expected", "status"}

    tl = await _call(hass, "timeline", {"period": "yesterday_evening"})
    assert tl["start"].startswith("2026-11-20T18:00:00")
    assert tl["items"]
    assert tl["activity"]
    assert all(i["start"] >= "2026-11-20T" for i in tl["items"])
    kitchen = await _call(hass, "timeline", {"start": "2026-11-20 06:00:00",
                                             "end": "2026-11-20 12:00:00", "area": "Kitchen"})
    assert set(kitchen["activity"]) == {"Kitchen"}
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "timeline", {"start": "2026-11-20 12:00:00",
                                       "end": "2026-11-20 06:00:00"})
    assert err.value.translation_key == "api_invalid"
    assert all(r["status"] != "rejected" for r in
               (await _call(hass, "list_routines", {}))["routines"])
    assert len((await _call(hass, "list_routines", {}))["routines"]) == len(
        [r for r in entry.runtime_data.store.routines() if r.status != "rejected"])


async def test_remember_forget_confirm_reject(
    hass: HomeAssistant, tmp_path: Path, simulated_db: tuple[Path, dict[str, Any]]
) -> None:
    entry = await setup_simulated(hass, tmp_path, simulated_db)
    told = await _call(hass, "remember", {"text": "The spare key is under the blue flower pot",
                                          "subject": "Garden"})
    assert told["memory"]["origin"] == "user"
    found = await _call(hass, "search_memories", {"query": "where is the spare key"})
    assert found["memories"][0]["id"] == told["id"]
    # without asking for a response the action still works
    assert await _call(hass, "remember", {"text": "Ben is allergic to cats"},
                       response=False) is None

    assert await _call(hass, "forget", {"memory_id": told["id"]}) == {"forgotten": told["id"]}
    found = await _call(hass, "search_memories", {"query": "spare key"})
    assert all(m["id"] != told["id"] for m in found["memories"])
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "forget", {"memory_id": told["id"]})
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "api_not_found"

    key = routine_key(entry, "wake_up", "person.anna")
    confirmed = await _call(hass, "confirm_routine", {"key": key})
    assert confirmed["status"] == "confirmed"
    assert next(r for r in entry.runtime_data.store.routines() if r.key == key).status == (
        "confirmed")
    rejected = await _call(hass, "reject_routine", {"key": routine_key(entry, "leave_home",
                                                                       "person.ben")})
    assert rejected["status"] == "rejected"
    listed = await _call(hass, "list_routines", {})
    assert rejected["key"] not in {r["key"] for r in listed["routines"]}
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "confirm_routine", {"key": "no:such:routine"})
    assert err.value.translation_key == "api_not_found"
    assert "no:such:routine" in str(err.value)


async def test_actions_need_a_loaded_entry(
    hass: HomeAssistant, tmp_path: Path, simulated_db: tuple[Path, dict[str, Any]]
) -> None:
    entry = await setup_simulated(hass, tmp_path, simulated_db)
    assert hass.services.has_service(DOMAIN, "search_memories")
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    # Registered in async_setup (action-setup): still there, answering with a clear error.
    assert hass.services.has_service(DOMAIN, "search_memories")
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "search_memories", {"query": "kitchen"})
    assert err.value.translation_key == "not_loaded"
