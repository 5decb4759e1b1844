"""Shared fixtures. HA's test harness is loaded for every test; engine tests simply ignore it."""

from __future__ import annotations

import logging

import pytest

pytest_plugins = "pytest_homeassistant_custom_component"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let HA load custom_components/galatea in every test."""


@pytest.fixture(autouse=True, scope="session")
def quiet_sqlalchemy() -> None:
    """The HA harness turns SQLAlchemy's statement log on (INFO); it floods failure output."""
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
