"""
The studio page, `/studio/`: the artist's view of every lead, in a phone's browser.

Server-rendered HTML (Jinja2 templates in web/templates/studio/, one stylesheet and a
few lines of script for live refresh in web/static/); every action is a plain form, so
the page works without JavaScript. Routes verify (session, CSRF), parse, call
`actors.queries.studio_page` / `actors.page.access`, and render: no rule of the conversation here.

    GET  /studio/login             the sign-in page (link to WhatsApp, or the password)
    POST /studio/login/link        send a one-time link to the artist's WhatsApp
    GET  /studio/login/<token>     a link's page: one button that spends it
    POST /studio/login/<token>     spend it, start a session
    POST /studio/login/password    STUDIO_PASSWORD; 429 over the limit (actors.page.limits)
    POST /studio/logout            revoke this session
    POST /studio/logout/everywhere revoke every session, this one included
    GET  /studio/                  the board (?q= searches number, name and answers)
    GET  /studio/leads/<lead id>   one lead's file and the actions
    POST /studio/leads/<lead id>/act   an action, through the lead's actor
    POST /studio/leads/<lead id>/reply the artist's words to the lead, through its actor
    POST /studio/leads/<lead id>/send-file a picture or PDF to the lead (web/studio_upload.py);
                                   with `as_design=yes`, a picture as a design to approve
    POST /studio/leads/<lead id>/design    a design (`design`, a picture; `note`) to approve
    GET  /studio/agenda, POST /studio/time-off[/<id>/delete], POST /studio/leads/<id>/set-time
                                   the day and week, time off, a time set (web/studio_agenda.py)
    GET  /studio/media/<row>       a picture or file the lead sent (web/studio_media.py)

Every POST carries the form field `csrf`; one without a valid token gets 403. Dates and
times are written by the filters of web/studio_times.py: the studio's clock, LOCALE's words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

import structlog
from quart import Blueprint, Response, ResponseReturnValue, g, redirect, render_template, request

from actors import TurnOutcome
from actors.commands import (
    ActOnLead,
    ReplyToLead,
    RequestSignInLink,
    SendFileToLead,
    SignInWithLink,
    SignInWithPassword,
    SignOut,
    SignOutEverywhere,
)
from actors.lead import ArtistAction, MediaKind
from actors.money import MoneyError, parse_money
from actors.page import LinkSent, PasswordTried
from actors.queries import Board, ConsentShown
from web.clean_fields import fields_unusable
from web.consent_pdf import consent_pdf
from web.page_language import gettext as _
from web.page_language import money_problem
from web.request_ids import correlation_id
from web.security_headers import SCRIPT_INTEGRITY
from web.services import Services, services
from web.studio_agenda import install as install_agenda
from web.studio_agenda import session_minutes
from web.studio_confirm import ASK_FIRST, confirmation
from web.studio_media import media_response
from web.studio_session import SESSION_COOKIE, VISIT_COOKIE, Cookies, client_address
from web.studio_times import install as install_time_filters
from web.studio_upload import checked_upload

__all__ = ["blueprint"]

log = structlog.get_logger("web.studio")

blueprint = Blueprint(
    "studio",
    __name__,
    url_prefix="/studio",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
install_time_filters(blueprint)

_MAX_REPLY = 4000  # WhatsApp takes 4,096 characters in a text message
_MAX_CAPTION = 1000  # Meta takes 1,024 characters in a media item's caption
_MAX_NOTE = 900  # a design's note, in the body of its message (1,024 with the copy's words)

_OPEN = frozenset({"studio.static", "studio.manifest"})  # web/manifest.py
_PUBLIC = frozenset(
    {"studio.login", "studio.send_link", "studio.link", "studio.use_link", "studio.password"}
)


@dataclass
class _Visitor:
    """Who is asking: a live session's id, or the anonymous visit value (and if it is new)."""

    session_id: str | None
    visit_id: str | None
    new_visit: bool = False

    @property
    def anchor(self) -> str | None:
        return self.session_id or self.visit_id


def _cookies(found: Services) -> Cookies:
    return Cookies(found.studio_key, trust_proxy_headers=found.settings.trust_proxy_headers)


@blueprint.before_request
async def _gate() -> ResponseReturnValue | None:
    """Sign-in pages are open; everything else needs a live session. POSTs need CSRF."""
    if request.endpoint in _OPEN:
        return None  # the stylesheet, script, icons, manifest: nothing to guard, no read
    found = services()
    cookies = _cookies(found)
    session_id = cookies.session_id()
    if session_id is not None and not await found.sign_in.session_live(session_id):
        session_id = None
    visitor = _Visitor(session_id, cookies.visit_id())
    if visitor.anchor is None:
        visitor.visit_id, visitor.new_visit = cookies.new_visit_id(), True
    g.studio_visitor = visitor
    if await fields_unusable():  # before the form's token, a lead or a search is read
        log.warning("studio.unusable_text", endpoint=request.endpoint)
        return await _page("problem.html", 422, problem="text")
    if request.method == "POST":
        form = await request.form
        if not cookies.csrf_valid(visitor.anchor, form.get("csrf")):
            log.warning("studio.csrf_refused", endpoint=request.endpoint)
            return await _page("problem.html", 403, problem="csrf")
    if session_id is None and request.endpoint not in _PUBLIC:
        return redirect(request.root_path + "/studio/login", 303)
    return None


@blueprint.after_request
async def _remember_visit(response: Response) -> Response:
    visitor = g.get("studio_visitor")
    if isinstance(visitor, _Visitor) and visitor.new_visit and visitor.visit_id:
        _cookies(services()).set(response, VISIT_COOKIE, visitor.visit_id)
    # no-store and the CSP: web.security_headers, on every /studio/ answer
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"  # a sign-in link never leaks onward
    return response


async def _page(template: str, status: int = 200, **context: object) -> Response:
    visitor: _Visitor = g.studio_visitor
    found = services()
    html = await render_template(
        f"studio/{template}",
        csrf=_cookies(found).csrf_token(visitor.anchor) if visitor.anchor else "",
        signed_in=visitor.session_id is not None,
        wall_clock=found.queries.page.wall_clock,
        script_integrity=SCRIPT_INTEGRITY,
        **context,
    )
    return Response(html, status, content_type="text/html; charset=utf-8")


# -- signing in and out ----------------------------------------------------------------


@blueprint.get("/login")
async def login() -> ResponseReturnValue:
    if g.studio_visitor.session_id is not None:
        return redirect(request.root_path + "/studio/", 303)
    return await _login_page()


async def _login_page(status: int = 200, **context: object) -> Response:
    found = services()
    return await _page(
        "login.html",
        status,
        can_send_link=found.sign_in.can_send_links(),
        has_password=bool(found.sign_in.password),
        **context,
    )


@blueprint.post("/login/link")
async def send_link() -> ResponseReturnValue:
    address = client_address(services().settings.trust_proxy_headers)
    asked = await services().actors.handle(RequestSignInLink(correlation_id(), address))
    if asked.sent is LinkSent.NOT_CONFIGURED:
        return await _login_page(409, problem="link_not_configured")
    if asked.sent is LinkSent.TOO_MANY:
        log.warning("studio.links_limited")
        response = await _login_page(429, problem="too_many_links")
        response.headers["Retry-After"] = str(asked.retry_after_s)
        return response
    log.info("studio.link_sent")
    return await _page("link_sent.html")


@blueprint.get("/login/<token>")
async def link(token: str) -> ResponseReturnValue:
    if not await services().sign_in.link_usable(token):
        return await _page("problem.html", 410, problem="link_spent")
    return await _page("link.html", token=token)


@blueprint.post("/login/<token>")
async def use_link(token: str) -> ResponseReturnValue:
    session_id = await services().actors.handle(SignInWithLink(token))
    if session_id is None:
        log.info("studio.link_refused")
        return await _page("problem.html", 410, problem="link_spent")
    log.info("studio.signed_in", way="link")
    return _signed_in(session_id)


@blueprint.post("/login/password")
async def password() -> ResponseReturnValue:
    found = services()
    form = await request.form
    address = client_address(found.settings.trust_proxy_headers)
    presented = form.get("password", "")
    answer = await found.actors.handle(SignInWithPassword(presented, address))
    if answer.tried is PasswordTried.TOO_MANY:
        log.warning("studio.password_locked")
        response = await _login_page(429, problem="too_many")
        response.headers["Retry-After"] = str(answer.retry_after_s)
        return response
    if answer.tried is PasswordTried.NOT_CONFIGURED:
        return await _login_page(409, problem="password_not_configured")
    if answer.session_id is None:
        log.info("studio.password_wrong")
        return await _login_page(401, problem="wrong_password")
    log.info("studio.signed_in", way="password")
    return _signed_in(answer.session_id)


def _signed_in(session_id: str) -> ResponseReturnValue:
    response = redirect(request.root_path + "/studio/", 303)
    cookies = _cookies(services())
    cookies.set(response, SESSION_COOKIE, session_id)
    cookies.clear(response, VISIT_COOKIE)
    g.studio_visitor.new_visit = False
    return response


@blueprint.post("/logout")
async def logout() -> ResponseReturnValue:
    visitor: _Visitor = g.studio_visitor
    if visitor.session_id is not None:
        await services().actors.handle(SignOut(visitor.session_id))
    response = redirect(request.root_path + "/studio/login", 303)
    _cookies(services()).clear(response, SESSION_COOKIE)
    log.info("studio.signed_out")
    return response


@blueprint.post("/logout/everywhere")
async def logout_everywhere() -> ResponseReturnValue:
    ended = await services().actors.handle(SignOutEverywhere())
    response = redirect(request.root_path + "/studio/login", 303)
    _cookies(services()).clear(response, SESSION_COOKIE)
    log.info("studio.signed_out_everywhere", sessions=ended)
    return response


# -- the board and a lead --------------------------------------------------------------


@blueprint.get("/")
async def board() -> ResponseReturnValue:
    search = request.args.get("q", "")[:100]
    found = await services().queries.page.board(search)
    return await _page("board.html", board=found, consent_missing=await _consent_missing(found))


@blueprint.get("/leads/<lead_id>")
async def lead(lead_id: str) -> ResponseReturnValue:
    reason = request.args.get("reason")
    return await _lead_page(
        lead_id,
        done=request.args.get("done"),
        refused=request.args.get("refused"),
        replied=request.args.get("replied"),
        why=services().queries.page.why_not_sent(reason) if reason else None,
    )


async def _lead_page(
    lead_id: str,
    status: int = 200,
    *,
    typed: dict[str, str] | None = None,
    wrong: dict[str, str] | None = None,
    **context: object,
) -> Response:
    """The lead's page; `typed` and `wrong`: a refused form's words and what to fix, by
    action, so nothing typed is lost."""
    parsed = _uuid(lead_id)
    view = None if parsed is None else await services().queries.page.lead(parsed)
    if view is None:
        return await _page("problem.html", 404, problem="no_lead")
    studio = services().settings.studio()
    return await _page(
        "lead.html",
        status,
        lead=view,
        typed=typed or {},
        wrong=wrong or {},
        presets=studio.session_presets if studio else (),
        default_minutes=studio.default_session_minutes if studio else None,
        consent=await _consent(parsed),
        **context,
    )


# -- consent before the appointment (STUDIO_FILE's `consent: true`) ------------------------


async def _consent(lead_id: UUID | None) -> ConsentShown | None:
    reads = services().queries.consent
    return None if reads is None or lead_id is None else await reads.of_lead(lead_id)


async def _consent_missing(board: Board) -> frozenset[str]:
    """The board's leads whose booked appointment still lacks its consent."""
    reads = services().queries.consent
    if reads is None:
        return frozenset()
    return await reads.missing([row.lead_key for _, rows in board.groups for row in rows])


@blueprint.get("/leads/<lead_id>/consent.pdf")
async def consent_download(lead_id: str) -> ResponseReturnValue:
    """The kept consent record as a PDF (signed-in only, as every studio route)."""
    shown = await _consent(_uuid(lead_id))
    if shown is None or not shown.exportable:
        return await _page("problem.html", 404, problem="no_consent")
    settings = services().settings
    body = consent_pdf(shown, settings.studio_name or "Studio")
    disposition = f'attachment; filename="consent-{shown.lead_id}.pdf"'
    return Response(
        body, 200, content_type="application/pdf", headers={"Content-Disposition": disposition}
    )


# Actions whose form carries an amount of money (`amount`; blank: the usual / all left).
_WITH_AMOUNT = frozenset({ArtistAction.APPROVE, ArtistAction.REFUND})


@blueprint.post("/leads/<lead_id>/act")
async def act(lead_id: str) -> ResponseReturnValue:
    parsed = _uuid(lead_id)
    form = await request.form
    try:
        action = ArtistAction(form.get("action", ""))
    except ValueError:
        return await _page("problem.html", 422, problem="no_action")
    typed = (form.get("amount") or "").strip()[:_MAX_AMOUNT_TEXT]
    amount: int | None = None
    if typed and action in _WITH_AMOUNT:
        settings = services().settings
        try:
            amount = parse_money(typed, settings.deposit_currency, settings.locale).minor
        except MoneyError as error:
            refused = {action.value: typed, **_piece_typed(form)}
            wrong = {action.value: money_problem(error)}
            return await _lead_page(lead_id, 422, typed=refused, wrong=wrong)
    piece = _piece(form) if action is ArtistAction.APPROVE else _Piece(None, None, {})
    minutes = session_minutes(form) if action is ArtistAction.APPROVE else None
    if isinstance(minutes, str):
        piece = _Piece(piece.quote, piece.sessions, {**piece.wrong, "session_minutes": minutes})
    if piece.wrong:
        refused = {action.value: typed, **_piece_typed(form)}
        return await _lead_page(lead_id, 422, typed=refused, wrong=piece.wrong)
    door = services().actors
    acted = (
        None
        if parsed is None
        else ActOnLead(
            parsed,
            action,
            correlation_id(),
            amount if action is ArtistAction.APPROVE else None,
            session_minutes=minutes if isinstance(minutes, int) else None,
            refund_amount=amount if action is ArtistAction.REFUND else None,
            refund_number=_number(form.get("refund_number")),
            quote=piece.quote,
            sessions=piece.sessions,
        )
    )
    if acted is not None and action is ArtistAction.REFUND:
        over = await _over_refundable(acted, typed)
        if over is not None:
            return over
    if acted is not None and action in ASK_FIRST and form.get("confirm") != "yes":
        return await _ask_first(acted, typed, form.get("refund_number") or "")
    taken = None if acted is None else await door.handle(acted)
    if taken is None:
        return await _page("problem.html", 404, problem="no_lead")
    log.info("studio.acted", action=action.value, outcome=taken.outcome)
    outcome = "refused" if taken.outcome is TurnOutcome.NOT_APPLICABLE else "done"
    return redirect(f"{request.root_path}/studio/leads/{lead_id}?{outcome}={action.value}", 303)


@blueprint.post("/leads/<lead_id>/reply")
async def reply(lead_id: str) -> ResponseReturnValue:
    parsed = _uuid(lead_id)
    form = await request.form
    text = (form.get("text") or "").strip()
    saved = _number(form.get("saved"))
    if not text and saved is not None and parsed is not None:  # a saved reply, box empty
        text = await services().queries.page.saved_reply(parsed, saved) or ""
    if not text or len(text) > _MAX_REPLY:
        return await _page("problem.html", 422, problem="reply_length")
    door = services().actors
    replied = None if parsed is None else ReplyToLead(parsed, text, correlation_id())
    taken = None if replied is None else await door.handle(replied)
    if taken is None:
        return await _page("problem.html", 404, problem="no_lead")
    log.info("studio.replied", delivery=taken.delivery)
    reason = f"&reason={taken.reason}" if taken.reason else ""
    return redirect(
        f"{request.root_path}/studio/leads/{lead_id}?replied={taken.delivery}{reason}#reply", 303
    )


@blueprint.post("/leads/<lead_id>/send-file")
async def send_file(lead_id: str) -> ResponseReturnValue:
    """A picture (JPEG, PNG) or a PDF to the lead, with an optional caption: kept, then
    a turn of the lead's actor; refused with the reason when Meta would not take it.
    With `as_design=yes`, the picture goes as a design for the lead to approve."""
    form = await request.form
    as_design = form.get("as_design") == "yes"
    return await _file_to_lead(lead_id, "file", "caption", design=as_design)


@blueprint.post("/leads/<lead_id>/design")
async def send_design(lead_id: str) -> ResponseReturnValue:
    """A design (a JPEG or PNG, `design`) with an optional `note`, for the lead to
    approve or ask changes to (actors.lead.designs)."""
    return await _file_to_lead(lead_id, "design", "note", design=True)


async def _file_to_lead(
    lead_id: str, field: str, words: str, *, design: bool
) -> ResponseReturnValue:
    parsed = _uuid(lead_id)
    sent = (await request.files).get(field)
    caption = ((await request.form).get(words) or "").strip()
    if len(caption) > (_MAX_NOTE if design else _MAX_CAPTION):
        return await _lead_page(lead_id, 422, file_refused="caption")
    content = b"" if sent is None else sent.read()
    checked = checked_upload(content, None if sent is None else sent.filename)
    if not isinstance(checked, str) and design and checked.kind is not MediaKind.IMAGE:
        checked = "design_type"  # a design is a picture: it rides as the buttons' header
    if isinstance(checked, str):
        log.info("studio.file_refused", why=checked, size=len(content))
        return await _lead_page(lead_id, 422, file_refused=checked)
    door = services().actors
    command = (
        None
        if parsed is None
        else SendFileToLead(
            parsed,
            checked.content,
            checked.mime_type,
            checked.kind,
            checked.filename,
            caption,
            correlation_id(),
            design=design,
        )
    )
    taken = None if command is None else await door.handle(command)
    if taken is None:
        return await _page("problem.html", 404, problem="no_lead")
    log.info("studio.file_sent", delivery=taken.delivery, kind=checked.kind.value, design=design)
    reason = f"&reason={taken.reason}" if taken.reason else ""
    return redirect(
        f"{request.root_path}/studio/leads/{lead_id}?replied={taken.delivery}{reason}#reply", 303
    )


@blueprint.get("/media/<int:media_row>")
async def media(media_row: int) -> ResponseReturnValue:
    found = await services().queries.page.media(media_row)
    if found is None:
        return await _page("problem.html", 404, problem="no_media")
    return media_response(found)


_MAX_AMOUNT_TEXT = 40  # an amount typed in a form: longer is no amount


async def _ask_first(acted: ActOnLead, typed: str, refund_number: str) -> Response:
    """A destructive action's first post: nothing changes; the page says what will happen
    (money included) and repeats the form with `confirm=yes` for the second tap."""
    assert isinstance(acted.lead, UUID)
    view = await services().queries.page.lead(acted.lead)
    if view is None:
        return await _page("problem.html", 404, problem="no_lead")
    settings = services().settings
    studio = settings.studio()
    asked = confirmation(
        view,
        acted.action,
        acted.refund_amount,
        settings.locale,
        no_show_keeps=studio.rules.no_show.keeps_deposit if studio else True,
    )
    fields = {"amount": typed, "refund_number": refund_number}
    return await _page(
        "confirm.html",
        lead=view,
        action=acted.action.value,
        asked=asked,
        fields={name: value for name, value in fields.items() if value},
    )


async def _over_refundable(acted: ActOnLead, typed: str) -> Response | None:
    """The refused page when a refund asks more than is left (naming the most that can
    be), or when nothing is left; None when it can go."""
    assert isinstance(acted.lead, UUID)
    view = await services().queries.page.lead(acted.lead)
    if view is None:
        return None  # the door answers "no such lead"
    left = view.money.refundable_minor
    if left and (acted.refund_amount is None or acted.refund_amount <= left):
        return None
    why = (
        _("At most %(amount)s is left to refund.") % {"amount": view.money.refundable}
        if left
        else _("Nothing paid is left to refund.")
    )
    refund = ArtistAction.REFUND.value
    return await _lead_page(str(acted.lead), 422, typed={refund: typed}, wrong={refund: why})


@dataclass(frozen=True)
class _Piece:
    """An approval's piece: its price and sessions as typed, or what to fix, by field."""

    quote: int | None
    sessions: int | None
    wrong: dict[str, str]


def _piece_typed(form: Mapping[str, str]) -> dict[str, str]:
    """The approval's other fields as typed, to fill the form again when it is refused."""
    return {
        field: (form.get(field) or "").strip()[:_MAX_AMOUNT_TEXT]
        for field in ("quote", "sessions", "session_minutes", "session_minutes_other")
    }


def _piece(form: Mapping[str, str]) -> _Piece:
    """The approval's `quote` (money, in the locale) and `sessions` (1-10), both optional."""
    typed = _piece_typed(form)
    wrong: dict[str, str] = {}
    quote = sessions = None
    if typed["quote"]:
        settings = services().settings
        try:
            quote = parse_money(typed["quote"], settings.deposit_currency, settings.locale).minor
        except MoneyError as error:
            wrong["quote"] = money_problem(error, price=True)
    if typed["sessions"]:
        sessions = _number(typed["sessions"])
        if sessions is None or not 1 <= sessions <= 10:
            wrong["sessions"] = _("Type the sessions the piece takes, from 1 to 10.")
            sessions = None
    return _Piece(quote, sessions, wrong)


def _number(text: str | None) -> int | None:
    """A form's small positive number; None when absent or not one."""
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 6:
        return None
    return int(text)


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


install_agenda(blueprint, _page, _lead_page)
