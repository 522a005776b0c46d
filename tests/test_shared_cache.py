"""CACHE_URL=redis://...: Django's Redis cache, shared by the servers, and sessions read through it.

The Redis tests use the machine's Redis (TEST_REDIS_URL, database 15 by default). A missing
Redis fails them, never skips them: CI starts one (.ci/run).
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.urls import reverse
from redis.exceptions import RedisError

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "correct horse battery staple"


def cache_settings(**environ: str) -> dict:
    env = {
        k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "DEBUG", "SESSIONS_IN_CACHE"}
    }
    env.update(environ, DJANGO_SETTINGS_MODULE="viareferents.settings")
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.CACHES['default'], settings.SESSION_ENGINE]))"
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    cache, session_engine = json.loads(result.stdout)
    return {"cache": cache, "session_engine": session_engine}


def test_without_cache_url_sessions_stay_in_the_database():
    chosen = cache_settings()
    assert chosen["cache"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    # Never a per-process cache in front of what the servers share.
    assert chosen["session_engine"] == "django.contrib.sessions.backends.db"


def test_a_redis_cache_url_uses_djangos_backend_and_sessions_stay_in_the_database():
    chosen = cache_settings(CACHE_URL="redis://cache.example.fr:6379/0?socket_timeout=2")
    assert chosen["cache"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.example.fr:6379/0",
        "OPTIONS": {"socket_timeout": 2},
    }
    # A Redis that does not answer must not take every signed-in page down.
    assert chosen["session_engine"] == "django.contrib.sessions.backends.db"


def test_sessions_are_read_through_redis_when_asked():
    chosen = cache_settings(CACHE_URL="redis://cache.example.fr:6379/0", SESSIONS_IN_CACHE="true")
    assert chosen["session_engine"] == "django.contrib.sessions.backends.cached_db"


def test_sessions_in_cache_without_a_shared_cache_refuse_to_start():
    with pytest.raises(subprocess.CalledProcessError) as refused:
        cache_settings(SESSIONS_IN_CACHE="true")
    assert "SESSIONS_IN_CACHE needs a shared cache" in refused.value.stderr


@pytest.fixture
def redis_cache(settings):
    """The default cache on the test Redis, under a prefix of this test's own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"viareferents-test-{uuid.uuid4().hex}",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    cache = caches["default"]
    try:
        cache.set("ping", "pong", 60)
    except RedisError as error:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({error}); start redis-server.")
    written = ["ping"]
    yield cache, written
    cache.delete_many(written)


def test_sign_in_then_a_page_with_sessions_in_redis(client, redis_cache, make, cardiology):
    cache, written = redis_cache
    person = make.user(email="lea.martin@example.test", password=PASSWORD)
    make.habilitation(person, cardiology)
    response = client.post(
        reverse("accounts:sign_in"), {"username": person.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    session_key = client.cookies["sessionid"].value
    written.append(KEY_PREFIX + session_key)
    assert cache.get(KEY_PREFIX + session_key)[SESSION_KEY] == str(person.pk)
    assert Session.objects.filter(session_key=session_key).exists()

    assert client.get(reverse("referents:mine")).status_code == 200
    assert client.session[SESSION_KEY] == str(person.pk)

    # A flushed or restarted Redis signs nobody out: the session is read from the database.
    cache.delete(KEY_PREFIX + session_key)
    assert client.get(reverse("referents:mine")).status_code == 200
    assert cache.get(KEY_PREFIX + session_key)[SESSION_KEY] == str(person.pk)
