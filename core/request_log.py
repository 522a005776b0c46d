"""Request ids and one log line per request, as JSON in production.

Every request gets an id: the one the proxy sent in ``X-Request-ID`` when it is harmless,
otherwise a new one. It is on ``request.request_id``, in ``current_request_id`` (for code that
has no request at hand, such as the audit trail), in the ``X-Request-ID`` response header and
in every log line written while the request runs. With several application servers behind the
load balancer, it is what ties a user's report, the proxy's log, ours and the audit trail.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

# Ids written into logs, headers and the audit trail: nothing that could forge a log line.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")

logger = logging.getLogger("viareferents.request")


class _QueryCounter:
    """Counts the queries of a request without DEBUG's query log."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class RequestLogMiddleware:
    """Gives the request its id and logs one line when the answer is ready.

    First in MIDDLEWARE, so that HTTPS redirects and static files are logged too. The path is
    logged without its query string, which may carry search terms or personal data. A
    streamed body (CSV exports) is sent after the line is written: its time and queries are
    not counted.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request_id.set(request_id)
        queries = _QueryCounter()
        start = time.perf_counter()
        try:
            with connection.execute_wrapper(queries):
                response = self.get_response(request)
            response["X-Request-ID"] = request_id
            if logger.isEnabledFor(logging.INFO):
                fields = {
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 1),
                    "user_id": _user_id(request),
                    "db_queries": queries.count,
                    "remote_addr": request.META.get("REMOTE_ADDR"),
                }
                logger.info(
                    "%(method)s %(path)s %(status)s in %(duration_ms)s ms, %(db_queries)s queries",
                    fields,
                    extra={"log_fields": fields},
                )
        finally:
            current_request_id.reset(token)
        return response


def _user_id(request: HttpRequest) -> int | None:
    """The signed-in person's id, if the request loaded them.

    ``request.user`` is lazy: reading it here would add the session and user queries to the
    requests that never needed them (probes, static files, the sign-in page).
    """
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, request id, message, and fields.

    ``log_fields`` passed in ``extra`` become keys of the line; a traceback is one string.
    """

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "request_id": _request_id_of(record),
            "message": record.getMessage(),
        }
        status = getattr(record, "status_code", None)  # django.request's errors carry it
        if status is not None:
            line["status"] = status
        line.update(getattr(record, "log_fields", ()))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def _request_id_of(record: logging.LogRecord) -> str | None:
    # Django logs 4xx and 5xx answers once the whole middleware chain has returned, when the
    # request's context is over; those records carry the request itself.
    request_id = getattr(getattr(record, "request", None), "request_id", None)
    return request_id or current_request_id.get() or None
