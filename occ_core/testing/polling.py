"""Waiting for what another thread or process does (a Celery worker, an SMTP server) without fixed sleeps."""
import threading


def wait_for(predicate, timeout=20.0) -> bool:
    """Poll ``predicate`` every 0.1 s until it holds or ``timeout`` seconds pass; return its last value."""
    event = threading.Event()
    for _ in range(int(timeout / 0.1)):
        if predicate():
            return True
        event.wait(0.1)
    return predicate()
