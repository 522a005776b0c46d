"""The production set-up end to end: gunicorn, DEBUG off, JSON logs, the database down."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import gunicorn

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()[1]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.1)
        else:
            return
    raise AssertionError("gunicorn did not start")


def test_gunicorn_answers_503_and_logs_json_lines_while_the_database_is_down():
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"LOG_FORMAT", "CACHE_URL"}}
    env.update(
        DEBUG="false",
        SECRET_KEY="production-test-" + "x" * 50,
        ALLOWED_HOSTS="127.0.0.1",
        # Nothing listens on port 1: every connection is refused.
        DATABASE_URL="postgres://viareferents@127.0.0.1:1/viareferents",
        PYTHONUNBUFFERED="1",
    )
    command = [sys.executable, "-m", "gunicorn", "viareferents.wsgi", "--workers", "1"]
    command += ["--bind", f"127.0.0.1:{port}"]
    if gunicorn.version_info >= (25, 1):
        # Its control socket's path is shared by every gunicorn of the user: do not take it.
        command.append("--no-control-socket")
    server = subprocess.Popen(  # noqa: S603 - fixed arguments, our own interpreter
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(port, server)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request(
            "GET",
            "/referents/?q=secret-search-term",
            headers={
                "X-Forwarded-Proto": "https",
                "X-Request-ID": "e2e-outage-1",
                "Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345",
            },
        )
        response = connection.getresponse()
        body = response.read().decode()
        connection.close()
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=30)

    assert response.status == 503, body
    assert response.getheader("Retry-After") == "30"
    assert response.getheader("X-Request-ID") == "e2e-outage-1"
    assert "Service momentanément indisponible" in body
    assert "Traceback" not in body

    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    (request_line,) = [line for line in lines if line["logger"] == "viareferents.request"]
    assert request_line["request_id"] == "e2e-outage-1"
    assert request_line["status"] == 503
    assert request_line["path"] == "/referents/"
    (error,) = [line for line in lines if line["logger"] == "django.request"]
    assert error["request_id"] == "e2e-outage-1"
    assert error["level"] == "ERROR"
    assert "OperationalError" in error["exception"]
    assert "secret-search-term" not in stdout + stderr
