"""
The lead sheet: every lead mirrored into a Google Sheet, one row per lead, via gspread.

An outbox row on channel "sheets" names only the lead (`{"wa_id": ...}`). The row we
write is built from the lead's *current* snapshot, read at delivery: a late or retried
delivery writes the newest state, and every attempt is an idempotent upsert keyed by
the lead's opaque `lead_id` (find the row whose first column is the id, else append).
The Sheet never sees a whole phone number, and values are written RAW so an answer
that starts with "=" stays text instead of becoming a formula.

gspread is synchronous (requests), so it runs in a worker thread. The client is built
once, lazily; the worksheet is kept between deliveries (two metadata reads saved per
delivery against Google's per-minute read quota) and reopened once if a call says it
has gone (renamed or deleted: 400 / 404).

Errors, by what retrying could achieve:
    RetryableDeliveryError   429, 5xx, timeouts, transport errors, token endpoint down,
                             service-account file not there (yet), database away
    PermanentDeliveryError   other 4xx (403 not shared with us, 404 no such sheet),
                             the lead row is gone, malformed credentials or snapshot
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import gspread
import requests
import structlog
from google.auth.exceptions import RefreshError
from google.auth.exceptions import TransportError as TokenTransportError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2.service_account import Credentials
from gspread.exceptions import APIError, GSpreadException, SpreadsheetNotFound, WorksheetNotFound
from gspread.utils import ValueInputOption
from requests.adapters import HTTPAdapter

from actors.copy import Composer
from actors.errors import DeliveryError, PermanentDeliveryError, RetryableDeliveryError
from actors.lead import MirrorLead, phone_of
from actors.lead.answers import latest_answers
from actors.lead.codec import state_from_json
from actors.lead.refunds import asked, paid
from actors.money import Money
from actors.outbox.deadline import Deadline
from actors.outbox.delivery import Delivery
from actors.runtime.masking import mask_phone
from storage import Database, DatabaseUnavailable, LeadRecord

__all__ = ["SHEETS_SCOPES", "SheetsSync", "sheet_header", "sheet_row"]

SHEETS_SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
GOOGLE_SHEETS_BASE = "https://sheets.googleapis.com"
_LEADING = ("lead_id", "status", "name", "number")
_TRAILING = ("deposit", "deposit_asked", "deposit_paid", "deposit_refunded", "updated_at")
_USUAL = Money(5000, "GBP")  # the settings' default deposit
_STALE_WORKSHEET = frozenset({400, 404})  # what a renamed or deleted worksheet answers
# What the Sheets call can raise; gspread turns a 403 / 404 on open into these two.
_PROVIDER_ERRORS = (
    GSpreadException,
    PermissionError,
    requests.RequestException,
    TokenTransportError,
    RefreshError,
)

log = structlog.get_logger("actors.providers.sheets")


@dataclass(frozen=True)
class _Written:
    range: str
    appended: bool


class SheetsSync:
    """The "sheets" channel's deliverer: upserts the lead's current row."""

    def __init__(
        self,
        db: Database,
        composer: Composer,
        *,
        spreadsheet_id: str,
        service_account_file: Path,
        api_base: str | None = None,
        worksheet: str | None = None,
        timeout_s: float = 15.0,
        concurrency: int = 4,
        deposit: Money = _USUAL,
        locale: str = "en_GB",
    ) -> None:
        """
        `api_base` replaces https://sheets.googleapis.com (fakes); `worksheet` is a tab
        title, the first tab when None. A delivery makes up to six calls on a cold start
        (token, 2 x metadata, read, header, write), each up to `timeout_s`: keep that
        under the relay's lease, or a stalled delivery may be claimed twice.
        `concurrency` caps threads in gspread: Google's quota is per minute per service
        account, so more threads only earn more 429s.
        """
        self._db = db
        self._composer = composer
        self._deposit = deposit  # the usual one (DEPOSIT_AMOUNT_MINOR): money is in its currency
        self._locale = locale  # LOCALE: how the money columns are written
        self._spreadsheet_id = spreadsheet_id
        self._service_account_file = service_account_file
        self._api_base = api_base
        self._worksheet_title = worksheet
        self._timeout_s = timeout_s
        self._threads = anyio.CapacityLimiter(concurrency)
        self._lock = threading.Lock()  # guards the client and the worksheet below
        self._session: requests.Session | None = None
        self._client: gspread.Client | None = None
        self._worksheet: gspread.Worksheet | None = None

    async def deliver(self, delivery: Delivery, deadline: Deadline) -> str | None:
        effect = delivery.effect
        if not isinstance(effect, MirrorLead):
            raise PermanentDeliveryError("wrong_channel", type(effect).__name__)
        record = await self._current(effect.wa_id)
        row = sheet_row(record, self._composer, self._deposit, self._locale)
        header = sheet_header(self._composer)
        deadline.check()  # an upsert by lead id is harmless twice, but pointless
        try:
            written = await anyio.to_thread.run_sync(
                self._upsert, header, row, limiter=self._threads
            )
        except _PROVIDER_ERRORS as error:
            raise _classify(error) from error
        log.info(
            "sheets.row_upserted",
            lead_id=str(record.lead_id),
            range=written.range,
            appended=written.appended,
        )
        return written.range

    def close(self) -> None:
        """Release the HTTP connections (at shutdown)."""
        with self._lock:
            if self._session is not None:
                self._session.close()
            self._session = self._client = self._worksheet = None

    async def _current(self, lead_key: str) -> LeadRecord:
        try:
            async with self._db.reads() as unit:
                record = await unit.leads.get(lead_key)
        except DatabaseUnavailable as error:
            raise RetryableDeliveryError("database", str(error)) from error
        if record is None:
            raise PermanentDeliveryError("lead_gone", "no lead row for this outbox row")
        return record

    # -- in the worker thread ----------------------------------------------------------

    def _upsert(self, header: list[str], row: list[str]) -> _Written:
        worksheet, cached = self._open()
        try:
            return _upsert_row(worksheet, header, row)
        except APIError as error:
            if not cached or error.response.status_code not in _STALE_WORKSHEET:
                raise
            self._forget(worksheet)
            log.warning("sheets.worksheet_reopened", status=error.response.status_code)
            return _upsert_row(self._open()[0], header, row)

    def _open(self) -> tuple[gspread.Worksheet, bool]:
        """The worksheet, and whether it was kept from an earlier delivery."""
        with self._lock:
            if self._worksheet is not None:
                return self._worksheet, True
            spreadsheet = self._gspread().open_by_key(self._spreadsheet_id)
            if self._worksheet_title is None:
                self._worksheet = spreadsheet.sheet1
            else:
                self._worksheet = spreadsheet.worksheet(self._worksheet_title)
            return self._worksheet, False

    def _forget(self, worksheet: gspread.Worksheet) -> None:
        with self._lock:
            if self._worksheet is worksheet:
                self._worksheet = None

    def _gspread(self) -> gspread.Client:
        """Built once; the OAuth token is fetched (and refreshed) by the session itself."""
        if self._client is None:
            session = AuthorizedSession(self._credentials())  # type: ignore[no-untyped-call]
            if self._api_base is not None:
                session.mount(GOOGLE_SHEETS_BASE, _RebasingAdapter(self._api_base))
            client = gspread.Client(auth=session.credentials, session=session)
            client.set_timeout(self._timeout_s)
            self._session, self._client = session, client
        return self._client

    def _credentials(self) -> Credentials:
        try:
            credentials: Credentials = Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                str(self._service_account_file), scopes=list(SHEETS_SCOPES)
            )
        except OSError as error:  # not mounted yet, perhaps: worth waiting for
            raise RetryableDeliveryError("not_configured", type(error).__name__) from error
        except (ValueError, KeyError) as error:
            raise PermanentDeliveryError("credentials", type(error).__name__) from error
        return credentials


class _RebasingAdapter(HTTPAdapter):
    """Sends what gspread addresses to Google's Sheets host to `api_base` instead."""

    def __init__(self, api_base: str) -> None:
        super().__init__()
        self._base = api_base.rstrip("/")

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        if request.url and request.url.startswith(GOOGLE_SHEETS_BASE):
            request.url = self._base + request.url.removeprefix(GOOGLE_SHEETS_BASE)
        return super().send(request, *args, **kwargs)


# -- the row -------------------------------------------------------------------------


def sheet_header(composer: Composer) -> list[str]:
    """Fixed columns around one column per question, labelled as the lead sees it."""
    return [*_LEADING, *composer.question_labels().values(), *_TRAILING]


def sheet_row(
    record: LeadRecord, composer: Composer, usual: Money = _USUAL, locale: str = "en_GB"
) -> list[str]:
    """The lead's row, from its current snapshot; latest answer per question wins; the
    deposit asked, paid and refunded in money words ("£80.00"), empty when none."""
    try:
        state = state_from_json(record.state)
    except (KeyError, ValueError, TypeError) as error:
        raise PermanentDeliveryError("bad_snapshot", type(error).__name__) from error
    latest = latest_answers(state.answers)
    answers = [
        composer.answer_value(key, latest[key].value) if key in latest else ""
        for key in composer.question_labels()
    ]
    return [
        str(record.lead_id),
        record.status,
        state.name or "",
        mask_phone(phone_of(state) or state.user_id or ""),  # never whole; a BSUID like one
        *answers,
        state.deposit.value,
        *(_words(m, locale) for m in (asked(state, usual), paid(state, usual))),
        _words(Money(state.refunded_amount, usual.currency), locale),
        _iso_utc(record.updated_at),
    ]


def _words(money: Money | None, locale: str) -> str:
    return "" if money is None or not money.minor else money.format(locale)


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _upsert_row(worksheet: gspread.Worksheet, header: list[str], row: list[str]) -> _Written:
    """Header first (when missing or out of date), then update the lead's row or append."""
    first_column, first_row = worksheet.batch_get(["A:A", "1:1"])
    if list(first_row[0] if first_row else []) != header:
        if first_row:
            log.warning("sheets.header_rewritten")
        worksheet.update([header], "A1", value_input_option=ValueInputOption.raw)
    ids = [cells[0] if cells else "" for cells in first_column]
    if row[0] in ids[1:]:
        line = ids.index(row[0], 1) + 1
        reply = worksheet.update([row], f"A{line}", value_input_option=ValueInputOption.raw)
        return _Written(str(reply.get("updatedRange", f"A{line}")), appended=False)
    reply = worksheet.append_row(row, value_input_option=ValueInputOption.raw, table_range="A1")
    return _Written(str(reply.get("updates", {}).get("updatedRange", "")), appended=True)


# -- errors --------------------------------------------------------------------------


def _classify(error: Exception) -> DeliveryError:
    if isinstance(error, PermissionError | SpreadsheetNotFound) and isinstance(
        error.__cause__, APIError
    ):
        error = error.__cause__  # gspread's open_by_key hides the status behind these
    if isinstance(error, APIError):
        return _from_status(error.response.status_code, str(error.error.get("message", "")))
    if isinstance(error, WorksheetNotFound):
        return PermanentDeliveryError("sheets_worksheet", "no such worksheet")
    if isinstance(error, requests.Timeout):
        return RetryableDeliveryError("timeout", type(error).__name__)
    if isinstance(error, requests.RequestException):
        return RetryableDeliveryError("transport", type(error).__name__)
    if isinstance(error, TokenTransportError):
        return RetryableDeliveryError("token_unreachable", type(error).__name__)
    if isinstance(error, RefreshError):
        kind = RetryableDeliveryError if error.retryable else PermanentDeliveryError
        return kind("token_refused", type(error).__name__)
    return RetryableDeliveryError("sheets_error", type(error).__name__)


def _from_status(status: int, message: str) -> DeliveryError:
    code, detail = f"sheets_{status}", message[:200]
    if status == 429 or status >= 500:
        return RetryableDeliveryError(code, detail)
    return PermanentDeliveryError(code, detail)
