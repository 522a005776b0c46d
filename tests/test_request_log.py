"""Request ids and the one JSON log line per request (core.request_log)."""

import datetime
import io
import json
import logging
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit import trail
from audit.models import AuditEvent
from core.request_log import JsonFormatter
from tests.test_settings import load_settings

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_log():
    """Everything logged while the test runs, as the production JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)

    def lines(logger_name: str | None = None) -> list[dict]:
        parsed = [json.loads(line) for line in stream.getvalue().splitlines()]
        return [line for line in parsed if logger_name in (None, line["logger"])]

    lines.raw = stream.getvalue  # type: ignore[attr-defined]
    yield lines
    root.removeHandler(handler)


def test_a_safe_request_id_from_the_proxy_is_kept(client, db):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-2026.01_abc-XYZ"})
    assert response["X-Request-ID"] == "lb-2026.01_abc-XYZ"


def test_a_request_id_is_generated_when_none_comes(client, db):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert GENERATED_ID.fullmatch(first)
    assert GENERATED_ID.fullmatch(second)
    assert first != second


@pytest.mark.parametrize(
    "malicious",
    [
        "abc\ndef",
        "abc\r\nX-Injected: yes",
        "a" * 500,
        "a" * 65,
        'abc"def',
        "abc'def",
        "abc def",
        "<script>",
        "élan",
        "",
    ],
)
def test_an_unsafe_request_id_is_replaced(client, db, json_log, malicious):
    response = client.get("/healthz", headers={"X-Request-ID": malicious})
    request_id = response["X-Request-ID"]
    assert GENERATED_ID.fullmatch(request_id)
    (line,) = json_log("viareferents.request")
    assert line["request_id"] == request_id
    if malicious:
        assert malicious not in json_log.raw()


def test_one_json_line_per_request_without_the_query_string(client, agent, json_log):
    client.force_login(agent)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            reverse("referents:list"), {"q": "secret-search-term"}, REMOTE_ADDR="203.0.113.7"
        )
    assert response.status_code == 200
    (line,) = json_log("viareferents.request")
    assert set(line) >= {
        "time",
        "request_id",
        "method",
        "path",
        "status",
        "duration_ms",
        "user_id",
        "db_queries",
        "remote_addr",
    }
    assert line["request_id"] == response["X-Request-ID"]
    assert line["method"] == "GET"
    assert line["path"] == reverse("referents:list")
    assert line["status"] == 200
    assert line["user_id"] == agent.pk
    assert line["db_queries"] == len(queries) > 0
    assert line["remote_addr"] == "203.0.113.7"
    assert isinstance(line["duration_ms"], float)
    time = datetime.datetime.fromisoformat(line["time"])
    assert time.utcoffset() == datetime.timedelta(0)
    assert "secret-search-term" not in json_log.raw()


def test_the_line_of_an_anonymous_request_costs_no_query(client, db, json_log):
    response = client.get("/healthz")
    (line,) = json_log("viareferents.request")
    assert line["user_id"] is None
    assert line["db_queries"] == 0
    assert line["status"] == response.status_code == 200


def test_djangos_request_errors_are_json_lines_with_the_request_id(client, db, json_log):
    client.get("/no-such-page/", headers={"X-Request-ID": "trace-404"})
    (error,) = json_log("django.request")
    assert error["request_id"] == "trace-404"
    assert error["status"] == 404
    assert error["level"] == "WARNING"
    (line,) = json_log("viareferents.request")
    assert line["request_id"] == "trace-404"


def test_an_audit_event_of_a_request_carries_its_request_id(client, make, cardiology):
    password = "correct horse battery staple"
    person = make.user(email="lea.martin@example.test", password=password)
    make.habilitation(person, cardiology)
    response = client.post(
        reverse("accounts:sign_in"), {"username": person.email, "password": password}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.SIGNIN_SUCCEEDED)
    assert event.request_id == response["X-Request-ID"]
    assert GENERATED_ID.fullmatch(event.request_id)


def test_an_audit_event_outside_a_request_has_no_request_id(agent):
    event = trail.record(action=AuditEvent.Action.ACCOUNT_UPDATED, target_user=agent)
    assert event.request_id == ""


def test_the_journal_export_shows_the_request_id(client, platform_admin, agent):
    client.post(reverse("accounts:sign_in"), {"username": agent.email, "password": "wrong"})
    failed = AuditEvent.objects.get(action=AuditEvent.Action.SIGNIN_FAILED)
    assert failed.request_id
    trail.record(action=AuditEvent.Action.ACCOUNT_UPDATED, target_user=agent)
    client.force_login(platform_admin)
    export = reverse("administration:journal_export")
    response = client.get(export)
    header, *rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert header.endswith(";Identifiant de requête")
    assert len(rows) == 1  # the sign-ins are exported under their own filter
    assert rows[0].endswith(";")  # written outside a request
    response = client.get(export, {"action": "signin"})
    header, *rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(rows) == 1
    assert rows[0].endswith(f";{failed.request_id}")


def test_request_ids_do_not_leak_between_requests(db):
    from core.request_log import current_request_id

    Client().get("/healthz", headers={"X-Request-ID": "first"})
    assert current_request_id.get() == ""


def test_an_unknown_log_format_refuses_to_start():
    result = load_settings(LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be json or text" in result.stderr
