"""
A fake calendar host: serves one ICS file at a secret address, the way Google
Calendar's "Secret address in iCal format" and iCloud's public calendar links do
(`GET` answers `text/calendar`; a wrong path answers 404).

Tests swap the file (`publish`), make the host fail (`fail_with(status)`, or `hang_up`
to close connections unanswered), and count the fetches (`fetches`).
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

from fakes.local_http import LocalHTTPServer

__all__ = ["CalendarHost"]


class CalendarHost:
    def __init__(self, ics: bytes = b"") -> None:
        owner, token = secrets.token_hex(8), secrets.token_hex(16)
        self.path = f"/calendar/ical/{owner}%40group/private-{token}/basic.ics"
        self._ics = ics
        self._status = 200
        self._hang_up = False
        self._lock = threading.Lock()
        self.fetches = 0
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with host._lock:
                    host.fetches += 1
                    status, ics, hang_up = host._status, host._ics, host._hang_up
                if hang_up:
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if self.path != host.path:
                    status, ics = 404, b"Not Found"
                body = ics if status == 200 else b"<html>error</html>"
                self.send_response(status)
                content_type = "text/calendar; charset=UTF-8" if status == 200 else "text/html"
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._http = LocalHTTPServer(Handler)

    @property
    def url(self) -> str:
        """The secret address, as the artist copies it from the calendar's settings."""
        return self._http.base_url + self.path

    def publish(self, ics: bytes) -> None:
        with self._lock:
            self._ics, self._status, self._hang_up = ics, 200, False

    def fail_with(self, status: int) -> None:
        with self._lock:
            self._status, self._hang_up = status, False

    def hang_up(self) -> None:
        with self._lock:
            self._hang_up = True

    def close(self) -> None:
        self._http.close()
