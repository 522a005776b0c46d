"""A ``pg_dump -Fc`` backup restores into an empty database that the application serves from.

The path of docs/deployment.md ("Backups"), on the test database server: dump the test
database, restore it into a new database, start gunicorn against the copy, and check /readyz and
a page signed in with a session made before the backup. PostgreSQL only.
"""

from __future__ import annotations

import glob
import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL"
)


def _client_program(name: str) -> str:
    """The newest installed pg_dump / pg_restore (it must not be older than the server)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_major_version)
    program = found[-1] if found else shutil.which(name)
    if program is None:
        pytest.fail(f"{name} not found: install the PostgreSQL client (postgresql-client)")
    return program


def _major_version(path: str) -> int:
    return int(Path(path).parent.parent.name) if Path(path).parent.parent.name.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, path: str, cookie: str = "") -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    # As nginx would send them: the public host name, HTTPS.
    headers = {"Host": "localhost", "X-Forwarded-Proto": "https"}
    if cookie:
        headers["Cookie"] = cookie
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _signed_in_session(user) -> str:
    """A database session for `user`, as signing in would create (the copy must keep it)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["last_seen"] = int(time.time())
    # Signed in with a second factor too: the server runs with the production settings.
    now = int(time.time())
    session["mfa"] = {"uid": user.pk, "signed_in_at": now, "verified_at": now, "method": "totp"}
    session.create()
    return session.session_key


def test_a_backup_restores_into_an_empty_database_the_application_serves(
    reference_data, make, tmp_path
):
    hospital = make.establishment(name="CENTRE HOSPITALIER DE LA SAUVEGARDE")
    agent = make.user(email="restored@example.test", last_name="Restauré")
    make.habilitation(agent, make.unit(hospital, name="Cardiologie"))
    make.referent(hospital, email="ref.restored@example.test", last_name="Sauvé")
    session_key = _signed_in_session(agent)

    source = connection.settings_dict
    params = {
        "host": source["HOST"] or "127.0.0.1",
        "port": str(source["PORT"] or 5432),
        "user": source["USER"] or "postgres",
    }
    environment = {**os.environ, "PGPASSWORD": source["PASSWORD"] or ""}
    target = f"{source['NAME']}_restore_{uuid.uuid4().hex[:12]}"
    common = ["-h", params["host"], "-p", params["port"], "-U", params["user"]]
    dump = tmp_path / "backup.dump"
    admin = psycopg.connect(
        dbname="postgres",
        autocommit=True,
        host=params["host"],
        port=params["port"],
        user=params["user"],
        password=source["PASSWORD"] or None,
    )
    server = None
    try:
        subprocess.run(  # noqa: S603 - fixed arguments
            [_client_program("pg_dump"), *common, "-Fc", "-f", str(dump), source["NAME"]],
            env=environment,
            check=True,
            capture_output=True,
        )
        admin.execute(f'CREATE DATABASE "{target}" TEMPLATE template0')
        subprocess.run(  # noqa: S603 - fixed arguments
            [
                _client_program("pg_restore"),
                *common,
                "--no-owner",
                "--exit-on-error",
                "-d",
                target,
                str(dump),
            ],
            env=environment,
            check=True,
            capture_output=True,
        )

        with psycopg.connect(
            dbname=target,
            host=params["host"],
            port=params["port"],
            user=params["user"],
            password=source["PASSWORD"] or None,
        ) as copy:
            assert copy.execute(
                "SELECT name FROM structures_establishment WHERE id = %s", [hospital.pk]
            ).fetchone() == ("CENTRE HOSPITALIER DE LA SAUVEGARDE",)
            assert copy.execute(
                "SELECT count(*) FROM accounts_habilitation WHERE establishment_id = %s",
                [hospital.pk],
            ).fetchone() == (2,)

        # As in a deployment: with DEBUG off, pages name the collected, hashed static files.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env={
                **environment,
                "DEBUG": "false",
                "SECRET_KEY": settings.SECRET_KEY,
                "ALLOWED_HOSTS": "localhost",
            },
            check=True,
        )
        port = _free_port()
        password = f":{source['PASSWORD']}" if source["PASSWORD"] else ""
        server = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "viareferents.wsgi",
            ],
            cwd=ROOT,
            env={
                **environment,
                "DEBUG": "false",
                # The session's signature and auth hash were made with this process's key.
                "SECRET_KEY": settings.SECRET_KEY,
                "ALLOWED_HOSTS": "localhost",
                "DATABASE_URL": (
                    f"postgres://{params['user']}{password}@{params['host']}:{params['port']}"
                    f"/{target}"
                ),
                "CACHE_URL": "locmemcache://",
                "GUNICORN_BIND": f"127.0.0.1:{port}",
                "GUNICORN_WORKERS": "1",
                "GUNICORN_NAME": "viareferents-restore-test",
                "LOG_LEVEL": "WARNING",
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        status, body = 0, ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, body = _get(port, "/readyz")
                break
            except OSError:
                time.sleep(0.2)
        assert (status, body) == (200, '{"status": "ok", "database": true}'), (
            server.stderr.read().decode() if server.poll() is not None else body
        )

        status, page = _get(port, "/referents/", cookie=f"sessionid={session_key}")
        assert status == 200
        assert "CENTRE HOSPITALIER DE LA SAUVEGARDE" in page
        assert "ref.restored@example.test" in page  # the référent of that establishment
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        admin.close()
