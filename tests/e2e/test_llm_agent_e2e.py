"""An LLM conversation agent on a real ``hass`` offers "Galatea memory" and runs its tools.

Real: ``hass`` (the pinned newest HA) with Galatea on a replayed 14-day home, HA's own ``ollama``
integration set up as a user does in the UI (config flow with the server URL, then a
"conversation" subentry whose form lists the LLM APIs), and HA's chat loop that runs the tools.
Fake: only the remote model, a local server speaking Ollama's wire protocol (fake_ollama.py).

The fake model answers the question with tool calls to galatea_routines and galatea_recall;
HA runs Galatea's tools inside ``hass`` and sends their results back; the fake's second reply
repeats the routine key and time found only in the tool result. The test checks the final speech
carries them (and that the time matches the simulator's ground truth), that the fake received
the tool results, and that HA logged no warning or error naming Galatea.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.memory_support import TZ_NAME, build_simulated_store

from .fake_ollama import MODEL, FakeOllama, Turn
from .harness import HassProcess

pytestmark = pytest.mark.e2e

API_ID = "galatea_memory"
API_NAME = "Galatea memory"
GALATEA_TOOLS = {"galatea_recall", "galatea_routines", "galatea_timeline", "galatea_last_time",
                 "galatea_remember"}
QUESTION = "When does Anna usually wake up?"
# What the fake model does with QUESTION: the tools a capable model would pick.
TOOL_PLAN: list[tuple[str, dict[str, Any]]] = [
    ("galatea_routines", {"person": "Anna", "kind": "wake_up"}),
    ("galatea_recall", {"query": "Anna wakes up"}),
]
TOLERANCE_MIN = 15
NO_TOOLS = "I was offered no Galatea tools."


def _tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool results HA sent after the last user message ({"data": ..., "error": ...})."""
    messages = body["messages"]
    last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
    return [json.loads(m["content"]) for m in messages[last_user + 1:] if m["role"] == "tool"]


def galatea_model(body: dict[str, Any]) -> Turn:
    """The scripted model: call Galatea's tools first, then answer from what they returned."""
    results = _tool_results(body)
    if not results:
        offered = {t["function"]["name"] for t in body.get("tools") or []}
        calls = [(name, args) for name, args in TOOL_PLAN if name in offered]
        return Turn(tool_calls=calls) if calls else Turn(content=NO_TOOLS)
    routines = results[0].get("data", {}).get("routines") or []
    if results[0].get("error") or not routines:
        return Turn(content=f"Galatea's routines tool gave nothing: {json.dumps(results[0])}")
    first = routines[0]
    memories = len(results[1].get("data", {}).get("memories") or []) if len(results) > 1 else 0
    return Turn(content=f"{first['person']} usually wakes up around {first['time']} "
                        f"(routine {first['key']}; {memories} memories recalled).")


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeOllama]:
    with FakeOllama(galatea_model) as server:
        yield server


@pytest.fixture(scope="module")
def simulated_home(e2e_dir: Path) -> tuple[Path, dict[str, Any]]:
    folder = e2e_dir / "simhome"
    folder.mkdir()
    return build_simulated_store(folder)


@pytest.fixture(scope="module")
def hass_home(hass_process: Callable[..., HassProcess],
              simulated_home: tuple[Path, dict[str, Any]]) -> HassProcess:
    db, _truth = simulated_home
    hass = hass_process("ha", galatea_db=db, time_zone=TZ_NAME)
    entry = hass.setup_galatea({"user": {"db_url": "galatea.db", "backfill": False}})
    assert entry["state"] == "loaded"
    return hass


@pytest.fixture(scope="module")
def ollama_agent(hass_home: HassProcess, fake_llm: FakeOllama) -> dict[str, Any]:
    """The Ollama entry and a conversation subentry made through HA's REST flows, like the UI.

    Returns the subentry form's ``llm_hass_api`` options and the new agent's entity id.
    """
    hass = hass_home
    result = hass.config_flow("ollama", {"user": {"url": fake_llm.url}})
    assert result["type"] == "create_entry", result
    entry = hass.wait_entry_loaded("ollama")

    form = hass.post("/api/config/config_entries/subentries/flow",
                     {"handler": [entry["entry_id"], "conversation"],
                      "show_advanced_options": True})
    assert form["type"] == "form", form
    assert form["step_id"] == "set_options", form
    fields = {f["name"]: f for f in form["data_schema"]}
    api_options = fields["llm_hass_api"]["selector"]["select"]["options"]
    model_options = fields["model"]["selector"]["select"]["options"]
    assert MODEL in [o["value"] for o in model_options], model_options

    done = hass.post(f"/api/config/config_entries/subentries/flow/{form['flow_id']}", {
        "name": "Galatea LLM",
        "model": MODEL,
        "llm_hass_api": ["assist", API_ID],  # what a user ticks: HA's own tools and Galatea's
        "max_history": 20,
        "num_ctx": 8192,
        "keep_alive": -1,
        "think": False,
    })
    assert done["type"] == "create_entry", done

    def agent() -> str | None:
        (entities,) = hass.ws({"type": "config/entity_registry/list"})
        ids = [e["entity_id"] for e in entities
               if e["platform"] == "ollama" and e["entity_id"].startswith("conversation.")]
        states = hass.states()
        return next((i for i in ids if i in states and states[i]["state"] != "unavailable"),
                    None)

    entity_id: str = hass.wait_until(agent, 60, message="the Ollama conversation agent")
    return {"api_options": api_options, "entity_id": entity_id}


def test_llm_agent_is_offered_galatea_memory(ollama_agent: dict[str, Any]) -> None:
    """The conversation subentry form (the UI's "Control Home Assistant" list) offers it."""
    offered = {o["value"]: o["label"] for o in ollama_agent["api_options"]}
    assert offered.get(API_ID) == API_NAME, offered
    assert "assist" in offered, offered


def test_llm_agent_runs_galatea_tools(
    hass_home: HassProcess,
    fake_llm: FakeOllama,
    ollama_agent: dict[str, Any],
    simulated_home: tuple[Path, dict[str, Any]],
) -> None:
    _db, truth = simulated_home
    hass = hass_home
    fake_llm.chat_requests.clear()

    reply = hass.post("/api/conversation/process", {
        "text": QUESTION, "language": "en", "agent_id": ollama_agent["entity_id"],
    })
    speech: str = reply["response"]["speech"]["plain"]["speech"]
    assert not fake_llm.errors, fake_llm.errors

    # What HA offered the model: Galatea's API prompt and all five tools, next to Assist's.
    first, *rest = fake_llm.chat_requests
    offered = {t["function"]["name"] for t in first.get("tools") or []}
    assert offered >= GALATEA_TOOLS, offered
    assert offered - GALATEA_TOOLS, "Assist's tools missing: the merged API was not used"
    system = first["messages"][0]
    assert system["role"] == "system", system
    assert "Galatea remembers" in system["content"], system

    # HA ran both tools inside hass and sent their results back in a second request.
    assert len(rest) == 1, [m["role"] for r in fake_llm.chat_requests for m in r["messages"]]
    routines_result, recall_result = _tool_results(rest[0])
    assert routines_result["error"] is False, routines_result
    assert recall_result["error"] is False, recall_result
    assert "memories" in recall_result["data"], recall_result
    routines = routines_result["data"]["routines"]
    assert routines, routines_result
    assert all(r["person"] == "person.anna" for r in routines), routines
    assert all(r["key"] not in json.dumps(first) for r in routines)  # known only from the tool

    # The final answer carries what only the tool result held, and it is the truth.
    top = routines[0]
    assert top["key"] in speech, (speech, top)
    assert top["time"] in speech, (speech, top)
    match = re.search(r"around (\d{1,2}):(\d\d)", speech)
    assert match, speech
    said = int(match[1]) * 60 + int(match[2])
    wake = [int(r["time"].split(":")[0]) * 60 + int(r["time"].split(":")[1])
            for r in truth["routines"]
            if r["kind"] == "wake_up" and r["person"] == "person.anna"]
    assert min(abs(said - t) for t in wake) <= TOLERANCE_MIN, (speech, truth["routines"])

    assert not hass.galatea_log_problems(), hass.galatea_log_problems()
