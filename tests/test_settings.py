"""Settings come from the environment and refuse unsafe production values."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**environ: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update(environ, DJANGO_SETTINGS_MODULE="viareferents.settings")
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_development_defaults_run_as_is():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_production_without_secret_key_refuses_to_start():
    result = load_settings(DEBUG="false", ALLOWED_HOSTS="viareferents.example.fr")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_with_a_public_host_refuses_to_start():
    result = load_settings(DEBUG="true", ALLOWED_HOSTS="viareferents.example.fr")
    assert result.returncode != 0
    assert "DEBUG is on" in result.stderr


def test_production_with_a_secret_starts():
    result = load_settings(
        DEBUG="false", ALLOWED_HOSTS="viareferents.example.fr", SECRET_KEY="x" * 60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
