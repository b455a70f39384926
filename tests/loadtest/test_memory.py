"""
The memory mode of the load test, on a real `serve` process and a real database: every
lead touched gets 200, every actor passivates, and the replica's RSS settles back.
"""

from __future__ import annotations

import pytest

from fakes.graph import FakeGraphApi
from loadtest.memory import measure_memory
from loadtest.replicas import ServiceLauncher
from tests.web.conftest import APP_SECRET

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_touching_leads_once_each_leaves_no_actor_and_little_memory_behind(
    launcher: ServiceLauncher,
) -> None:
    """300 leads, one "hi" each: all answered 200, all actors passivate (0.5 s idle), the
    outbox drains, and the replica's RSS afterwards is within a few MB of before."""
    graph = FakeGraphApi()
    server = graph.serve()
    try:
        replica = await launcher.start(
            server.base_url,
            ACTOR_IDLE_S="0.5",
            WHATSAPP_RATE_PER_S="10000",
            LOG_LEVEL="warning",
        )
        lines: list[str] = []
        report = await measure_memory(
            replica,
            leads=300,
            connections=16,
            app_secret=APP_SECRET,
            limit_mb=30.0,
            progress=lines.append,
            warmup_leads=100,
            settle_timeout_s=30.0,
            samples=2,
            sample_interval_s=0.5,
            progress_every_s=1.0,
        )
    finally:
        server.close()
    print(report.as_json(), *lines, sep="\n")

    assert report.status_codes == {"200": 300}
    assert report.warmup_status_codes == {"200": 100}
    assert report.settled
    assert report.passivation_wait_s <= report.drained_after_s < 30.0
    assert report.ok
    assert report.growth_mb < 30.0
    assert 0 < report.rss_before_mb <= report.rss_peak_mb
    assert report.rss_after_mb <= report.rss_peak_mb
    assert {m.to for m in graph.sent} >= {f"44790{n:07d}" for n in range(300)}
    assert replica.running  # nothing crashed on the way
