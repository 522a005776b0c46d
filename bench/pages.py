"""Page benchmarks at national scale: gunicorn with the production settings, loaded by wrk.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/viareferents_national_bench \\
        .venv/bin/python bench/pages.py [--workers 4] [--connections 8] [--duration 15]

Fill the database first with bench/make_national_dataset.py. The script collects the static
files, starts gunicorn (sync workers) with the project's production settings (DEBUG off,
whitenoise with hashed names, persistent connections, HTTPS expected from a proxy) plus one
no-op page, /bench/floor/ (bench/floor_settings.py), signs the benchmark accounts in, and runs
wrk on each page in turn from this machine. For each page it prints requests/s, the ratio to
the floor's requests/s measured in the same run, p50 and p99 latency, the SQL queries of one
request (counted in-process with the same database) and, at the end, the workers' memory. The
CSV export of 50,000 rows is timed separately, with the workers' memory before and after.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.floor_settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Habilitation, User  # noqa: E402

HOST = "127.0.0.1"
PORT = 8199
PASSWORD = "bench-referents-2026"  # noqa: S105 - bench/make_national_dataset.py's password
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent


@dataclass
class Page:
    name: str
    url: str
    account: str | None  # e-mail of the signed-in person, None for anonymous
    target: float | None = None  # minimum ratio to the floor


@dataclass
class Result:
    page: Page
    rps: float
    p50: float
    p99: float
    errors: int
    queries: int | None


def pages() -> list[Page]:
    agent = User.objects.get(email="bench-agent@bench.test")
    inheriting = (
        Habilitation.objects.filter(user=agent, unit__isnull=False)
        .exclude(unit__habilitations__profile__administers_accounts=True)
        .values_list("unit_id", flat=True)
        .first()
    )
    search = "/referents/liste/?" + urlencode({"q": "ehpad st j"})
    saint_jean = urlencode({"q": "ehpad saint jean"})
    return [
        Page("floor (no-op view)", "/bench/floor/", None),
        Page("sign-in page (anonymous)", "/connexion/", None),
        Page("Mes référents (3 structures)", "/referents/", "bench-agent@bench.test", 0.5),
        Page("référents of a unit that inherits", f"/referents/unites/{inheriting}/",
             "bench-agent@bench.test", 0.5),
        Page("tree: département 75, first 50", "/referents/liste/noeuds/departement/75/",
             "bench-agent@bench.test", 0.2),
        Page("tree page without JS, 75 open", "/referents/liste/?departement=75",
             "bench-agent@bench.test", 0.2),
        Page("search 'ehpad st j' (20 results)", search, "bench-agent@bench.test", 0.2),
        Page("search 'ehpad saint jean'", f"/referents/liste/?{saint_jean}",
             "bench-agent@bench.test", 0.2),
        Page("Django admin search 'ehpad saint jean'",
             f"/admin/structures/establishment/?{saint_jean}", "bench-admin@bench.test"),
        Page("accounts list, CHU référent (50 rows)", "/administration/comptes/",
             "bench-referent@bench.test", 0.15),
        Page("review table, CHU director (50 rows)", "/administration/revue/",
             "bench-director@bench.test", 0.15),
        Page("accounts list, search 'martin'", "/administration/comptes/?q=martin",
             "bench-referent@bench.test", 0.15),
    ]  # fmt: skip


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.floor_settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=f"{HOST},localhost",
        PYTHONPATH=str(ROOT),
        GUNICORN_BIND=f"{HOST}:{PORT}",
    )
    return env


def collectstatic(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def start_gunicorn(env: dict[str, str], workers: int) -> subprocess.Popen:
    OUT.mkdir(parents=True, exist_ok=True)
    env = {**env, "GUNICORN_WORKERS": str(workers)}
    log = (OUT / "gunicorn.log").open("wb")
    # The deployment's own gunicorn settings (deploy/gunicorn.conf.py), as an operator runs it.
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--config",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "viareferents.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    for _ in range(100):
        try:
            if request("GET", "/healthz")[0] == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    sys.exit("gunicorn did not start: see bench/out/gunicorn.log")


def request(method: str, path: str, headers: dict | None = None, body: str | None = None):
    conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
    try:
        conn.request(
            method, path, body=body, headers={"X-Forwarded-Proto": "https", **(headers or {})}
        )
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def cookies_of(headers) -> dict[str, str]:
    found = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            found[key] = rest.split(";", 1)[0]
    return found


def sign_in(email: str) -> str:
    """The Cookie header of a fresh session of ``email``."""
    status, headers, body = request("GET", "/connexion/")
    cookies = cookies_of(headers)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urlencode({"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token})
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    status, headers, _ = request(
        "POST",
        "/connexion/",
        {
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"https://{HOST}:{PORT}",
            "Referer": f"https://{HOST}:{PORT}/connexion/",
        },
        form,
    )
    cookies.update(cookies_of(headers))
    if status != 302 or "sessionid" not in cookies:
        sys.exit(f"Could not sign {email} in (status {status}): run make_national_dataset.py")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def query_count(page: Page) -> int:
    client = Client(HTTP_HOST=HOST)
    if page.account:
        client.force_login(User.objects.get(email=page.account))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page.url)
    if response.status_code != 200:
        sys.exit(f"{page.url} answered {response.status_code} in-process, not 200")
    return len(queries)


def to_ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, cookie: str | None, connections: int, duration: int) -> tuple:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    command += ["-H", "X-Forwarded-Proto: https"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(
        [*command, f"http://{HOST}:{PORT}{url}"], capture_output=True, text=True, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in match.groups())
    return rps, p50, p99, errors


def worker_rss(master: int) -> dict[int, float]:
    """Resident memory of each gunicorn worker, in MB."""
    children = subprocess.run(
        ["pgrep", "-P", str(master)], capture_output=True, text=True, check=False
    ).stdout.split()
    memory = {}
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        memory[int(pid)] = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
    return memory


def csv_export(cookie: str, master: int) -> None:
    print("\nCSV export of the CHU's review table (streamed):")
    for attempt in range(1, 4):
        before = worker_rss(master)
        start = time.perf_counter()
        conn = http.client.HTTPConnection(HOST, PORT, timeout=120)
        conn.request(
            "GET",
            "/administration/revue/export.csv",
            headers={"X-Forwarded-Proto": "https", "Cookie": cookie},
        )
        response = conn.getresponse()
        first_byte = time.perf_counter() - start
        size = lines = 0
        while chunk := response.read(65536):
            size += len(chunk)
            lines += chunk.count(b"\n")
        elapsed = time.perf_counter() - start
        conn.close()
        after = worker_rss(master)
        growth = max(after.get(pid, 0) - rss for pid, rss in before.items())
        print(
            f"  run {attempt}: status {response.status}, {lines - 1:,} rows, {size / 1e6:.1f} MB "
            f"in {elapsed:.2f} s (first byte after {first_byte * 1000:.0f} ms); "
            f"largest worker growth {growth:+.1f} MB (workers now "
            f"{', '.join(f'{m:.0f}' for m in after.values())} MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=int, default=15, help="seconds per page")
    parser.add_argument("--only", help="run only the pages whose name contains this text")
    arguments = parser.parse_args()
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql" or "bench" not in database["NAME"]:
        sys.exit("DATABASE_URL must name the PostgreSQL bench database (see the docstring).")
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    if not User.objects.filter(email="bench-agent@bench.test").exists():
        sys.exit("Run bench/make_national_dataset.py first.")

    call_command("migrate", verbosity=0)
    env = environment()
    collectstatic(env)
    server = start_gunicorn(env, arguments.workers)
    try:
        cookies: dict[str, str] = {}
        results: list[Result] = []
        print(
            f"gunicorn: {arguments.workers} sync workers; wrk: 2 threads, "
            f"{arguments.connections} connections, {arguments.duration} s per page"
        )
        for page in pages():
            if arguments.only and arguments.only not in page.name and "floor" not in page.name:
                continue
            cookie = None
            if page.account:
                cookie = cookies.get(page.account) or sign_in(page.account)
                cookies[page.account] = cookie
            status = request("GET", page.url, {"Cookie": cookie} if cookie else {})[0]
            if status != 200:
                sys.exit(f"{page.name}: {page.url} answered {status}, not 200")
            queries = query_count(page)
            run_wrk(page.url, cookie, arguments.connections, 2)  # warm-up
            rps, p50, p99, errors = run_wrk(
                page.url, cookie, arguments.connections, arguments.duration
            )
            results.append(Result(page, rps, p50, p99, errors, queries))
            floor = results[0].rps
            target = f">= {page.target:.2f}" if page.target else ""
            verdict = ""
            if page.target:
                verdict = "ok" if rps / floor >= page.target else "BELOW TARGET"
            print(
                f"{page.name:<42} {rps:8.0f} req/s  x{rps / floor:5.2f} {target:<8} {verdict:<12}"
                f" p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  {queries:2d} queries"
                + (f"  {errors} ERRORS" if errors else ""),
                flush=True,
            )
        memory = worker_rss(server.pid)
        print(
            "Worker memory after the run: " + ", ".join(f"{rss:.0f} MB" for rss in memory.values())
        )
        if not arguments.only or "csv" in arguments.only.lower():
            cookie = cookies.get("bench-director@bench.test") or sign_in(
                "bench-director@bench.test"
            )
            csv_export(cookie, server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
