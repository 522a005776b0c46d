"""The production settings plus one no-op page, the benchmarks' floor (bench/pages.py).

Only the benchmark starts gunicorn with this module: the floor URL exists nowhere else.
"""

from viareferents.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
