"""Fixtures for end-to-end tests: a real Mosquitto, real ``hass`` processes (see harness.py).

E2E tests are plain synchronous tests marked ``@pytest.mark.e2e``. They do not request HA's
in-process ``hass`` fixture; the processes they talk to are started once per module. Sockets:
pytest-socket (HA's test plugin) only allows 127.0.0.1, which is all the harness uses; the
subprocesses themselves are not restricted.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_socket

from .harness import HassProcess, Mosquitto

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the suite-wide fixture: e2e tests need no in-process HA instance."""


@pytest.fixture(autouse=True, scope="module")
def _e2e_sockets_for_module_fixtures() -> None:
    """HA's plugin blocks new sockets before every test; module fixtures need them too.

    ``enable_socket`` only lifts the creation guard: connections stay limited to 127.0.0.1
    (``socket_allow_hosts`` set by HA's plugin), which is all the harness uses.
    """
    pytest_socket.enable_socket()


@pytest.fixture(autouse=True)
def _e2e_sockets(socket_enabled: None) -> None:
    """Loopback sockets for the test body (see above)."""


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's report on the item so fixtures can tell a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


_LIVE: list[HassProcess] = []


@pytest.fixture(autouse=True)
def _dump_hass_log_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print the tail of every live hass process's log when a test fails."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for proc in _LIVE:
            print(f"\n===== Home Assistant log ({proc.config_dir}) =====\n{proc.log_tail(200)}")


@pytest.fixture(scope="module")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """A temp folder per test module (config dirs, broker config, browser profile)."""
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture(scope="module")
def mosquitto(e2e_dir: Path) -> Generator[Mosquitto]:
    """A Mosquitto broker on a free loopback port for this module."""
    broker = Mosquitto(e2e_dir / "mosquitto")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="module")
def hass_process(e2e_dir: Path) -> Generator[Callable[..., HassProcess]]:
    """Factory: ``hass_process(name="ha", galatea_db=None, onboard=True, **HassProcess kw)``.

    Starts a real ``hass`` in ``<module tmp>/<name>`` with Galatea linked in, onboards the
    owner user (galatea/galatea) and a long-lived token. Every process is stopped at the end
    of the module (SIGTERM, then SIGKILL).
    """
    started: list[HassProcess] = []

    def factory(name: str = "ha", *, onboard: bool = True, **kwargs: Any) -> HassProcess:
        proc = HassProcess(e2e_dir / name, **kwargs)
        started.append(proc)
        _LIVE.append(proc)
        proc.start()
        if onboard:
            proc.onboard()
        return proc

    yield factory
    for proc in started:
        proc.stop()
        if proc in _LIVE:
            _LIVE.remove(proc)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """tests/e2e/artifacts (gitignored): screenshots and logs worth looking at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
