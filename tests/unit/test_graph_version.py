"""
Which Graph API version the calls name: WHATSAPP_API_VERSION on the host in
WHATSAPP_API_BASE, or the version an old-style base ends in; and the one warning at
start-up when it is older than this release's default.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pytest
from structlog.testing import capture_logs

from actors.providers.whatsapp import (
    DEFAULT_GRAPH_VERSION,
    GRAPH_VERSION_RETIRED_ON,
    graph_root,
    is_older,
)
from web import Settings
from web.startup import log_configuration


@pytest.mark.parametrize(
    ("base", "version", "root"),
    [
        ("https://graph.facebook.com", "v24.0", "https://graph.facebook.com/v24.0"),
        ("https://graph.facebook.com/", "v25.0", "https://graph.facebook.com/v25.0"),
        ("https://graph.facebook.com/v21.0", "v24.0", "https://graph.facebook.com/v21.0"),
        ("https://graph.facebook.com/v21.0/", "v24.0", "https://graph.facebook.com/v21.0"),
        ("http://127.0.0.1:9009/replica-1", "v24.0", "http://127.0.0.1:9009/replica-1/v24.0"),
    ],
)
def test_the_root_every_call_goes_under(base: str, version: str, root: str) -> None:
    assert graph_root(base, version) == root


def test_versions_compare_by_number_not_by_text() -> None:
    assert is_older("v9.0", "v24.0")
    assert is_older("v21.0", "v24.0")
    assert not is_older("v24.0", "v24.0")
    assert not is_older("v100.0", "v24.0")


def test_the_default_is_one_meta_still_keeps() -> None:
    assert DEFAULT_GRAPH_VERSION == "v24.0"
    assert GRAPH_VERSION_RETIRED_ON["v21.0"].isoformat() == "2027-01-21"


def settings(**values: Any) -> Settings:
    return Settings(database_url="postgresql://localhost/x", **values)


def version_warnings(config: Settings) -> list[MutableMapping[str, Any]]:
    with capture_logs() as logs:
        log_configuration(config)
    return [line for line in logs if line["event"] == "config.graph_api_version_old"]


def test_the_default_settings_call_the_default_version_on_metas_host() -> None:
    config = settings()
    assert config.whatsapp_api_base == "https://graph.facebook.com"
    assert config.graph_api_version() == DEFAULT_GRAPH_VERSION
    assert version_warnings(config) == []


@pytest.mark.parametrize(
    "values",
    [
        {"whatsapp_api_version": "v21.0"},
        {"whatsapp_api_base": "https://graph.facebook.com/v21.0"},  # the old form
    ],
)
def test_an_older_version_is_one_warning_naming_it_the_default_and_metas_date(
    values: dict[str, str],
) -> None:
    [warning] = version_warnings(settings(**values))
    assert warning["log_level"] == "warning"
    assert warning["version"] == "v21.0"
    assert warning["default"] == DEFAULT_GRAPH_VERSION
    assert warning["available_until"] == "2027-01-21"


def test_a_newer_version_is_no_warning() -> None:
    config = settings(whatsapp_api_version="v25.0")
    assert config.graph_api_version() == "v25.0"
    assert version_warnings(config) == []


def test_a_version_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="whatsapp_api_version"):
        settings(whatsapp_api_version="24")
