"""
A fake Google Sheets API v4 and OAuth token endpoint, on a real threaded HTTP server.

It speaks the JSON gspread actually sends and reads: spreadsheets.get (metadata),
values.get, values.batchGet, values.update, values.append and values.batchUpdate, with
A1 ranges, and `POST /token` for the service account's JWT-bearer grant. Grids live in
memory per spreadsheet and worksheet. Sheets calls need a bearer token this fake issued
(else 401, which google-auth answers by fetching a new token). Every request is
recorded; failures (`fail_next`) and stalls (`stall_next`) are scripted per call,
optionally only for calls whose path contains a given text (`on=":append"`).

One core (`FakeSheets.handle`) and one front end (`SheetsServer`), as in graph.py.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fakes.local_http import LocalHTTPServer

__all__ = ["JWT_BEARER", "SHEETS_SCOPE", "FakeSheets", "SheetsRequest", "SheetsServer"]

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
_PREFIX = "/v4/spreadsheets/"
_GRID_ROWS = 1000
_GRID_COLUMNS = 26
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_BOUND = re.compile(r"^([A-Za-z]*)(\d*)$")

Grid = list[list[str]]
Reply = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class SheetsRequest:
    """One request as the fake saw it: path without the query, and the query."""

    method: str
    path: str
    query: dict[str, list[str]]
    status: int


@dataclass(frozen=True)
class _Scripted:
    """A failure (status) or a stall (seconds) for the next call whose path has `on`."""

    on: str | None
    status: int = 0
    seconds: float = 0.0

    def matches(self, path: str) -> bool:
        return self.on is None or self.on in path


@dataclass(frozen=True)
class _Range:
    """An A1 range, 1-based and inclusive; `None` for an open end (A:A, 1:1)."""

    sheet: str
    top: int
    left: int
    bottom: int | None
    right: int | None


@dataclass
class FakeSheets:
    """The core: grids, tokens, scripting. `public_key_pem` turns on JWT signature checks."""

    spreadsheet_id: str = "1FakeSpreadsheetId"
    worksheets: tuple[str, ...] = ("Leads",)
    public_key_pem: bytes | None = None
    requests: list[SheetsRequest] = field(default_factory=list)
    token_grants: int = 0
    _grids: dict[tuple[str, str], Grid] = field(default_factory=dict)
    _scripted: deque[_Scripted] = field(default_factory=deque)
    _tokens: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.add_spreadsheet(self.spreadsheet_id, *self.worksheets)

    # -- scripting and inspection ----------------------------------------------------

    def add_spreadsheet(self, spreadsheet_id: str, *worksheets: str) -> None:
        with self._lock:
            for title in worksheets:
                self._grids.setdefault((spreadsheet_id, title), [])

    def rename_worksheet(self, old: str, new: str) -> None:
        """What an operator renaming the tab does: same grid and position, new title."""
        with self._lock:
            self._grids = {
                (sid, new if (sid, title) == (self.spreadsheet_id, old) else title): grid
                for (sid, title), grid in self._grids.items()
            }

    def fail_next(self, status: int, count: int = 1, *, on: str | None = None) -> None:
        """The next `count` Sheets calls (whose path contains `on`) answer `status`."""
        with self._lock:
            self._scripted.extend([_Scripted(on, status=status)] * count)

    def stall_next(self, seconds: float, count: int = 1, *, on: str | None = None) -> None:
        """The next `count` matching calls are carried out, then answered `seconds` late."""
        with self._lock:
            self._scripted.extend([_Scripted(on, seconds=seconds)] * count)

    def revoke_tokens(self) -> None:
        """Every issued access token stops working, as when one expires."""
        with self._lock:
            self._tokens.clear()

    def rows(self, worksheet: str | None = None, spreadsheet_id: str | None = None) -> Grid:
        """A copy of a worksheet's grid, trailing empty cells and rows dropped."""
        key = (spreadsheet_id or self.spreadsheet_id, worksheet or self.worksheets[0])
        with self._lock:
            return _trimmed([list(row) for row in self._grids[key]])

    def calls(self, method: str | None = None, contains: str = "") -> list[SheetsRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and contains in r.path
            ]

    # -- the core --------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any], float]:
        """Answer one request: (status, JSON body, seconds to wait before answering)."""
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        with self._lock:
            stall = 0.0
            if parts.path == "/token":
                status, payload = self._token(method, headers, body)
            else:
                status, payload, stall = self._sheets(method, parts.path, query, headers, body)
            self.requests.append(SheetsRequest(method, unquote(parts.path), query, status))
            return status, payload, stall

    def _token(self, method: str, headers: dict[str, str], body: bytes) -> Reply:
        if method != "POST":
            return 405, {"error": "invalid_request"}
        if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return 400, {"error": "invalid_request", "error_description": "form body expected"}
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != JWT_BEARER or not form.get("assertion"):
            return 400, {"error": "unsupported_grant_type"}
        problem = self._assertion_problem(form["assertion"])
        if problem:
            return 400, {"error": "invalid_grant", "error_description": problem}
        self.token_grants += 1
        token = f"ya29.fake-{next(self._ids)}"
        self._tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def _assertion_problem(self, assertion: str) -> str | None:
        """Why Google would refuse this signed JWT, or None."""
        try:
            header_b64, claims_b64, signature_b64 = assertion.split(".")
            header = json.loads(_b64decode(header_b64))
            claims = json.loads(_b64decode(claims_b64))
            signature = _b64decode(signature_b64)
        except ValueError:
            return "malformed JWT"
        if header.get("alg") != "RS256":
            return "JWT must be RS256"
        if not claims.get("iss") or not str(claims.get("aud", "")).endswith("/token"):
            return "JWT lacks iss or aud"
        if SHEETS_SCOPE not in str(claims.get("scope", "")).split():
            return "JWT lacks the spreadsheets scope"
        if int(claims.get("exp", 0)) < time.time():
            return "JWT expired"
        if self.public_key_pem is not None:
            signed = f"{header_b64}.{claims_b64}".encode()
            if not _signature_valid(self.public_key_pem, signed, signature):
                return "Invalid JWT Signature."
        return None

    def _sheets(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, Any], float]:
        authorization = headers.get("authorization", "")
        if authorization.removeprefix("Bearer ") not in self._tokens:
            return 401, _error(401, "Request had invalid authentication credentials."), 0.0
        scripted = self._take_scripted(unquote(path))
        if scripted is not None and scripted.status:
            return scripted.status, _error(scripted.status, "scripted failure"), 0.0
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            return 400, _error(400, "Invalid JSON payload received."), 0.0
        status, reply = self._route(method, path, query, payload)
        return status, reply, scripted.seconds if scripted is not None else 0.0

    def _take_scripted(self, path: str) -> _Scripted | None:
        for scripted in self._scripted:
            if scripted.matches(path):
                self._scripted.remove(scripted)
                return scripted
        return None

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: dict[str, Any]
    ) -> Reply:
        if not path.startswith(_PREFIX):
            return 404, _error(404, f"Unknown path {path}")
        spreadsheet_id, _, rest = path.removeprefix(_PREFIX).partition("/")
        spreadsheet_id, colon, _ = spreadsheet_id.partition(":")
        if not self._titles(spreadsheet_id):
            return 404, _error(404, "Requested entity was not found.")
        if not rest and not colon and method == "GET":
            return 200, self._metadata(spreadsheet_id)
        if rest == "values:batchGet" and method == "GET":
            return self._batch_get(spreadsheet_id, query.get("ranges", []))
        if rest == "values:batchUpdate" and method == "POST":
            return self._batch_update(spreadsheet_id, body)
        if rest.startswith("values/"):
            return self._values(method, spreadsheet_id, rest.removeprefix("values/"), query, body)
        return 404, _error(404, f"Method not found: {method} {path}")

    def _values(
        self,
        method: str,
        spreadsheet_id: str,
        raw_range: str,
        query: dict[str, list[str]],
        body: dict[str, Any],
    ) -> Reply:
        verb = ""
        if raw_range.endswith((":append", ":clear")):
            raw_range, _, verb = raw_range.rpartition(":")
        a1 = unquote(raw_range)
        cells = self._parse(spreadsheet_id, a1)
        if cells is None:
            return 400, _error(400, f"Unable to parse range: {a1}")
        if method == "GET" and not verb:
            return 200, self._read(spreadsheet_id, cells)
        if "valueInputOption" not in query and verb != "clear":
            return 400, _error(400, "'valueInputOption' is required but not specified")
        values = body.get("values", [])
        if method == "PUT" and not verb:
            return 200, self._write(spreadsheet_id, cells, values)
        if method == "POST" and verb == "append":
            return 200, self._append(spreadsheet_id, cells, values)
        return 404, _error(404, f"Method not found: {method} values/{a1}:{verb}")

    # -- Sheets operations (called with the lock held) ---------------------------------

    def _titles(self, spreadsheet_id: str) -> list[str]:
        return [title for sid, title in self._grids if sid == spreadsheet_id]

    def _metadata(self, spreadsheet_id: str) -> dict[str, Any]:
        sheets = [
            {
                "properties": {
                    "sheetId": index,
                    "title": title,
                    "index": index,
                    "sheetType": "GRID",
                    "gridProperties": {
                        "rowCount": max(_GRID_ROWS, len(self._grids[(spreadsheet_id, title)])),
                        "columnCount": _GRID_COLUMNS,
                    },
                }
            }
            for index, title in enumerate(self._titles(spreadsheet_id))
        ]
        return {
            "spreadsheetId": spreadsheet_id,
            "properties": {"title": "Leads", "locale": "en_GB", "timeZone": "Europe/London"},
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{spreadsheet_id}/edit",
        }

    def _parse(self, spreadsheet_id: str, a1: str) -> _Range | None:
        return _parse_range(a1, self._titles(spreadsheet_id))

    def _read(self, spreadsheet_id: str, cells: _Range) -> dict[str, Any]:
        grid = self._grids[(spreadsheet_id, cells.sheet)]
        bottom = min(cells.bottom or len(grid), len(grid))
        rows = [
            row[cells.left - 1 : cells.right] if cells.right else row[cells.left - 1 :]
            for row in grid[cells.top - 1 : bottom]
        ]
        shown = _a1(
            cells.sheet,
            cells.top,
            cells.left,
            cells.bottom or max(_GRID_ROWS, len(grid)),
            cells.right or _GRID_COLUMNS,
        )
        reply: dict[str, Any] = {"range": shown, "majorDimension": "ROWS"}
        values = _trimmed(rows)
        if values:
            reply["values"] = values
        return reply

    def _batch_get(self, spreadsheet_id: str, ranges: list[str]) -> Reply:
        parsed = [self._parse(spreadsheet_id, a1) for a1 in ranges]
        if not ranges or any(cells is None for cells in parsed):
            return 400, _error(400, f"Unable to parse range: {ranges}")
        value_ranges = [self._read(spreadsheet_id, c) for c in parsed if c is not None]
        return 200, {"spreadsheetId": spreadsheet_id, "valueRanges": value_ranges}

    def _write(self, spreadsheet_id: str, cells: _Range, values: list[list[Any]]) -> dict[str, Any]:
        grid = self._grids[(spreadsheet_id, cells.sheet)]
        for r, row in enumerate(values):
            for c, value in enumerate(row):
                _put(grid, cells.top + r, cells.left + c, _cell(value))
        width = max((len(row) for row in values), default=0)
        return {
            "spreadsheetId": spreadsheet_id,
            "updatedRange": _a1(
                cells.sheet,
                cells.top,
                cells.left,
                cells.top + len(values) - 1,
                cells.left + width - 1,
            ),
            "updatedRows": len(values),
            "updatedColumns": width,
            "updatedCells": sum(len(row) for row in values),
        }

    def _append(
        self, spreadsheet_id: str, cells: _Range, values: list[list[Any]]
    ) -> dict[str, Any]:
        """Like Google: find the table that starts at the range, write after its last row."""
        grid = self._grids[(spreadsheet_id, cells.sheet)]
        end = cells.top
        while end <= len(grid) and any(grid[end - 1]):
            end += 1
        reply: dict[str, Any] = {"spreadsheetId": spreadsheet_id}
        if end > cells.top:
            width = max(len(row) for row in grid[cells.top - 1 : end - 1])
            reply["tableRange"] = _a1(cells.sheet, cells.top, cells.left, end - 1, width)
        reply["updates"] = self._write(
            spreadsheet_id, _Range(cells.sheet, end, cells.left, None, None), values
        )
        return reply

    def _batch_update(self, spreadsheet_id: str, body: dict[str, Any]) -> Reply:
        if "valueInputOption" not in body:
            return 400, _error(400, "'valueInputOption' is required but not specified")
        parsed = [(self._parse(spreadsheet_id, d["range"]), d["values"]) for d in body["data"]]
        if any(cells is None for cells, _ in parsed):
            return 400, _error(400, "Unable to parse range")
        responses = [self._write(spreadsheet_id, c, v) for c, v in parsed if c is not None]
        return 200, {
            "spreadsheetId": spreadsheet_id,
            "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
            "responses": responses,
        }

    # -- front end -------------------------------------------------------------------

    def serve(self) -> SheetsServer:
        """Start a real HTTP server on 127.0.0.1; stop it with `.close()`."""
        return SheetsServer(self)


# -- A1 notation ---------------------------------------------------------------------


def _parse_range(a1: str, titles: list[str]) -> _Range | None:
    """`'Leads'!A1:K1`, `Leads!A:A`, `1:1`, `A5`, or a bare sheet title."""
    sheet, cells = _split_sheet(a1)
    if sheet is None:
        sheet, cells = (titles[0], a1) if _is_cells(a1) else (a1, "")
    if sheet not in titles:
        return None
    if not cells:
        return _Range(sheet, 1, 1, None, None)
    start, _, end = cells.partition(":")
    first, last = _BOUND.match(start), _BOUND.match(end or start)
    if not start or first is None or last is None:
        return None
    (col1, row1), (col2, row2) = first.groups(), last.groups()
    return _Range(
        sheet,
        top=int(row1) if row1 else 1,
        left=_column(col1) if col1 else 1,
        bottom=int(row2) if row2 else None,
        right=_column(col2) if col2 else None,
    )


def _split_sheet(a1: str) -> tuple[str | None, str]:
    if a1.startswith("'"):
        chars, i = [], 1
        while i < len(a1):
            if a1[i] == "'" and a1[i + 1 : i + 2] == "'":
                chars.append("'")
                i += 2
            elif a1[i] == "'":
                return "".join(chars), a1[i + 1 :].removeprefix("!")
            else:
                chars.append(a1[i])
                i += 1
        return None, a1
    if "!" in a1:
        title, _, cells = a1.partition("!")
        return title, cells
    return None, a1


def _is_cells(text: str) -> bool:
    return all(part and _BOUND.match(part) for part in text.split(":", 1))


def _column(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _letters(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _a1(sheet: str, top: int, left: int, bottom: int, right: int) -> str:
    title = sheet if sheet.isalnum() else "'" + sheet.replace("'", "''") + "'"
    return f"{title}!{_letters(left)}{top}:{_letters(right)}{bottom}"


# -- grids ---------------------------------------------------------------------------


def _put(grid: Grid, row: int, column: int, value: str) -> None:
    while len(grid) < row:
        grid.append([])
    cells = grid[row - 1]
    while len(cells) < column:
        cells.append("")
    cells[column - 1] = value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def _trimmed(rows: Grid) -> Grid:
    """As Google answers: no trailing empty cells in a row, no trailing empty rows."""
    out = [list(row) for row in rows]
    for row in out:
        while row and row[-1] == "":
            row.pop()
    while out and not out[-1]:
        out.pop()
    return out


def _error(status: int, message: str) -> dict[str, Any]:
    """Google's error envelope."""
    return {
        "error": {
            "code": status,
            "message": message,
            "status": _STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _signature_valid(public_key_pem: bytes, signed: bytes, signature: bytes) -> bool:
    key = serialization.load_pem_public_key(public_key_pem)
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


# -- the HTTP server -----------------------------------------------------------------


class SheetsServer:
    """The fake on 127.0.0.1: `base_url` replaces https://sheets.googleapis.com."""

    def __init__(self, fake: FakeSheets) -> None:
        self.fake = fake
        closing = self._closing = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def do_PUT(self) -> None:
                self._answer("PUT")

            def _answer(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, payload, stall = fake.handle(method, self.path, headers, body)
                if stall and closing.wait(stall):
                    self.close_connection = True
                    return
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json; charset=UTF-8")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting (a stall): nothing to tell
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._http = LocalHTTPServer(Handler)

    @property
    def base_url(self) -> str:
        return self._http.base_url

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    def close(self) -> None:
        self._closing.set()
        self._http.close()

    def __enter__(self) -> SheetsServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
