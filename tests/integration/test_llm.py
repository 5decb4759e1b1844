"""The "Galatea memory" LLM API: each tool through ``llm.async_get_api(...).async_call_tool``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import llm
from homeassistant.setup import async_setup_component

from custom_components.galatea.llm_api import API_ID

from .memory_support import routine_key, setup_simulated


@pytest.fixture
async def api(hass: HomeAssistant, tmp_path: Path,
              simulated_db: tuple[Path, dict[str, Any]]) -> llm.APIInstance:
    entry = await setup_simulated(hass, tmp_path, simulated_db)
    hass.data["galatea_test_entry"] = entry
    ctx = llm.LLMContext(platform="test", context=Context(), language="en",
                         assistant="conversation", device_id=None)
    return await llm.async_get_api(hass, API_ID, ctx)


async def _tool(api: llm.APIInstance, name: str, **args: Any) -> Any:
    result = await api.async_call_tool(llm.ToolInput(tool_name=name, tool_args=args))
    assert isinstance(result, llm.ToolResult)  # a bare JSON object is deprecated since 2026.x
    assert result.error == ("error" in result.data)
    return result.data


async def test_api_is_listed_with_tools(hass: HomeAssistant, api: llm.APIInstance) -> None:
    assert API_ID in {a.id for a in llm.async_get_apis(hass)}
    assert api.api.name == "Galatea memory"
    assert {t.name for t in api.tools} == {"galatea_recall", "galatea_routines",
                                           "galatea_timeline", "galatea_last_time",
                                           "galatea_remember"}
    assert "Galatea" in api.api_prompt
    # Every tool says which integration provides it (untagged tools are deprecated in 2026.x).
    assert {t.integration for t in api.tools} == {"galatea"}
    assert getattr(api.api, "requires_admin", False) is False  # a field since 2026.11


async def test_api_merges_with_assist(hass: HomeAssistant, api: llm.APIInstance) -> None:
    """An agent with both Assist and Galatea selected gets one merged API (HA's MergedAPI reads
    every API's dataclass fields; a missing field raised AttributeError here before)."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "llm", {})
    ctx = llm.LLMContext(platform="test", context=Context(), language="en",
                         assistant="conversation", device_id=None)
    merged = await llm.async_get_api(hass, [llm.LLM_API_ASSIST, API_ID], ctx)
    names = {t.name for t in merged.tools}
    assert any(name.endswith("galatea_recall") for name in names)
    result = await merged.async_call_tool(llm.ToolInput(
        tool_name=next(n for n in names if n.endswith("galatea_routines")), tool_args={}))
    assert not result.error
    assert "routines" in result.data


async def test_tools(hass: HomeAssistant, api: llm.APIInstance) -> None:
    entry = hass.data["galatea_test_entry"]
    rec = await _tool(api, "galatea_recall", query="kitchen", limit=2)
    assert len(rec["memories"]) == 2
    assert set(rec["memories"][0]) == {"id", "text", "type", "since", "confidence"}
    usual = await _tool(api, "galatea_recall", query="when does Ben usually go to bed")
    assert usual["answer"].startswith("Ben usually goes to bed")

    routines = await _tool(api, "galatea_routines", person="Grandma", kind="wake_up")
    key = routine_key(entry, "wake_up", "person.grandma")
    assert [r["key"] for r in routines["routines"]] == [key]
    assert "evidence" not in routines["routines"][0]

    tl = await _tool(api, "galatea_timeline", period="yesterday_evening")
    assert tl["items"]
    assert all(len(i["at"]) == 5 for i in tl["items"])

    last = await _tool(api, "galatea_last_time", what="front door")
    assert last["found"]
    assert last["text"].startswith("Front door opened")
    last_area = await _tool(api, "galatea_last_time", area="Kitchen")
    assert last_area["found"]

    told = await _tool(api, "galatea_remember", text="The wifi password is on the fridge",
                       subject="Kitchen")
    assert told["remembered"]
    again = await _tool(api, "galatea_recall", query="wifi password")
    assert again["memories"][0]["id"] == told["id"]


async def test_arguments_are_validated(api: llm.APIInstance) -> None:
    assert "error" in await _tool(api, "galatea_recall")  # query missing
    assert "error" in await _tool(api, "galatea_recall", query="x", limit=500)
    assert "error" in await _tool(api, "galatea_recall", query="x", color="red")
    assert "error" in await _tool(api, "galatea_timeline", period="next_century")
    assert "error" in await _tool(api, "galatea_routines", kind="dancing")
    assert "error" in await _tool(api, "galatea_last_time")
    assert "error" in await _tool(api, "galatea_remember", text="")
