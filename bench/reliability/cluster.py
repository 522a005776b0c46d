"""What the reliability scripts share: the local cluster's layout, signed-in sessions, wrk, probes.

The cluster is the one of ``deploy/local-cluster.sh start``; its layout and the application's
environment are read from ``$STATE_DIR/cluster.env`` (default /tmp/viareferents-cluster).
"""

from __future__ import annotations

import collections
import datetime
import http.client
import json
import os
import re
import signal
import ssl
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
HERE = Path(__file__).resolve().parent
OUT = ROOT / "bench" / "out"
STATE_DIR = Path(os.environ.get("STATE_DIR", "/tmp/viareferents-cluster"))  # noqa: S108
DEMO_PASSWORD = "demo-referents-2026"  # noqa: S105 - the published demo password (README)
AGENT = "agent@demo.test"
REFERENT = "referent@demo.test"
DIRECTOR = "directeur@demo.test"


def cluster_env() -> dict[str, str]:
    path = STATE_DIR / "cluster.env"
    if not path.exists():
        raise SystemExit(f"No cluster at {STATE_DIR}: run deploy/local-cluster.sh start first.")
    values = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key] = value.strip("'")
    return values


ENV = cluster_env()
HTTPS_PORT = int(ENV["CLUSTER_HTTPS_PORT"])
APP_PORTS = [int(port) for port in ENV["CLUSTER_APP_PORTS"].split(",")]
BASE = f"https://localhost:{HTTPS_PORT}"
_TLS = ssl.create_default_context()
_TLS.load_verify_locations(STATE_DIR / "tls" / "localhost.crt")  # the self-signed certificate


# --- HTTP with cookies, without redirects (one connection per request, as a browser tab might)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


def request(
    method: str,
    path: str,
    *,
    cookies: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    timeout: float = 10,
) -> Answer:
    connection = http.client.HTTPSConnection("localhost", HTTPS_PORT, context=_TLS, timeout=timeout)
    headers = {"User-Agent": "viareferents-reliability"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"{BASE}{path}"
        headers["Origin"] = BASE
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        set_cookies = response.headers.get_all("Set-Cookie") or []
        answer = Answer(response.status, dict(response.headers.items()), text)
        answer.headers["_set_cookies"] = json.dumps(set_cookies)
        return answer
    finally:
        connection.close()


def set_cookies(answer: Answer) -> dict[str, str]:
    found = {}
    for line in json.loads(answer.headers["_set_cookies"]):
        name, _, rest = line.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def csrf_pair() -> tuple[str, str]:
    """A CSRF cookie and the matching form token, from the sign-in page."""
    page = request("GET", "/connexion/")
    cookie = set_cookies(page)["csrftoken"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
    return cookie, token


def sign_in(email: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    """The cookies of a new signed-in session (sessionid, csrftoken)."""
    cookie, token = csrf_pair()
    answer = request(
        "POST",
        "/connexion/",
        cookies={"csrftoken": cookie},
        form={"csrfmiddlewaretoken": token, "username": email, "password": password},
    )
    cookies = {"csrftoken": cookie, **set_cookies(answer)}
    if answer.status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"sign-in of {email} failed: {answer.status} {answer.body[:300]}")
    return cookies


def signed_in_page(cookies: dict[str, str], path: str = "/referents/") -> int:
    """Status of a page for that session: 200 while signed in, 302 to /connexion/ otherwise."""
    answer = request("GET", path, cookies=cookies)
    if answer.status == 302 and "/connexion/" in answer.headers.get("Location", ""):
        return 401  # signed out
    return answer.status


# --- wrk


@dataclass
class WrkResult:
    requests: int = 0
    seconds: float = 0.0
    rate: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    timeline: dict[int, dict[str, int]] = field(default_factory=dict)
    socket_errors: dict[str, int] = field(default_factory=dict)
    raw: str = ""

    @property
    def errors(self) -> int:
        """Answers that are neither 2xx nor 3xx, plus socket errors (no answer at all)."""
        bad = sum(n for status, n in self.statuses.items() if not status.startswith(("2", "3")))
        return bad + sum(self.socket_errors.values())


def prepare_wrk_sessions(sessions_per_role: int = 8) -> Path:
    """Signed-in sessions (agent, référent) and CSRF pairs for wrk's Lua script, in a file."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "reliability-sessions.txt"
    lines = []
    for _ in range(sessions_per_role):
        lines.append(f"agent {sign_in(AGENT)['sessionid']}")
        lines.append(f"referent {sign_in(REFERENT)['sessionid']}")
        cookie, token = csrf_pair()
        lines.append(f"csrf {cookie} {token}")
    path.write_text("\n".join(lines) + "\n")
    return path


def start_wrk(
    seconds: int, connections: int = 32, threads: int = 2, sessions: Path | None = None
) -> subprocess.Popen:
    sessions = sessions or prepare_wrk_sessions()
    env = {**os.environ, "WRK_SESSIONS": str(sessions), "WRK_SIGNIN_EMAIL": AGENT}
    env["WRK_SIGNIN_PASSWORD"] = DEMO_PASSWORD
    return subprocess.Popen(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "--latency",
            "-s",
            str(HERE / "mix.lua"),
            BASE,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def finish_wrk(process: subprocess.Popen) -> WrkResult:
    output, _ = process.communicate()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "reliability-wrk-last.txt").write_text(output)  # for a second look
    return parse_wrk(output)


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def parse_wrk(output: str) -> WrkResult:
    result = WrkResult(raw=output)
    match = re.search(r"(\d+) requests in ([\d.]+)(s|m)", output)
    if match:
        result.requests = int(match.group(1))
        result.seconds = float(match.group(2)) * (60 if match.group(3) == "m" else 1)
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    result.rate = float(match.group(1)) if match else 0.0
    for name, attribute in [("50%", "p50_ms"), ("90%", "p90_ms"), ("99%", "p99_ms")]:
        match = re.search(rf"^\s+{name}\s+(\S+)\s*$", output, re.MULTILINE)
        if match:
            setattr(result, attribute, _milliseconds(match.group(1)))
    match = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", output)
    if match:
        result.max_ms = _milliseconds(match.group(1))
    match = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if match:
        result.socket_errors = {
            name: int(value)
            for name, value in zip(
                ["connect", "read", "write", "timeout"], match.groups(), strict=True
            )
            if int(value)
        }
    for line in output.splitlines():
        if line.startswith("STATUS "):
            _, status, count = line.split()
            result.statuses[status] = int(count)
        elif line.startswith("KIND "):
            _, kind, count = line.split()
            result.kinds[kind] = int(count)
        elif line.startswith("SECOND "):
            _, second, status, count = line.split()
            result.timeline.setdefault(int(second), {})[status] = int(count)
    return result


def print_wrk(result: WrkResult, title: str) -> None:
    print(f"\n== {title}")
    print(
        f"{result.requests} requests in {result.seconds:.1f} s: {result.rate:.1f} requests/s; "
        f"latency p50 {result.p50_ms:.1f} ms, p90 {result.p90_ms:.1f} ms, "
        f"p99 {result.p99_ms:.1f} ms, max {result.max_ms:.0f} ms"
    )
    print("by kind:  " + ", ".join(f"{k} {v}" for k, v in sorted(result.kinds.items())))
    print("statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(result.statuses.items())))
    sockets = ", ".join(f"{k} {v}" for k, v in result.socket_errors.items()) or "none"
    print(f"socket errors: {sockets}")
    print(f"errors (not 2xx/3xx, or no answer): {result.errors}")


# --- A probe: one signed-in page every `interval` seconds, each answer timestamped


class Probe(threading.Thread):
    def __init__(self, cookies: dict[str, str], path: str = "/referents/", interval: float = 0.05):
        super().__init__(daemon=True)
        self.cookies, self.path, self.interval = cookies, path, interval
        # (time.monotonic() when sent, status: 0 = no answer); and when each answer came.
        self.answers: list[tuple[float, int]] = []
        self.answered_at: list[float] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            moment = time.monotonic()
            try:
                status = signed_in_page(self.cookies, self.path)
            except (OSError, http.client.HTTPException):
                status = 0
            self.answers.append((moment, status))
            self.answered_at.append(time.monotonic())
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def counts(self, start: float = 0.0, end: float = float("inf")) -> collections.Counter:
        return collections.Counter(s for t, s in self.answers if start <= t < end)

    def first(self, status: int, after: float) -> tuple[float, float] | None:
        """(sent, answered) of the first request sent after `after` that got `status`."""
        for (sent, got), answered in zip(self.answers, self.answered_at, strict=True):
            if sent >= after and got == status:
                return sent, answered
        return None


# --- nginx's access log (JSON lines, deploy/nginx.conf.template)


def access_log(since: float, until: float = float("inf")) -> list[dict]:
    """Entries answered between two wall-clock times, each with "sent" (when nginx got it)."""
    entries = []
    for line in (STATE_DIR / "log" / "nginx-access.log").read_text().splitlines():
        entry = json.loads(line)
        answered = float(entry["msec"])
        if since <= answered < until:
            entry["answered"] = answered
            entry["sent"] = answered - float(entry["duration"])
            entries.append(entry)
    return entries


def flush_access_log() -> None:
    """nginx writes its buffered access log every 5 s: wait for it."""
    time.sleep(6)


# --- The application's own log lines (JSON, one per request: core.request_log)


def print_app_timings(since: float) -> None:
    """Time spent in Django per page (median, p90, max) and queries, from the gunicorn logs."""
    durations: dict[str, list[float]] = collections.defaultdict(list)
    queries: dict[str, int] = {}
    for path in (STATE_DIR / "log").glob("gunicorn-*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if '"viareferents.request"' not in line:
                continue
            entry = json.loads(line)
            moment = datetime.datetime.fromisoformat(entry["time"]).timestamp()
            if moment >= since:
                key = f"{entry['method']} {entry['path']}"
                durations[key].append(entry["duration_ms"])
                queries[key] = entry["db_queries"]
    print("time in Django per page (ms; the application's log):")
    for key, values in sorted(durations.items(), key=lambda item: -len(item[1])):
        values.sort()
        print(
            f"  {key:<32} n {len(values):>5}  median {values[len(values) // 2]:6.1f}  "
            f"p90 {values[int(len(values) * 0.9)]:6.1f}  max {values[-1]:7.1f}  "
            f"queries {queries[key]}"
        )


# --- Processes of the cluster


def gunicorn_master(port: int) -> int:
    return int((STATE_DIR / "run" / f"gunicorn-{port}.pid").read_text())


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(line) for line in found.stdout.split()]


def kill_gunicorn(port: int) -> list[int]:
    """SIGKILL the master of the gunicorn on `port` and its workers, at once."""
    master = gunicorn_master(port)
    pids = [master, *children(master)]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return pids


def cluster_script(*arguments: str) -> None:
    subprocess.run([str(ROOT / "deploy" / "local-cluster.sh"), *arguments], check=True)


def pg_ctl(*arguments: str) -> None:
    command = [f"{ENV['CLUSTER_PG_BIN']}/pg_ctl", "-D", ENV["CLUSTER_PGDATA"], *arguments]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def psql(sql: str, database: str | None = None) -> str:
    url = urllib.parse.urlparse(ENV["DATABASE_URL"])
    command = [
        f"{ENV['CLUSTER_PG_BIN']}/psql",
        "-X",
        "-q",
        "-tA",
        "-h",
        url.hostname,
        "-p",
        str(url.port),
        "-U",
        url.username,
        "-d",
        database or url.path.lstrip("/"),
        "-c",
        sql,
    ]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def app_environment() -> dict[str, str]:
    """The environment the cluster's gunicorns run with (for manage.py commands)."""
    keep = {k: v for k, v in ENV.items() if not k.startswith("CLUSTER_")}
    return {**os.environ, **keep}
