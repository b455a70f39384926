"""
Fair delivery between studios (`--studios N --backlog M`): while one studio's M leads
all write at once, each reply to another studio leaves within 2 seconds of its
webhook's 200 (PRODUCT.md, "Fair delivery").

    fairness         the other studios' reply delays (webhook 200 to the Graph call that
                     carried the reply): p50, p99, max, checked against the limit; how many
                     of them left while the backlog was still being sent
    backlog_replies  every backlog lead's replies went out, none lost, none twice
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from fakes.graph import FakeGraphApi
from loadtest.checks import Check
from loadtest.leads import LeadResult, ReplyDelay, distinct
from loadtest.stats import ms
from loadtest.studios import Studio, studio_of_path

__all__ = ["LIMIT_S", "backlog_replies", "fairness", "summary"]

LIMIT_S = 2.0  # PRODUCT.md: "within 2 seconds of its webhook's 200"


def _backlog_span(graph: FakeGraphApi, backlog: Studio) -> tuple[float, float]:
    """When the backlog studio's first and last messages were accepted (0, 0: none)."""
    times = [m.accepted_at for m in graph.sent if studio_of_path(m.path) == backlog.phone_number_id]
    return (min(times), max(times)) if times else (0.0, 0.0)


def summary(
    delays: Sequence[ReplyDelay],
    graph: FakeGraphApi,
    backlog: Studio,
    leads: Sequence[LeadResult],
    posted: Sequence[float],
) -> dict[str, Any]:
    """The summary's `fairness`: the quiet studios' reply delays, all of them, those
    that left while the backlog studio was sending, and those of these that left once
    the backlog was all posted (its replies then only waiting in the outbox)."""
    first, last = _backlog_span(graph, backlog)
    all_posted = max(posted, default=first)
    quiet = [d for d in delays if d.studio != backlog.slug]
    during = [d for d in quiet if first <= d.accepted_at <= last]
    waiting = [d for d in during if d.accepted_at > all_posted]
    slowest = sorted(quiet, key=lambda d: d.delay_s, reverse=True)[:5]
    return {
        "backlog_studio": backlog.slug,
        "backlog_leads": len(leads),
        "backlog_posting_s": round(all_posted - min(posted, default=all_posted), 2),
        "backlog_sending_s": round(last - first, 2),
        "limit_ms": LIMIT_S * 1000,
        "replies": len(quiet),
        "delay_ms": ms([d.delay_s for d in quiet]),
        "during_backlog": _part(during),
        "after_backlog_posted": _part(waiting),
        "slowest": [
            {
                "studio": d.studio,
                "ms": round(d.delay_s * 1000, 1),
                "at_s": round(d.accepted_at - first, 2),
            }
            for d in slowest
        ],
    }


def _part(delays: Sequence[ReplyDelay]) -> dict[str, Any]:
    return {"replies": len(delays), "delay_ms": ms([d.delay_s for d in delays])}


def fairness(measured: dict[str, Any]) -> Check:
    """Passes when every quiet studio's reply left within the limit, and some of them
    left while the backlog was being sent (else nothing was measured under it)."""
    worst = measured["delay_ms"]["max"]
    under = measured["during_backlog"]["replies"]
    passed = worst <= measured["limit_ms"] and under > 0
    return Check("fairness", passed, measured)


def backlog_replies(results: Sequence[LeadResult], graph: FakeGraphApi) -> Check:
    """Each backlog lead read exactly the reference's replies to its first message, and
    no reply of theirs was accepted twice."""
    missing: list[str] = []
    doubled: list[str] = []
    sent = 0
    for result in results:
        wa_id = result.script.wa_id
        copies = graph.to(wa_id)
        read = distinct(copies)
        sent += len(read)
        wanted = len(result.script.replies)  # what they are: intended_replies_delivered
        if len(read) != wanted or not result.finished:
            missing.append(f"{wa_id[-4:]}: {len(read)} of {wanted}")
        keys = Counter(str(m.body.get("biz_opaque_callback_data", m.wamid)) for m in copies)
        doubled.extend(f"{wa_id[-4:]}: {key}" for key, n in keys.items() if n > 1)
    return Check(
        "backlog_replies_once",
        not missing and not doubled,
        {
            "leads": len(results),
            "replies_sent": sent,
            "leads_missing_replies": len(missing),
            "replies_sent_twice": len(doubled),
            "examples": missing[:5] + doubled[:5],
        },
    )
