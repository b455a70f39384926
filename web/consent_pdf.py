"""
A lead's consent record as a PDF, rendered with fpdf2 (a well-kept, pure-Python PDF
library: no system packages needed). Rendering only: the record is the kept one, as the
studio page shows it, with its SHA-256; nothing here decides anything.

Text is set in DejaVu Sans when the system has it (every script a name may be written
in), else in the PDF core font Helvetica, which holds Latin-1 only (other characters
are shown as "?").

Its labels are the studio page's words, in the studio's LOCALE (the page's catalog,
web/translations; docs/translating.md): rendered inside the request that asks for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fpdf import FPDF

from actors.queries import ConsentShown
from web.page_language import gettext as _

__all__ = ["consent_pdf"]

_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)
_LINE = 6  # mm


def consent_pdf(shown: ConsentShown, studio: str) -> bytes:
    """The record, one labelled line per field, the answers and the statement in full."""
    record: Mapping[str, Any] = shown.record or {}
    pdf = FPDF(format="A4")
    title = _("Consent record")
    pdf.set_title(f"{title}: {record.get('name') or record.get('lead') or ''}")
    pdf.set_creator(studio)
    font = _font(pdf)
    pdf.add_page()
    pdf.set_font(font, size=16)
    _para(pdf, font, f"{studio}: {title}")
    pdf.set_font(font, size=10)
    appointment = record.get("appointment") or {}
    rows = [
        (_("Status"), _status(shown.status)),
        (_("Lead"), f"{record.get('name') or ''} (+{record.get('lead') or ''})"),
        (
            _("Appointment"),
            _("%(start)s to %(end)s")
            % {"start": appointment.get("start", ""), "end": appointment.get("end", "")},
        ),
        (
            _("Date of birth"),
            _("%(date)s (age %(age)s)")
            % {"date": record.get("date_of_birth") or "", "age": record.get("age")},
        ),
        (_("Parent or guardian"), record.get("guardian") or _("none")),
        (_("Consent version"), record.get("consent_version") or ""),
        (_("Asked at"), record.get("asked_at") or ""),
        (_("Agreed at"), record.get("agreed_at") or _("not agreed")),
        (_("Kept until"), record.get("retain_until") or ""),
    ]
    photo = record.get("id_photo")
    if isinstance(photo, Mapping):
        rows.append((_("ID photo"), f"{photo.get('media_id')} (sha256 {photo.get('sha256')})"))
    for label, value in rows:
        _para(pdf, font, f"{label}: {value}")
    pdf.ln(_LINE / 2)
    pdf.set_font(font, size=12)
    _para(pdf, font, _("Health questions"))
    pdf.set_font(font, size=10)
    for answer in record.get("health") or []:
        details = f" ({answer.get('details')})" if answer.get("details") else ""
        said = _("Yes") if answer.get("answer") == "yes" else _("No")
        _para(pdf, font, f"{answer.get('question')}  {said}{details}")
    if record.get("consent_text"):
        pdf.ln(_LINE / 2)
        pdf.set_font(font, size=12)
        _para(pdf, font, _("The statement agreed to"))
        pdf.set_font(font, size=10)
        _para(pdf, font, str(record["consent_text"]))
        label = _("Statement SHA-256")
        _para(pdf, font, f"{label}: {record.get('consent_text_sha256')}")
    pdf.ln(_LINE / 2)
    pdf.set_font(font, size=12)
    _para(pdf, font, _("Messages"))
    pdf.set_font(font, size=8)
    for message in record.get("messages") or []:
        line = (
            f"{message.get('at')}  {message.get('direction')}  {message.get('step')}  "
            f"{message.get('id') or ''}"
        )
        _para(pdf, font, line)
    pdf.ln(_LINE / 2)
    pdf.set_font(font, size=9)
    label = _("Record SHA-256")
    _para(pdf, font, f"{label}: {shown.sha256 or ''}")
    return bytes(pdf.output())


def _status(status: str | None) -> str:
    words = {
        "complete": _("complete"),
        "missing": _("missing"),
        "refused_minor": _("refused: under the minimum age"),
        "deleted": _("deleted"),
    }
    return words.get(status or "", status or "")


def _font(pdf: FPDF) -> str:
    for path in _FONTS:
        if path.is_file():
            pdf.add_font("DejaVu", fname=str(path))
            return "DejaVu"
    return "Helvetica"


def _para(pdf: FPDF, font: str, text: str) -> None:
    if font == "Helvetica":
        text = text.encode("latin-1", "replace").decode("latin-1")
    pdf.multi_cell(0, _LINE, text, new_x="LMARGIN", new_y="NEXT")
