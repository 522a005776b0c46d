"""A FINESS import SIGKILLed halfway leaves the tables exactly as they were; a re-run completes.

    deploy/local-cluster.sh start
    .venv/bin/python bench/reliability/import_killed.py [--rows 100000] [--kill-at 50]

Generates a legacy CSV extract with bench/import_finess.py's generator, checksums every
``structures_*`` table (and the audit trail) of the cluster's database, runs
``manage.py import_finess`` under a pseudo-terminal (so it draws its progress bar), SIGKILLs it
once the bar reaches --kill-at percent, checksums again (identical: the import is one
transaction), then runs the import again to the end and checksums once more.
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

import cluster

sys.path.insert(0, str(cluster.ROOT / "bench"))
from import_finess import generate  # the benchmark's generator of FINESS lines

TABLES_SQL = """
SELECT tablename FROM pg_tables
WHERE schemaname = 'public'
  AND (tablename LIKE 'structures\\_%' OR tablename = 'accounts_auditevent')
ORDER BY tablename
"""


def checksums() -> dict[str, str]:
    """Rows and md5 of every row's text, in primary-key order, per table."""
    found = {}
    for table in cluster.psql(TABLES_SQL).split():
        # Table names come from pg_tables.
        query = "SELECT count(*) || ' rows, md5 ' || md5(coalesce(string_agg(t::text, E'\\n' "
        query += f"ORDER BY t.id), '')) FROM {table} t"
        found[table] = cluster.psql(query)
    return found


def print_checksums(title: str, values: dict[str, str]) -> None:
    print(title)
    for table, value in values.items():
        print(f"  {table:<34} {value}")


def open_transactions() -> str:
    return cluster.psql(
        "SELECT string_agg(pid || ' ' || state || ', transaction open for ' || "
        "round(extract(epoch FROM now() - xact_start)::numeric, 1) || ' s', '; ') "
        "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND xact_start IS NOT NULL"
    )


def run_import(path: str, kill_at: int | None) -> tuple[int, float, str, str]:
    """(exit status, seconds, output, what the database saw at the kill)."""
    leader, follower = pty.openpty()
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_finess", path],
        cwd=cluster.ROOT,
        env=cluster.app_environment(),
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    output, seen = b"", ""
    while True:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the process is gone
                break
            if not chunk:
                break
            output += chunk
            percents = re.findall(rb"\] +(\d+)%", output)
            if kill_at is not None and percents and int(percents[-1]) >= kill_at and not seen:
                wal = cluster.psql("SELECT pg_current_wal_lsn()")
                seen = f"{open_transactions()}; WAL at {wal}"
                process.send_signal(signal.SIGKILL)
        elif process.poll() is not None:
            break
    status = process.wait()
    os.close(leader)
    return status, time.monotonic() - started, output.decode("utf-8", "replace"), seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--kill-at", type=int, default=50, help="percent of the file read")
    arguments = parser.parse_args()

    cluster.OUT.mkdir(parents=True, exist_ok=True)
    path = cluster.OUT / f"etalab-cs1100507-reliability-{arguments.rows}.csv"
    # Changed dates: a second run of this script still has every establishment to update.
    generate(path, arguments.rows, datemaj=time.strftime("%Y-%m-%d"))
    print(
        f"Generated {path.name}: {arguments.rows:,} establishments, {path.stat().st_size:,} bytes"
    )

    before = checksums()
    print_checksums("Before:", before)
    wal_before = cluster.psql("SELECT pg_current_wal_lsn()")
    status, seconds, output, seen = run_import(str(path), arguments.kill_at)
    last = re.findall(r"\] +(\d+)%", output)
    print(
        f"\nimport_finess SIGKILLed at {last[-1] if last else '?'}% after {seconds:.1f} s "
        f"(exit status {status})"
    )
    wal_at_kill = seen.rsplit("WAL at ", 1)[-1]
    written = cluster.psql(
        f"SELECT pg_size_pretty(pg_wal_lsn_diff('{wal_at_kill}', '{wal_before}'))"
    )
    print(f"  at the kill: open transactions: {seen.split('; WAL')[0]}; WAL written: {written}")
    for _ in range(50):  # the server notices the closed connection and rolls back
        if not open_transactions():
            break
        time.sleep(0.1)
    print(f"  open transactions now: {open_transactions() or 'none'}")
    after = checksums()
    print_checksums("After the kill:", after)
    print(f"Identical: {after == before}")

    status, seconds, output, _ = run_import(str(path), None)
    print(f"\nRe-run to the end: exit status {status}, {seconds:.1f} s")
    for line in output.replace("\r", "\n").splitlines():
        if line.strip() and not line.startswith("["):
            print(f"  {line.strip()}")
    print_checksums("After the re-run:", checksums())
    if after != before or status != 0:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
