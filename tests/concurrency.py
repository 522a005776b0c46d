"""Running service calls at the same instant in threads (PostgreSQL row-lock tests)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from django.core.exceptions import ValidationError
from django.db import connections


def run_together(*actions):
    """Run the actions in parallel threads, released at the same instant.

    Returns each action's result, or the ValidationError it raised (a refused change).
    """
    barrier = threading.Barrier(len(actions))

    def run(action):
        try:
            barrier.wait()
            return action()
        except ValidationError as error:
            return error
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        return list(pool.map(run, actions))
