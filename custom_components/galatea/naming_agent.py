"""Session naming through one of the user's Home Assistant conversation agents.

The engine names sessions in an executor thread with a synchronous ``Completer`` (messages in,
text out). This one hands the request to the event loop with ``run_coroutine_threadsafe`` and
waits at most ``timeout_s`` for the agent's answer; it never runs on (or blocks) the loop. Any
failure raises, and ``SessionNamer`` then falls back to its rule-based names.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import intent

if TYPE_CHECKING:
    from homeassistant.components.conversation import ConversationResult

    from .engine.naming import Completer

# The built-in agent matches sentences to intents: it cannot write a title.
BUILTIN_AGENTS = frozenset({"conversation.home_assistant", "homeassistant"})


class AgentReplyError(Exception):
    """The agent answered with an error, or with no text."""


def prompt_text(messages: list[dict[str, str]]) -> str:
    """A conversation agent takes one text: the instructions, then the session description."""
    return "\n\n".join(m["content"] for m in messages if m.get("content"))


def speech_text(result: ConversationResult) -> str:
    """The plain speech of an agent's answer (raises when it is an error or empty)."""
    response = result.response
    speech = response.speech.get("plain", {}).get("speech")
    if response.response_type == intent.IntentResponseType.ERROR:
        code = response.error_code.value if response.error_code else "unknown"
        raise AgentReplyError(f"agent error {code}: {str(speech or '')[:80]}")
    if not isinstance(speech, str) or not speech.strip():
        raise AgentReplyError("empty reply")
    return speech


async def async_ask_agent(
    hass: HomeAssistant, agent_id: str, text: str, language: str | None = None
) -> str:
    """One fresh conversation (no history) with ``agent_id``; returns its speech."""
    from homeassistant.components import conversation

    result = await conversation.async_converse(
        hass,
        text,
        conversation_id=None,
        context=Context(),
        language=language or hass.config.language,
        agent_id=agent_id,
    )
    return speech_text(result)


def agent_completer(
    hass: HomeAssistant, agent_id: str, *, timeout_s: float, language: str | None = None
) -> Completer:
    """A ``Completer`` for worker threads backed by the conversation agent ``agent_id``."""

    def complete(messages: list[dict[str, str]]) -> str:
        if threading.get_ident() == hass.loop_thread_id:
            raise RuntimeError("the agent completer blocks: call it from a worker thread")
        future = asyncio.run_coroutine_threadsafe(
            async_ask_agent(hass, agent_id, prompt_text(messages), language), hass.loop
        )
        try:
            return future.result(timeout_s)
        except TimeoutError:
            future.cancel()  # the agent keeps no half-finished conversation of ours
            raise TimeoutError(f"agent did not answer within {timeout_s:g} s") from None

    return complete
