"""Gunicorn settings for viareferents (``gunicorn -c deploy/gunicorn.conf.py viareferents.wsgi``).

Everything an operator tunes comes from the environment; see docs/deployment.md for the sizing.
The application itself reads its own settings (DATABASE_URL, SECRET_KEY...) from the same
environment.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# Sync workers: one request at a time per process. Pages are short and database-bound, and
# nginx buffers both the request body and the response, so a slow client never holds a worker.
worker_class = "sync"
# 2 x cores + 1 for a box of its own; less when PostgreSQL shares the machine (docs/deployment.md).
workers = _int("GUNICORN_WORKERS", _int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))

# A request still running after this long is killed (its worker is replaced). nginx's
# proxy_read_timeout is longer, so nginx sees the worker die rather than timing out itself.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM / SIGHUP, requests in flight get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Replace each worker after about this many requests (jitter: not all at the same moment), a
# cheap guard against slow memory growth. Not much lower: starting a worker costs about a
# second of CPU, and at 2,000 the page benchmark spent a tenth of its time restarting workers.
max_requests = _int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 2000)

# nginx is the only client: it sets X-Forwarded-Proto, trusted from loopback only (the default).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# The worker heartbeat file: in memory, so a slow or full disk does not get workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# nginx writes the access log (JSON, with the request id); gunicorn's would duplicate it.
# GUNICORN_ACCESS_LOG=- turns it on, e.g. when gunicorn is reached without nginx.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(h)s %({x-request-id}i)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# print() and warnings of the application go to the error log too.
capture_output = True

proc_name = os.environ.get("GUNICORN_NAME", "viareferents")
pidfile = os.environ.get("GUNICORN_PIDFILE") or None

# Gunicorn 25+ opens a control socket at ~/.gunicorn/gunicorn.ctl by default: two instances on
# one machine would fight over it. Off unless a path is given.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
