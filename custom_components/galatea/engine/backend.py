"""``EngineBackend``: the one way Home Assistant's side of Galatea reaches the engine.

The integration's entities, actions, Assist and LLM tools call these methods and nothing else
of the engine's API (pure helpers such as ``period_bounds`` and the store's own reads aside).
There are two implementations (``custom_components/galatea/backend.py``): the engine's
``GalateaAPI`` in this process, run in HA's executor; or the Galatea add-on over HTTP
(``POST /api/call/{method}``), whose server accepts exactly ``BACKEND_METHODS``, so the two
sides share one list.

Each operation is the ``GalateaAPI`` method of its name, awaited: its arguments and result (a
``TypedDict`` of ``engine/results.py``) are that method's, taken from it rather than written
again, so a caller is checked against the engine's own signature. Errors are ``APIError``. An
implementation subclasses ``EngineBackend`` and answers ``call(method, arguments)``: every
argument by name, defaults filled in.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from functools import update_wrapper
from typing import Any, Concatenate

from .api import GalateaAPI


def operation[**P, R](
    method: Callable[Concatenate[GalateaAPI, P], R],
) -> Callable[Concatenate[Any, P], Awaitable[R]]:
    """The async operation standing for ``GalateaAPI.<method>``: it binds the arguments to the
    method's signature (defaults filled in) and awaits ``self.call(name, arguments)``."""
    name = method.__name__
    signature = inspect.signature(method)

    async def run(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        bound = signature.bind(None, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        del arguments["self"]
        result: R = await self.call(name, arguments)
        return result

    update_wrapper(run, method)  # its name, docstring and signature are the method's
    run.operation = True  # type: ignore[attr-defined]
    return run


class EngineBackend(ABC):
    """The engine operations the integration uses (async; names, arguments and results of
    ``GalateaAPI``'s methods). An implementation answers ``call``."""

    routine_states = operation(GalateaAPI.routine_states)
    activity_summary = operation(GalateaAPI.activity_summary)
    routines = operation(GalateaAPI.routines)
    timeline = operation(GalateaAPI.timeline)
    recall = operation(GalateaAPI.recall)
    last_time = operation(GalateaAPI.last_time)
    remember = operation(GalateaAPI.remember)
    confirm_routine = operation(GalateaAPI.confirm_routine)
    reject_routine = operation(GalateaAPI.reject_routine)
    forget = operation(GalateaAPI.forget)

    @abstractmethod
    async def call(self, method: str, arguments: Mapping[str, Any]) -> Any:
        """``GalateaAPI.<method>(**arguments)``'s answer; ``arguments`` name every argument."""


# The operations' names: what the add-on's ``POST /api/call/{method}`` accepts.
BACKEND_METHODS: frozenset[str] = frozenset(
    name for name, value in vars(EngineBackend).items() if getattr(value, "operation", False))
