"""The one HTTP server the fakes run their handlers on: real sockets on loopback, a thread."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["LocalHTTPServer"]


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (a killed service, a timeout) is not worth a traceback."""

    # A relay opens up to its concurrency (32) connections at once; the default backlog
    # of 5 drops the rest's SYNs, and each waits a second for its retransmission.
    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class LocalHTTPServer:
    """Serve `handler` on 127.0.0.1 (`port` 0: any free port) until `close`."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        self._server = _QuietServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
