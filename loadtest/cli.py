"""`booking-assistant loadtest`: options, the run, the JSON summary on stdout."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Coroutine, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from loadtest.progress import Progress
from loadtest.run import LoadTest, dumps, run_load_test

__all__ = ["main", "parser"]

_HELP = {
    "replicas": "serve processes on one database (default %(default)s)",
    "roles": "each replica as two processes, `serve --role web` and `serve --role worker`",
    "leads": "distinct leads, each holding one conversation (default %(default)s)",
    "steps": "messages each lead sends (default %(default)s)",
    "concurrency": "leads in conversation at once, and HTTP connections (default %(default)s)",
    "duplicate_rate": "share of messages also delivered to a second replica at once",
    "reorder_rate": "share of steps followed by a message with an older timestamp",
    "batch_rate": "share of messages sent in a batch with other leads' messages",
    "batch_size": "messages per batch at most (default %(default)s)",
    "pay_share": "share of leads who qualify, are approved and pay the deposit",
    "opt_out_share": "share of leads who send STOP part-way (and one message after it)",
    "status_share": "share of the bot's messages whose statuses (sent, delivered, read) Meta "
    "posts back, shuffled",
    "reaction_rate": "share of steps after which the lead reacts to the bot's last message",
    "seed": "random seed (default: a new one, printed in the summary)",
    "chaos": "kill -9, pause, cut and restart things while the load runs",
    "chaos_duration_s": "how long faults are injected (default %(default)s)",
    "kill_every_s": "a replica is killed every this many seconds (default %(default)s)",
    "graph_failure_rate": "share of Graph API calls failed in chaos mode (default %(default)s)",
    "reply_timeout_s": "how long a lead waits for the bot's replies (default %(default)s)",
    "give_up_after_s": "how long a delivery is retried before it counts as lost",
    "drain_timeout_s": "how long the outbox may take to drain at the end",
    "memory_leads": "memory mode: touch this many distinct leads once each, report RSS",
    "database_url": "Postgres server for the run's database (default: $DATABASE_URL, "
    "else an embedded server of the run's own)",
    "postgres_restart_command": "shell command that restarts DATABASE_URL's server (chaos)",
    "log_dir": "where replica logs go, kept (default: a temporary directory, removed after "
    "a passing run)",
    "keep_logs": "keep the temporary log directory after a passing run too (a failed run "
    "always keeps it, and prints where)",
    "schedule_share": "share of leads that, with appointments on (a STUDIO_FILE for the "
    "replicas; every paying lead then picks a time), move their time or cancel it "
    "(default %(default)s: appointments off)",
    "locale": "copy locale the replicas and the reference use (default %(default)s)",
    "studios": "spread the leads over this many studios, each its own WhatsApp number: the "
    "default one and the rest added as `studios add` adds them (default %(default)s)",
    "backlog": "the last studio gets this many first messages at once while the others "
    "talk; the summary's `fairness` says how fast the others' replies left (needs "
    "--studios 2 or more)",
    "relay_poll_s": "the replicas' RELAY_POLL_S: how often each studio's relays look for "
    "work besides being woken (default %(default)s; the service's own default is 1)",
}


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = LoadTest()
    for spec in fields(LoadTest):
        option = "--" + spec.name.replace("_", "-")
        default = getattr(defaults, spec.name)
        if isinstance(default, bool):
            parser.add_argument(option, action="store_true", help=_HELP[spec.name])
        elif spec.name in (
            "seed",
            "memory_leads",
            "batch_size",
            "replicas",
            "leads",
            "steps",
            "concurrency",
            "studios",
            "backlog",
        ):
            parser.add_argument(option, type=int, default=default, help=_HELP[spec.name])
        elif spec.name == "log_dir":
            parser.add_argument(option, type=Path, default=default, help=_HELP[spec.name])
        elif isinstance(default, float):
            parser.add_argument(option, type=float, default=default, help=_HELP[spec.name])
        else:
            parser.add_argument(option, default=default, help=_HELP[spec.name])
    parser.add_argument("--output", type=Path, help="also write the JSON summary here")


def _run(main: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """On uvloop where it exists: the harness shares the machine with what it measures."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def parser() -> argparse.ArgumentParser:
    """The command line of `booking-assistant loadtest`."""
    made = argparse.ArgumentParser(
        prog="booking-assistant loadtest",
        description="Drive real traffic at real replicas, then check the promises.",
    )
    _add_arguments(made)
    return made


def main(argv: Sequence[str]) -> int:
    """Run the load test `argv` describes; 0 when every check passed."""
    args = parser().parse_args(argv)
    values = {spec.name: getattr(args, spec.name) for spec in fields(LoadTest)}
    if values["database_url"] is None:
        values["database_url"] = os.environ.get("DATABASE_URL") or None
    config = LoadTest(**values)
    if config.studios < 1 or (config.backlog > 0 and config.studios < 2):
        print(
            "loadtest: --backlog needs --studios 2 or more (and --studios at least 1)",
            file=sys.stderr,
        )
        return 2
    summary = _run(run_load_test(config, Progress()))
    text = dumps(summary)
    print(text)
    if args.output is not None:
        args.output.write_text(text + "\n")
    passed = summary.get("passed", summary.get("ok", False))
    if not passed:
        print(
            f'loadtest: a check failed (see "checks"); logs in {summary["log_dir"]}',
            file=sys.stderr,
        )
    return 0 if passed else 1
