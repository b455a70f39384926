"""
A load test's studios (`--studios N`): the default studio, whose number is the
deployment's, and N - 1 stored studios, each with a WhatsApp number of its own, added with
`booking-assistant studios add` on the run's database, as an operator adds them.

Every other stored studio has an access token of its own (passed as `env:NAME`, as an
operator keeps it out of `ps`); the rest send with the deployment's. The fake Graph API
serves each number with its token before the studio is added. Leads are spread over
the studios in turn (`studio_of`); with `--backlog`, the last studio is the one whose
leads all write at once.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fakes.graph_process import GraphProcess

__all__ = [
    "DEFAULT_SLUG",
    "Studio",
    "add_studios",
    "options_from",
    "plan_studios",
    "studio_of_path",
]

DEFAULT_SLUG = "default"


@dataclass(frozen=True)
class Studio:
    """One studio of the run: its slug, its number, and its own token (None: the
    deployment's)."""

    slug: str
    phone_number_id: str
    access_token: str | None = None

    @property
    def default(self) -> bool:
        return self.slug == DEFAULT_SLUG

    @property
    def stripe_path(self) -> str:
        """Where Stripe posts this studio's events: its own endpoint, or the default's."""
        return "/webhooks/stripe" if self.default else f"/webhooks/stripe/{self.slug}"


def plan_studios(count: int, default_number: str) -> list[Studio]:
    """The default studio and `count - 1` stored ones, numbers and tokens made up."""
    studios = [Studio(DEFAULT_SLUG, default_number)]
    for n in range(1, count):
        token = f"loadtest-token-studio-{n}" if n % 2 else None
        studios.append(Studio(f"studio-{n}", f"2{n:08d}", token))
    return studios


def options_from(env: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """A stored studio's options (and secret options) as the replicas' environment sets
    the default studio: the same names, artist, locale, studio file and Stripe account."""
    options = ["--artist", env["ARTIST_WHATSAPP_NUMBER"], "--locale", env["LOCALE"]]
    options += ["--name", env["STUDIO_NAME"], "--artist-name", env["ARTIST_NAME"]]
    if env.get("STUDIO_FILE"):
        options += ["--studio-file", env["STUDIO_FILE"]]
    secrets = {
        "stripe-key": env["STRIPE_API_KEY"],
        "stripe-webhook-secret": env["STRIPE_WEBHOOK_SECRET"],
    }
    return options, secrets


def studio_of_path(path: str) -> str:
    """The number a Graph API call was made from: `/.../{phone-number-id}/messages`."""
    return path.rstrip("/").split("/")[-2]


async def add_studios(
    studios: Sequence[Studio],
    graph: GraphProcess,
    env: Mapping[str, str],
    options: Sequence[str],
    secrets: Mapping[str, str],
    log_path: Path,
) -> None:
    """Serve each stored studio's number on the fake, then `studios add` it.

    `env` is the environment the replicas get (its DATABASE_URL the run's); `options`
    more options every studio gets; `secrets` option -> value, passed as `env:NAME`.
    The adds are `booking-assistant studios add` command lines run by the console's own
    `main`, one after another in one child process (`python -m loadtest.studios`): a
    process each would spend seconds of start-up per studio. Raises RuntimeError with
    the command's words when an add is refused."""
    stored = [s for s in studios if not s.default]
    if not stored:
        return
    child_env = dict(env)
    commands: list[list[str]] = []
    for studio in stored:
        await graph.serve_number(studio.phone_number_id, studio.access_token)
        given = dict(secrets)
        if studio.access_token is not None:
            given["access-token"] = studio.access_token
        names = {o: f"LOADTEST_{studio.slug}_{o}".upper().replace("-", "_") for o in given}
        child_env.update({names[o]: v for o, v in given.items()})
        commands.append(
            [
                "studios",
                "add",
                studio.slug,
                "--phone-number-id",
                studio.phone_number_id,
                *options,
                *(f"--{option}=env:{name}" for option, name in names.items()),
            ]
        )
    with log_path.open("ab") as log:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "loadtest.studios",
            env=child_env,
            stdin=asyncio.subprocess.PIPE,
            stdout=log,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await child.communicate(json.dumps(commands).encode())
    if child.returncode != 0:
        said = stderr.decode(errors="replace").strip()[-2000:]
        raise RuntimeError(f"studios add: exit {child.returncode}: {said}")


def _add_each(commands: list[list[str]]) -> int:
    """`booking-assistant <command>` for each command line, in this one process; the
    first refusal's exit status (its line is on stderr), or 0."""
    from web.cli import main

    for command in commands:
        code = main(command)
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(_add_each(json.load(sys.stdin)))
