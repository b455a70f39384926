"""
The Dockerfile and compose.yaml, checked as far as a machine without a container engine
can: the image's final stage (slim, unprivileged, health-checked on /readyz, running
`booking-assistant serve`), and a compose file whose services run Postgres, then the
migrations, then the service, with settings the service knows. `docker compose config`
validates the file where a compose client is installed. (tests/test_packaging.py runs
the image's command and health check against a real install.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from web.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's stages, each a list of (INSTRUCTION, arguments)."""
    text = (ROOT / "Dockerfile").read_text()
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: list[list[tuple[str, str]]] = []
    for line in logical:
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def final_stage() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for instruction, arguments in dockerfile_stages()[-1]:
        found.setdefault(instruction, []).append(arguments)
    return found


def image_command() -> list[str]:
    command: list[str] = json.loads(final_stage()["CMD"][-1])
    return command


def health_check_command() -> list[str]:
    """The HEALTHCHECK's exec-form command (after its options)."""
    arguments = final_stage()["HEALTHCHECK"][-1]
    command: list[str] = json.loads(arguments.split(" CMD ", 1)[1])
    return command


def test_the_image_is_slim_unprivileged_and_serves() -> None:
    stage = final_stage()
    assert stage["FROM"][0].startswith("python:3.11-slim")
    user = stage["USER"][-1]
    assert user not in ("root", "0"), "the service must not run as root"
    assert image_command() == ["booking-assistant", "serve"]
    assert "PORT=8000" in " ".join(stage["ENV"])


def test_the_health_check_asks_readyz() -> None:
    options = final_stage()["HEALTHCHECK"][-1].split(" CMD ", 1)[0]
    assert "--interval=" in options
    command = health_check_command()
    assert command[0] == "python"
    assert "/readyz" in " ".join(command)


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_compose_runs_postgres_then_migrate_then_the_service() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "migrate", "service"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert "healthcheck" in services["postgres"]
    assert services["migrate"]["command"] == ["booking-assistant", "migrate"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["service"]["command"] == ["booking-assistant", "serve"]
    assert (
        services["service"]["depends_on"]["migrate"]["condition"]
        == "service_completed_successfully"
    )
    assert services["service"]["ports"] == ["${PORT:-8000}:8000"]
    for name in ("migrate", "service"):
        assert services[name]["build"] == "."


def test_compose_settings_are_the_services_own_and_reach_its_postgres() -> None:
    services = compose()["services"]
    known = {name.upper() for name in Settings.model_fields}
    for name in ("migrate", "service"):
        environment = services[name]["environment"]
        assert set(environment) <= known, set(environment) - known
        for required in ("WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"):
            assert environment[required].startswith(f"${{{required}:?"), required
        dsn = urlsplit(environment["DATABASE_URL"])
        postgres = services["postgres"]["environment"]
        assert dsn.hostname == "postgres"
        assert dsn.username == postgres["POSTGRES_USER"]
        assert dsn.password == postgres["POSTGRES_PASSWORD"]
        assert dsn.path == "/" + postgres["POSTGRES_DB"]


def _compose_client() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    return [standalone] if standalone else None


def test_docker_compose_config_accepts_the_file() -> None:
    client = _compose_client()
    if client is None:
        pytest.skip("no compose client installed (docker compose or docker-compose)")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/"),
        "WHATSAPP_APP_SECRET": "s",
        "WHATSAPP_VERIFY_TOKEN": "t",
    }
    result = subprocess.run(
        [*client, "-f", str(ROOT / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert resolved["services"]["service"]["environment"]["WHATSAPP_APP_SECRET"] == "s"
    missing = subprocess.run(
        [*client, "-f", str(ROOT / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        env={k: v for k, v in env.items() if not k.startswith("WHATSAPP")},
        check=False,
        timeout=60,
    )
    assert missing.returncode != 0
    assert "WHATSAPP_APP_SECRET" in missing.stderr
