"""
A normal, non-editable install runs from an empty directory: the wheel carries the copy
files and the migrations, and `booking-assistant serve` (the image's command) starts
from it, answers the image's health check, and stops cleanly.

The wheel is built as `pip install .` builds it, from the files the Docker build gets
(the checkout less .dockerignore's, in a fresh directory: no stale build/ can help),
installed with `--target` into a directory of its own, and run with `python -S` so that
nothing of the checkout (this virtualenv's editable install) can be imported: only the
wheel and its dependencies.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import asyncpg
import httpx
import pytest

from loadtest.replicas import free_port
from tests.test_deployment_files import health_check_command, image_command

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DEPENDENCIES = Path(asyncpg.__file__).resolve().parents[1]  # this virtualenv's site-packages


def docker_context(into: Path) -> Path:
    """The checkout as the Docker build sees it: .dockerignore's names left out."""
    ignored = [
        line.strip().removeprefix("**/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    source = into / "src"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(*ignored))
    return source


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    source = docker_context(tmp_path_factory.mktemp("context"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(dist),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = dist.glob("booking_assistant-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-compile",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


def test_the_wheel_carries_the_copy_and_the_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    copy_files = sorted(p.name for p in (ROOT / "copy").glob("*.yml"))
    assert copy_files
    for name in copy_files:
        assert f"web/copy/{name}" in names
    migrations = sorted(p.name for p in (ROOT / "storage" / "migrations").glob("*.sql"))
    for name in migrations:
        assert f"storage/migrations/{name}" in names
    for locale in (p.stem for p in (ROOT / "copy").glob("*.yml")):  # the page's catalogs
        assert f"web/translations/{locale}/LC_MESSAGES/messages.po" in names
    assert {
        "web/static/icon-180.png",
        "web/static/icon-192.png",
        "web/static/icon-512.png",
    } <= names
    assert not any(name.startswith("tests/") for name in names)


def test_an_installed_service_serves_from_an_empty_directory(
    installed: Path, database_url: str, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": f"{installed}{os.pathsep}{DEPENDENCIES}",
        "DATABASE_URL": database_url,
        "WHATSAPP_APP_SECRET": "packaging-secret",
        "WHATSAPP_VERIFY_TOKEN": "packaging-token",
        "PORT": str(port),
    }
    where = subprocess.run(
        [sys.executable, "-S", "-c", "import web, storage; print(web.__file__, storage.__file__)"],
        env=env,
        cwd=empty,
        capture_output=True,
        text=True,
        check=True,
    )
    assert all(path.startswith(str(installed)) for path in where.stdout.split())

    program, *arguments = image_command()
    script = installed / "bin" / program
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        service = subprocess.Popen(
            [sys.executable, "-S", str(script), *arguments],
            env=env,
            cwd=empty,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert service.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        python, *check = health_check_command()
        assert python == "python"
        health = subprocess.run(
            [sys.executable, *check], env=env, cwd=empty, capture_output=True, timeout=30
        )
        assert health.returncode == 0, health.stderr
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=60) == 0, log.read_text()[-3000:]
    finally:
        if service.poll() is None:
            service.kill()
            service.wait()
    assert list(empty.iterdir()) == []
