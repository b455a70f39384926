"""
`booking-assistant loadtest` itself: a tiny run end to end (so the harness never rots),
and its checks shown to fail on records that break the promises they guard.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from fakes.graph import FakeGraphApi
from loadtest.chaos import FaultLog
from loadtest.checks import (
    Observed,
    duplicates_only_in_crash_windows,
    versions_without_gaps,
)

EXECUTABLE = Path(sys.executable).with_name("booking-assistant")


def _loadtest(database_url: str, *options: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run `booking-assistant loadtest`; its output, and how long it took (s)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    started = time.perf_counter()
    done = subprocess.run(
        [str(EXECUTABLE), "loadtest", *options, f"--database-url={database_url}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return done, time.perf_counter() - started


@pytest.mark.slow
def test_a_small_run_passes_every_check_and_prints_one_json_summary(database_url: str) -> None:
    """One replica, a dozen leads (some pay, some opt out), duplicates, late and batched
    deliveries: exit code 0, and the summary carries the figures and the checks. Its
    temporary log folder is gone afterwards, and `wall_s` is the whole run."""
    done, took_s = _loadtest(
        database_url,
        "--leads=12",
        "--steps=4",
        "--replicas=1",
        "--concurrency=6",
        "--pay-share=0.25",
        "--opt-out-share=0.25",
        "--duplicate-rate=0.3",
        "--reorder-rate=0.3",
        "--batch-rate=0.5",
        "--seed=7",
    )
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    summary = json.loads(done.stdout)
    assert summary["passed"] is True
    _assert_the_figures_and_checks(summary)
    assert summary["log_dir"] is None  # a passing run leaves no temporary folder behind
    assert "logs kept" not in done.stderr
    assert "[loadtest" in done.stderr  # progress lines go to stderr, not into the JSON
    # wall_s spans the load and more (the replicas' start and drain), inside the
    # process's own lifetime; how much more depends on the machine, so it is not asserted.
    assert summary["load_s"] < summary["wall_s"] <= took_s


@pytest.mark.slow
def test_a_failed_run_keeps_its_logs_and_says_where(database_url: str) -> None:
    """No time to drain the outbox: the `outbox_drained` check fails, the exit code is 1,
    and the replicas' logs stay where stderr says they are."""
    done, _ = _loadtest(
        database_url, "--leads=2", "--steps=2", "--replicas=1", "--drain-timeout-s=0"
    )
    assert done.returncode == 1, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["passed"] is False
    assert summary["checks"]["outbox_drained"]["passed"] is False
    logs = Path(summary["log_dir"])
    try:
        assert f"logs kept in {logs}" in done.stderr
        assert f"logs in {logs}" in done.stderr.splitlines()[-1]
        assert (logs / "replica-1.log").stat().st_size > 0
    finally:
        shutil.rmtree(logs)


def _assert_the_figures_and_checks(summary: dict[str, Any]) -> None:
    """The figures and the checks a conversation run reports."""
    assert set(summary["checks"]) >= {
        "every_delivery_acknowledged",
        "acknowledged_applied_exactly_once",
        "snapshot_versions_without_gaps",
        "final_state_matches_sequential_reference",
        "intended_replies_delivered_in_order",
        "no_message_after_opt_out",
        "duplicates_only_in_crash_windows",
        "paying_leads_booked_once",
        "outbox_drained",
    }
    assert all(check["passed"] for check in summary["checks"].values())
    assert summary["checks"]["paying_leads_booked_once"]["paid"] == 3
    assert summary["checks"]["no_message_after_opt_out"]["opted_out_leads"] == 3
    assert summary["duplicates_sent"] > 0
    assert summary["late_sent"] > 0
    assert summary["batches"] > 0
    assert summary["acknowledged_per_s"] > 0
    assert set(summary["latency_ms"]) == {"p50", "p95", "p99", "max"}
    assert summary["outbound"]["delivered"] > 0
    assert summary["peak_rss_mb"]["replica-1"] > 0


# -- the checks fail when the records break a promise -----------------------------------


def _accept(graph: FakeGraphApi, sender: str, key: str) -> None:
    body = {
        "messaging_product": "whatsapp",
        "to": "447900000001",
        "type": "text",
        "text": {"body": "hi"},
        "biz_opaque_callback_data": key,
    }
    reply = graph.answer(
        "POST",
        f"/{sender}/v21.0/{graph.phone_number_id}/messages",
        {"authorization": f"Bearer {graph.access_token}"},
        json.dumps(body).encode(),
    )
    assert reply.status == 200


def test_a_second_copy_without_a_fault_of_its_sender_is_a_failure() -> None:
    graph = FakeGraphApi()
    _accept(graph, "replica-1", "m:1")
    _accept(graph, "replica-2", "m:1")

    check = duplicates_only_in_crash_windows(graph, FaultLog())

    assert not check.passed
    assert check.detail["unexplained"] == 1


def test_a_second_copy_after_its_sender_was_killed_is_the_crash_window() -> None:
    graph = FakeGraphApi()
    faults = FaultLog()
    _accept(graph, "replica-1", "m:1")
    faults.begin("kill", "replica-1")
    time.sleep(0.01)
    _accept(graph, "replica-2", "m:1")

    assert duplicates_only_in_crash_windows(graph, faults).passed
    # A fault of the other replica explains nothing.
    other = FaultLog()
    other.begin("kill", "replica-2")
    assert not duplicates_only_in_crash_windows(graph, other).passed


def test_a_second_copy_after_an_uncertain_attempt_is_the_crash_window() -> None:
    """The relay recorded the first attempt as `uncertain` (it timed out after sending)."""
    graph = FakeGraphApi()
    _accept(graph, "replica-1", "m:1")
    _accept(graph, "replica-1", "m:1")

    assert duplicates_only_in_crash_windows(graph, FaultLog(), {"m:1": 1}).passed
    _accept(graph, "replica-1", "m:1")  # a third copy needs a second window
    assert not duplicates_only_in_crash_windows(graph, FaultLog(), {"m:1": 1}).passed


def _observed(versions: dict[str, list[int]], snapshot: dict[str, int]) -> Observed:
    inbox: dict[str, dict[str, Any]] = {}
    for lead, numbers in versions.items():
        for n in numbers:
            inbox[f"wa:{lead}.{n}"] = {"lead_key": lead, "outcome": "processed", "lead_version": n}
    leads = {lead: {"version": v, "status": "QUALIFYING"} for lead, v in snapshot.items()}
    return Observed(leads=leads, inbox=inbox, outbox=[], deposit_sessions={}, uncertain={})


def test_a_version_without_its_event_is_a_gap() -> None:
    assert versions_without_gaps(_observed({"a": [1, 2, 3]}, {"a": 3})).passed
    assert not versions_without_gaps(_observed({"a": [1, 3]}, {"a": 3})).passed
    assert not versions_without_gaps(_observed({"a": [1, 2]}, {"a": 3})).passed
