"""
The fake Graph API in a process of its own, mirrored into the caller's `FakeGraphApi`.

A load generator that also hosts the fake shares one GIL between its event loop and the
fake's request threads; deliveries then wait on the load generator, and the measured
commit-to-delivery time is mostly the harness's own. Here the fake runs in a child
process (`python -m fakes.graph_process`), which writes each message it accepts as one
JSON line on stdout; `GraphProcess` reads them into a local `FakeGraphApi` with
`record`, so everything that reads a `FakeGraphApi` (`sent`, `to`, listeners) works as
before; its read receipts land in `read_marks` the same way. Commands (random failures,
media to serve) go to the child as JSON lines on stdin. Delivery statuses are written
by the local `FakeGraphApi` (`statuses_for`), from the messages mirrored. More business
numbers (a load test's studios) are served with `serve_number`, before or while the
replicas send; a number not served is refused as Graph refuses it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import sys
import threading
from dataclasses import asdict
from typing import Any

from fakes.graph import FakeGraphApi, GraphFailure, SentMessage

__all__ = ["GraphProcess"]

_FAILURES = {
    "server_error": GraphFailure.server_error,
    "unavailable": GraphFailure.unavailable,
    "rate_limited": GraphFailure.rate_limited,
    "response_lost": GraphFailure.response_lost,
}


class GraphProcess:
    """Runs the fake in a child process; its acceptances land in `records`."""

    def __init__(self, records: FakeGraphApi) -> None:
        self.records = records
        self.base_url = ""
        self._child: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pong = asyncio.Event()

    async def start(self) -> None:
        self._child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "fakes.graph_process",
            self.records.phone_number_id,
            self.records.access_token,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**24,
        )
        assert self._child.stdout is not None
        first = json.loads(await self._child.stdout.readline())
        self.base_url = str(first["base_url"])
        self._reader = asyncio.create_task(self._mirror())

    async def _mirror(self) -> None:
        assert self._child is not None
        assert self._child.stdout is not None
        while line := await self._child.stdout.readline():
            data = json.loads(line)
            if "pong" in data:
                self._pong.set()
            elif "read" in data:
                self.records.read_marks.append(data["read"])
            else:
                self.records.record(SentMessage(**data))

    async def fail_randomly(self, rate: float, *kinds: str, seed: int = 0) -> None:
        """Fail a share `rate` of calls with the named failures (see `_FAILURES`)."""
        await self._command({"fail_randomly": {"rate": rate, "kinds": list(kinds), "seed": seed}})

    async def serve_number(self, phone_number_id: str, access_token: str | None = None) -> None:
        """Serve another business number (a studio's), with its own token or the
        deployment's (`FakeGraphApi.serve_number`, here and in the child)."""
        self.records.serve_number(phone_number_id, access_token)
        await self._command({"serve_number": [phone_number_id, access_token]})
        await self.settle()  # served before the caller goes on

    async def add_media(
        self, media_id: str, content: bytes, mime_type: str, *, bad_checksum: bool = False
    ) -> None:
        """Serve a media item a lead will send (`FakeGraphApi.add_media`, in the child)."""
        self.records.add_media(media_id, content, mime_type, bad_checksum=bad_checksum)
        item = {
            "media_id": media_id,
            "content": base64.b64encode(content).decode(),
            "mime_type": mime_type,
            "bad_checksum": bad_checksum,
        }
        await self._command({"add_media": item})

    async def _command(self, command: dict[str, Any]) -> None:
        assert self._child is not None
        assert self._child.stdin is not None
        self._child.stdin.write(json.dumps(command).encode() + b"\n")
        await self._child.stdin.drain()

    async def settle(self) -> None:
        """Wait until every acceptance the child made so far is mirrored (stdout is one
        ordered stream: once the answer to a ping is read, all before it were)."""
        self._pong.clear()
        await self._command({"ping": True})
        async with asyncio.timeout(30):
            await self._pong.wait()

    async def close(self) -> None:
        if self._child is None:
            return
        if self._child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._child.terminate()
            await self._child.wait()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


def _child(phone_number_id: str, access_token: str) -> None:
    fake = FakeGraphApi(phone_number_id=phone_number_id, access_token=access_token)
    out = threading.Lock()

    def report(sent: SentMessage) -> None:
        line = json.dumps(asdict(sent), separators=(",", ":"))
        with out:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    fake.listeners.append(report)
    server = fake.serve()
    reported_reads = 0
    with out:
        sys.stdout.write(json.dumps({"base_url": server.base_url}) + "\n")
        sys.stdout.flush()
    for line in sys.stdin:
        command = json.loads(line)
        if "add_media" in command:
            item = command["add_media"]
            content = base64.b64decode(item["content"])
            fake.add_media(
                item["media_id"], content, item["mime_type"], bad_checksum=item["bad_checksum"]
            )
        if "serve_number" in command:
            fake.serve_number(*command["serve_number"])
        if "fail_randomly" in command:
            spec = command["fail_randomly"]
            failures = [_FAILURES[kind]() for kind in spec["kinds"]]
            fake.fail_randomly(spec["rate"], *failures, seed=spec["seed"])
        if "ping" in command:
            marks = list(fake.read_marks[reported_reads:])  # appended by server threads
            reported_reads += len(marks)
            with out:
                for mark in marks:
                    sys.stdout.write(json.dumps({"read": mark}, separators=(",", ":")) + "\n")
                sys.stdout.write('{"pong": true}\n')
                sys.stdout.flush()
    server.close()


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
