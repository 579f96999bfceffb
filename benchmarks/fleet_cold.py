"""Row 2: the fleet overview page with every cache cleared, against fetching every record and aggregating."""

from __future__ import annotations

from pathlib import Path

from benchmarks.apptest import check, open_screen, portal_environment, reset_streamlit
from benchmarks.fleet_reference import PAGE_SIZE, fetch_and_aggregate
from benchmarks.harness import Config, Measure, Row, Target, at_target_size, scope_for, timed, times_faster
from benchmarks.sandbox import SandboxProcess, portal_environment_for
from portal.clients import build_clients

TARGET_SECONDS = 2.0


def measure(config: Config, sandbox: SandboxProcess, workdir: Path) -> Row:
    """Median AppTest run right after `st.cache_data`/`st.cache_resource` were cleared.

    Clearing cache_resource drops the live-data cache and the app context too, so a cold run also
    rebuilds the clients and reopens (and checks the migrations of) the portal's database: what the
    first visitor after a restart waits for, minus Python's imports.
    """
    clients = build_clients(sandbox.settings())
    page: list[float] = []
    reference: list[float] = []
    calls: list[int] = []
    per_round = max(1, -(-config.repeats // config.reference_repeats))
    try:
        with portal_environment(portal_environment_for(sandbox, workdir)):
            at = open_screen("lead", "fleet")
            for _ in range(config.reference_repeats):
                seconds, _ = timed(lambda: fetch_and_aggregate(clients))
                reference.append(seconds)
                for _ in range(per_round):
                    reset_streamlit()
                    since = sandbox.now()
                    seconds, _ = timed(at.run)
                    check(at, "fleet")
                    page.append(seconds)
                    calls.append(len(sandbox.requests_since(since)))
    finally:
        clients.close()
    figure = Measure("AppTest run of the page, caches cleared", "s", page)
    ref = Measure(f"fetch every workspace record through the client (pages of {PAGE_SIZE}) and aggregate "
                  "in Python", "s", reference)
    speedup = ref.value / figure.value
    return Row(2, "fleet_cold", "Fleet overview page, cold", scope_for(sandbox.workspaces), figure, ref,
               speedup, times_faster(speedup),
               Target(f"≤ {TARGET_SECONDS:g} s at 100k", at_target_size(sandbox.workspaces,
                                                                        figure.value <= TARGET_SECONDS)),
               {"service_calls_per_cold_run": sorted(set(calls))})
