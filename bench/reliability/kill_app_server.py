"""One application server SIGKILLed under load: nginx sends the traffic to the other one.

    deploy/local-cluster.sh start
    .venv/bin/python bench/reliability/kill_app_server.py [--seconds 60] [--kill-at 20]

wrk runs the load mix (32 connections) through nginx; at --kill-at seconds the first gunicorn's
master and all its workers get SIGKILL at once (no graceful shutdown). At --restart-at seconds
it is started again (deploy/local-cluster.sh start) and must get traffic back once nginx's
fail_timeout has passed. A probe signs in before the kill and reads a signed-in page every
0.1 s throughout: the session must keep working (sessions are in PostgreSQL, not in a process).
nginx's access log says which server answered each request.
"""

from __future__ import annotations

import argparse
import collections
import time

import cluster


def upstream_shares(since: float, until: float, width: int) -> list[tuple[int, dict[str, int]]]:
    """Answers per server in windows of `width` seconds, from nginx's JSON access log."""
    windows: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    for entry in cluster.access_log(since, until):
        # "a, b" when nginx tried a, then b: the last one answered.
        server = entry["upstream"].split(",")[-1].strip().rsplit(":", 1)[-1] or "nginx"
        windows[int(entry["answered"] - since) // width * width][server] += 1
    return sorted((start, dict(counts)) for start, counts in windows.items())


def retried(since: float) -> collections.Counter:
    """Requests nginx passed to a second server after the first failed: method and outcome."""
    return collections.Counter(
        f"{entry['method']} {entry['upstream_status']} -> {entry['status']}"
        for entry in cluster.access_log(since)
        if "," in entry["upstream"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--kill-at", type=float, default=20)
    parser.add_argument("--restart-at", type=float, default=40)
    arguments = parser.parse_args()
    victim = cluster.APP_PORTS[0]

    sessions = cluster.prepare_wrk_sessions()
    watched = cluster.sign_in(cluster.AGENT)
    if cluster.signed_in_page(watched) != 200:
        raise SystemExit("the probe's session does not work")
    probe = cluster.Probe(watched, interval=0.1)
    started_wall, started = time.time(), time.monotonic()
    wrk = cluster.start_wrk(arguments.seconds, sessions=sessions)
    probe.start()

    time.sleep(arguments.kill_at)
    killed_at = time.monotonic()
    pids = cluster.kill_gunicorn(victim)
    print(f"t+{killed_at - started:.1f} s: SIGKILL to gunicorn :{victim} (pids {pids})")

    time.sleep(max(0.0, arguments.restart_at - (time.monotonic() - started)))
    restart_at = time.monotonic()
    cluster.cluster_script("start")
    print(f"t+{restart_at - started:.1f} s: gunicorn :{victim} started again")

    result = cluster.finish_wrk(wrk)
    probe.stop()
    cluster.flush_access_log()

    cluster.print_wrk(result, f"Load with gunicorn :{victim} killed at t+{arguments.kill_at:.0f} s")
    for second, statuses in sorted(result.timeline.items()):
        print(f"  non-2xx/3xx at t+{second - int(started_wall)} s: {statuses}")
    print("\nProbe (signed in before the kill, one page every 0.1 s):")
    print(f"  before the kill: {dict(probe.counts(0, killed_at))}")
    print(f"  after the kill:  {dict(probe.counts(killed_at))}")
    print(f"  the same session now: {cluster.signed_in_page(watched)} (200 = still signed in)")
    print("\nRequests nginx passed to the other server after the first failed (access log):")
    for outcome, count in sorted(retried(started_wall).items()):
        print(f"  {outcome}: {count}")
    failed = [e for e in cluster.access_log(started_wall) if e["status"] >= 500]
    print(f"\nAnswers 5xx (access log): {len(failed)}")
    for entry in failed:
        print(
            f"  t+{entry['sent'] - started_wall:.2f} s -> t+{entry['answered'] - started_wall:.2f}"
            f" s {entry['method']} {entry['uri']}: {entry['status']} from {entry['upstream']}"
        )
    print("\nAnswers per application server (nginx access log), 5 s windows:")
    for start, counts in upstream_shares(started_wall, started_wall + arguments.seconds, 5):
        print(f"  t+{start:>2}-{start + 5:<2} s: {counts}")


if __name__ == "__main__":
    main()
