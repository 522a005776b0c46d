"""Load: the request mix through nginx over HTTPS, 32 connections for 60 s; 0 errors expected.

    deploy/local-cluster.sh start
    .venv/bin/python bench/reliability/load.py [--seconds 60] [--connections 32]

The generator is wrk (C, epoll, a few % of one core at this rate) with bench/reliability/mix.lua:
a Python generator would need most of a core for TLS and parsing at a few hundred requests/s,
on the same 2 cores as the servers it measures. Signed-in sessions (the demo agent and the demo
référent) and CSRF pairs are made first, in Python, through the real sign-in form.
"""

from __future__ import annotations

import argparse
import time

import cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warm-up", type=int, default=5, help="seconds of load not counted")
    arguments = parser.parse_args()

    sessions = cluster.prepare_wrk_sessions()
    watched = cluster.sign_in(cluster.AGENT)
    if arguments.warm_up:
        cluster.finish_wrk(
            cluster.start_wrk(arguments.warm_up, arguments.connections, sessions=sessions)
        )
    started = time.time()
    result = cluster.finish_wrk(
        cluster.start_wrk(arguments.seconds, arguments.connections, sessions=sessions)
    )
    cluster.print_wrk(
        result,
        f"Load: {arguments.connections} connections, {arguments.seconds} s, through nginx (HTTPS)",
    )
    for second, statuses in sorted(result.timeline.items()):
        print(f"  t+{second - int(started)} s: {statuses}")
    print(f"a session made before the run, after it: {cluster.signed_in_page(watched)}")
    cluster.print_app_timings(started)
    if result.errors:
        print(result.raw)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
