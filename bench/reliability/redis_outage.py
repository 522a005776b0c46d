"""Redis (CACHE_URL) stopped: what signed-in people and the probes see, then Redis started again.

    deploy/local-cluster.sh start
    .venv/bin/python bench/reliability/redis_outage.py

No load: a few pages with sessions made before the stop (the demo référent and director), one
sign-in, and /readyz, while the cluster's own Redis is stopped; then the same once it is started
again (empty).
"""

from __future__ import annotations

import os
import signal
import time

import cluster


def look(title: str, sessions: dict[str, dict[str, str]]) -> None:
    print(title)
    for path, who in [
        ("/referents/", "referent"),
        ("/administration/comptes/", "referent"),
        ("/administration/revue/", "director"),  # its summary may come from the cache
        ("/connexion/", "anonymous"),
        ("/readyz", "anonymous"),
    ]:
        answer = cluster.request("GET", path, cookies=sessions.get(who))
        print(f"  GET {path:<26} {who:<30} {answer.status}")
    try:
        cluster.sign_in(cluster.AGENT)
        print(f"  {'a new sign-in':<61} works")
    except RuntimeError as error:
        print(f"  {'a new sign-in':<61} fails: {str(error).split(' <')[0]}")


def main() -> None:
    sessions = {
        "referent": cluster.sign_in(cluster.REFERENT),
        "director": cluster.sign_in(cluster.DIRECTOR),
    }
    look("Redis up:", sessions)
    pid = int((cluster.STATE_DIR / "run" / "redis.pid").read_text())
    os.kill(pid, signal.SIGTERM)
    while os.path.exists(f"/proc/{pid}"):
        time.sleep(0.1)
    look("Redis stopped:", sessions)
    cluster.cluster_script("start")
    look("Redis started again (empty):", sessions)


if __name__ == "__main__":
    main()
