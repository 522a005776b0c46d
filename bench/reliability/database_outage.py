"""PostgreSQL stopped for a few seconds under load: 503 pages meanwhile, 200 again once it is back.

    deploy/local-cluster.sh start
    .venv/bin/python bench/reliability/database_outage.py [--seconds 60] [--stop-at 20] [--down 5]

wrk runs the load mix (32 connections) through nginx. At --stop-at seconds the cluster's own
PostgreSQL is stopped (``pg_ctl stop -m fast``: sessions are cut, as in a crash or failover),
kept down --down seconds, then started again (``pg_ctl start -w``: returns once it accepts
connections). Nothing else is restarted. A probe reads a signed-in page every 50 ms: it gives
the time from "database accepting connections" to the first 200. During the outage one page is
fetched and checked: a 503 with the French "service unavailable" page and no traceback.
"""

from __future__ import annotations

import argparse
import collections
import time

import cluster


def check_outage_page(cookies: dict[str, str]) -> str:
    answer = cluster.request("GET", "/referents/", cookies=cookies)
    body = answer.body
    return (
        f"{answer.status}, Retry-After {answer.headers.get('Retry-After', '-')}, "
        f"French page: {'indisponible' in body}, traceback: {'Traceback' in body}, "
        f"body {len(body)} bytes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--stop-at", type=float, default=20)
    parser.add_argument("--down", type=float, default=5)
    parser.add_argument(
        "--connections", type=int, default=32, help="0: no load, the probe alone (recovery time)"
    )
    arguments = parser.parse_args()

    sessions = cluster.prepare_wrk_sessions()
    watched = cluster.sign_in(cluster.AGENT)
    probe = cluster.Probe(watched, interval=0.05)
    started_wall, started = time.time(), time.monotonic()
    wrk = None
    if arguments.connections:
        wrk = cluster.start_wrk(arguments.seconds, arguments.connections, sessions=sessions)
    probe.start()

    time.sleep(arguments.stop_at)
    stop_begins, stop_begins_wall = time.monotonic(), time.time()
    cluster.pg_ctl("-m", "fast", "-w", "stop")
    stopped = time.monotonic()
    print(
        f"t+{stop_begins - started:.1f} s: stopping PostgreSQL; stopped at "
        f"t+{stopped - started:.1f} s"
    )
    time.sleep(min(1.0, arguments.down / 2))
    page = check_outage_page(watched)
    time.sleep(max(0.0, arguments.down - (time.monotonic() - stopped)))
    start_begins = time.monotonic()
    cluster.pg_ctl("-w", "-l", f"{cluster.ENV['CLUSTER_PGDATA']}/server.log", "start")
    back, back_wall = time.monotonic(), time.time()
    print(
        f"t+{back - started:.1f} s: PostgreSQL accepts connections again "
        f"({back - start_begins:.2f} s)"
    )

    if wrk is None:
        time.sleep(max(0.0, arguments.seconds - (time.monotonic() - started)))
    else:
        result = cluster.finish_wrk(wrk)
    probe.stop()

    cluster.flush_access_log()
    if wrk is not None:
        cluster.print_wrk(
            result,
            f"Load with PostgreSQL down from t+{stopped - started:.1f} s "
            f"to t+{back - started:.1f} s",
        )
        for second, statuses in sorted(result.timeline.items()):
            print(f"  non-2xx/3xx at t+{second - int(started_wall)} s: {statuses}")
    print(f"\nA signed-in page during the outage: {page}")
    print("\nProbe (a signed-in page every 50 ms):")
    print(f"  before the stop:  {dict(probe.counts(0, stop_begins))}")
    print(f"  while down:       {dict(probe.counts(stop_begins, back))}")
    print(f"  after it is back: {dict(probe.counts(back))}")
    first_200 = probe.first(200, back)
    if first_200 is None:
        print("  no 200 after the database came back!")
    else:
        sent, answered = first_200
        print(
            f"  database back -> first 200: sent at +{(sent - back) * 1000:.0f} ms, "
            f"answered at +{(answered - back) * 1000:.0f} ms"
        )
    print(f"  the same session now: {cluster.signed_in_page(watched)} (200 = still signed in)")
    recovery_from_access_log(started_wall, stop_begins_wall, back_wall)


def recovery_from_access_log(started: float, stop_begins: float, back: float) -> None:
    """Every request through nginx, to the millisecond: what happened around the outage."""
    pages = [
        entry
        for entry in cluster.access_log(started)
        # Pages that need the database (the sign-in form and the probes do not, or not always).
        if entry["uri"].startswith(("/referents", "/administration"))
    ]
    during = collections.Counter(e["status"] for e in pages if stop_begins <= e["sent"] < back)
    after = collections.Counter(e["status"] for e in pages if e["sent"] >= back)
    print("\nnginx access log, signed-in pages (all clients):")
    print(f"  sent while the database was stopping or down: {dict(during)}")
    print(f"  sent after it was back:                       {dict(after)}")
    first = min(
        (e for e in pages if e["sent"] >= back and e["status"] == 200),
        key=lambda e: e["sent"],
        default=None,
    )
    if first is not None:
        print(
            f"  first 200 for a request sent after the database was back: sent at "
            f"+{(first['sent'] - back) * 1000:.0f} ms, answered at "
            f"+{(first['answered'] - back) * 1000:.0f} ms"
        )
    last_503 = max((e["answered"] for e in pages if e["status"] == 503), default=None)
    if last_503 is not None:
        print(f"  last 503 answered at {(last_503 - back) * 1000:+.0f} ms from the database back")
    by_status = collections.Counter(e["status"] for e in cluster.access_log(started))
    print(f"  every answer of the run by status: {dict(sorted(by_status.items()))}")


if __name__ == "__main__":
    main()
