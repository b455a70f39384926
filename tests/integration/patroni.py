"""
A Postgres that fails over, on this machine: one etcd member and Patroni with two
Postgres nodes (a primary and its synchronous replica), in a temporary directory on
free ports, for the tests that kill the primary (`PatroniCluster()`).

The reference setup of docs/scaling.md, made small: `synchronous_mode: true` (a commit
is on both nodes before it is answered) and `primary_start_timeout: 0` (a crashed
primary fails over rather than restarts), with short timings so that a failover takes
seconds. Postgres will not run as root, so as root Patroni runs as `postgres`. Without
Debian's `patroni`, `etcd` or Postgres binaries the tests that need them skip, except
in CI (`CI` set), where they fail.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from loadtest.replicas import free_port

__all__ = ["PatroniCluster", "PatroniNode", "patroni_binaries"]

# Fast enough for a test: Patroni looks every second (ttl: 20 is its least, and a
# crashed primary releases the leader key at once rather than letting it expire).
TTL_S = 20
LOOP_WAIT_S = 1
RETRY_TIMEOUT_S = 4


@dataclass(frozen=True)
class Binaries:
    patroni: str
    etcd: str
    postgres_bin: Path


def patroni_binaries() -> Binaries:
    """Patroni, etcd and Postgres' bin directory; skips without them (fails in CI)."""
    patroni = shutil.which("patroni")
    etcd = shutil.which("etcd")
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    missing = [
        name
        for name, found in (("patroni", patroni), ("etcd-server", etcd), ("postgresql", bins))
        if not found
    ]
    if missing or patroni is None or etcd is None:
        message = f"not installed: {', '.join(missing)} (apt-get install {' '.join(missing)})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return Binaries(patroni, etcd, bins[-1].parent)


class PatroniNode:
    """One Patroni member: its Postgres port, its REST API, its data directory."""

    def __init__(self, name: str, folder: Path) -> None:
        self.name = name
        self.folder = folder
        self.port = free_port()
        self.api_port = free_port()
        self.data_dir = folder / "data"
        self.log_path = folder / "patroni.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def role(self) -> str | None:
        """'primary', 'replica', or None (Postgres down, or Patroni not answering)."""
        try:
            state = httpx.get(f"{self.api}/patroni", timeout=2.0).json()
        except (httpx.HTTPError, ValueError):
            return None
        if state.get("state") != "running":
            return None
        role = state.get("role")
        return "primary" if role in ("master", "primary") else str(role)

    def is_sync_standby(self) -> bool:
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{self.api}/sync", timeout=2.0).status_code == 200
        return False

    def postmaster_pid(self) -> int:
        """The running postmaster's pid, from its postmaster.pid file."""
        return int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class PatroniCluster:
    """`with PatroniCluster() as cluster:` `cluster.dsn(db)` names both nodes libpq's way."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self.scope = f"ba-{uuid.uuid4().hex[:8]}"
        self.nodes: list[PatroniNode] = []
        self.etcd_port = free_port()
        self._processes: list[subprocess.Popen[bytes]] = []

    def dsn(self, database: str = "postgres") -> str:
        """Every node, libpq's way: whichever is the primary takes the session."""
        hosts = ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)
        return f"postgresql://postgres@{hosts}/{database}?target_session_attrs=read-write"

    def node_dsn(self, node: PatroniNode, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{node.port}/{database}"

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> PatroniCluster:
        binaries = patroni_binaries()
        try:
            root = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="patroni-")))
            root.chmod(0o755)
            user = _postgres_user()
            self._start_etcd(binaries.etcd, root)
            self.nodes = [PatroniNode(f"pg{n}", root / f"pg{n}") for n in range(2)]
            for node in self.nodes:
                node.folder.mkdir()
                if user is not None:
                    os.chown(node.folder, user.pw_uid, user.pw_gid)
            first, second = self.nodes
            self._start_node(first, binaries, user)
            self.wait_for(lambda: first.role() == "primary", 60, "the first primary")
            self._start_node(second, binaries, user)
            self.wait_for(second.is_sync_standby, 90, "the synchronous replica")
        except BaseException:
            print(self.report())
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def _start_etcd(self, etcd: str, root: Path) -> None:
        peer = f"http://127.0.0.1:{free_port()}"
        client = f"http://127.0.0.1:{self.etcd_port}"
        log = self._stack.enter_context((root / "etcd.log").open("wb"))
        process = subprocess.Popen(
            [
                etcd,
                "--name=etcd0",
                f"--data-dir={root / 'etcd'}",
                f"--listen-client-urls={client}",
                f"--advertise-client-urls={client}",
                f"--listen-peer-urls={peer}",
                f"--initial-advertise-peer-urls={peer}",
                f"--initial-cluster=etcd0={peer}",
                "--initial-cluster-state=new",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self._stack.callback(_stop, process)

        def healthy() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"etcd exited {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"{client}/health", timeout=1.0).status_code == 200
            return False

        self.wait_for(healthy, 30, "etcd")

    def _start_node(self, node: PatroniNode, binaries: Binaries, user: Any) -> None:
        config = node.folder / "patroni.yml"
        config.write_text(yaml.safe_dump(self._config(node, binaries.postgres_bin)))
        config.chmod(0o644)
        log = self._stack.enter_context(node.log_path.open("wb"))
        node.process = subprocess.Popen(
            [binaries.patroni, str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=node.folder,
            user=None if user is None else user.pw_uid,
            group=None if user is None else user.pw_gid,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
            start_new_session=True,
        )
        self._stack.callback(_stop_node, node)

    def _config(self, node: PatroniNode, bin_dir: Path) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "name": node.name,
            "log": {"level": "INFO"},
            "restapi": {
                "listen": f"127.0.0.1:{node.api_port}",
                "connect_address": f"127.0.0.1:{node.api_port}",
            },
            "etcd3": {"hosts": [f"127.0.0.1:{self.etcd_port}"]},
            "bootstrap": {
                "dcs": {
                    "ttl": TTL_S,
                    "loop_wait": LOOP_WAIT_S,
                    "retry_timeout": RETRY_TIMEOUT_S,
                    "synchronous_mode": True,
                    "primary_start_timeout": 0,
                    "postgresql": {
                        "use_pg_rewind": True,
                        "use_slots": True,
                        "parameters": {
                            "max_connections": 200,
                            "wal_log_hints": "on",
                            "shared_buffers": "64MB",
                            "fsync": "off",  # a test's data; durability is the replica's
                        },
                    },
                },
                "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}],
                "pg_hba": [
                    "local all all trust",
                    "host all all 127.0.0.1/32 trust",
                    "host replication all 127.0.0.1/32 trust",
                ],
            },
            "postgresql": {
                "listen": f"127.0.0.1:{node.port}",
                "connect_address": f"127.0.0.1:{node.port}",
                "data_dir": str(node.data_dir),
                "bin_dir": str(bin_dir),
                "pgpass": str(node.folder / "pgpass"),
                "authentication": {
                    "superuser": {"username": "postgres", "password": "postgres"},
                    "replication": {"username": "replicator", "password": "replicator"},
                    "rewind": {"username": "postgres", "password": "postgres"},
                },
                "parameters": {"unix_socket_directories": str(node.folder)},
            },
            "tags": {"nofailover": False, "noloadbalance": False},
        }

    # -- what a test does --------------------------------------------------------------

    def primary(self) -> PatroniNode:
        found = [node for node in self.nodes if node.role() == "primary"]
        assert len(found) == 1, f"primaries: {[n.name for n in found]}\n{self.report()}"
        return found[0]

    def kill_primary_postmaster(self) -> PatroniNode:
        """kill -9 the primary's postmaster (Patroni itself lives on); the node killed."""
        node = self.primary()
        os.kill(node.postmaster_pid(), signal.SIGKILL)
        return node

    def wait_for(self, condition: Any, timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise AssertionError(f"{what}: not within {timeout_s} s\n{self.report()}")

    def report(self) -> str:
        return "\n".join(f"===== {n.name} ({n.log_path})\n{n.log_tail()}" for n in self.nodes)


def _postgres_user() -> pwd.struct_passwd | None:
    """Who runs Postgres: `postgres` when we are root (initdb refuses root), else us."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return pwd.getpwnam("nobody")


def _stop_node(node: PatroniNode) -> None:
    """Stop Patroni and, with it, its Postgres; kill whatever is left of either."""
    if node.process is not None:
        _stop(node.process)
    with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
        os.kill(node.postmaster_pid(), signal.SIGKILL)
    if node.process is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(node.process.pid, signal.SIGKILL)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


# -- by hand: `python -m tests.integration.patroni` --------------------------------------


async def _kill_primary(dsn: str, timeout_s: float = 60.0) -> None:
    """kill -9 the postmaster of the node `dsn` takes writes on (on this machine), then
    wait until another node takes them."""
    import asyncio

    import asyncpg  # the harness's own connection, not the service's
    import psutil

    con = await asyncpg.connect(dsn)
    try:
        port = await con.fetchval("SELECT inet_server_port()")
        # Our own backend's parent, while it lives: the postmaster.
        postmaster = psutil.Process(await con.fetchval("SELECT pg_backend_pid()")).ppid()
    finally:
        await con.close()
    os.kill(postmaster, signal.SIGKILL)
    print(f"killed the primary's postmaster (pid {postmaster}, port {port})", flush=True)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            con = await asyncpg.connect(dsn, timeout=2.0)
            try:
                if await con.fetchval("SELECT inet_server_port()") != port:
                    await con.fetchval("SELECT pg_current_xact_id()")
                    print("a new primary takes writes", flush=True)
                    return
            finally:
                await con.close()
        await asyncio.sleep(0.2)
    raise SystemExit(f"no new primary within {timeout_s} s")


def main(argv: list[str]) -> int:
    """`up`: run a cluster until Ctrl-C, printing its DSN; `kill-primary DSN`: fail over."""
    import asyncio

    if argv[:1] == ["kill-primary"] and len(argv) == 2:
        asyncio.run(_kill_primary(argv[1]))
        return 0
    if argv[:1] != ["up"]:
        print("usage: python -m tests.integration.patroni up | kill-primary DSN")
        return 2
    stopped = {"yes": False}
    signal.signal(signal.SIGTERM, lambda *_: stopped.update(yes=True))
    with PatroniCluster() as cluster:
        print(f"DATABASE_URL={cluster.dsn()}", flush=True)
        print(f"fail over: python -m tests.integration.patroni kill-primary '{cluster.dsn()}'")
        with contextlib.suppress(KeyboardInterrupt):
            while not stopped["yes"]:
                time.sleep(0.5)
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
