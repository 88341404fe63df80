"""`forget_results(app)`: a Celery app's result consumer stopped while its Redis still answers.

A result collected later (an AsyncResult dropped by the garbage collector, in whatever test runs
then) unsubscribes through that consumer's pubsub; with the app's Redis gone (a test's own), each
such unsubscribe retries for about 20 s, which stalled unrelated tests for up to a minute.
"""

from __future__ import annotations

from celery import Celery


def forget_results(app: Celery) -> None:
    consumer = getattr(app._backend, "result_consumer", None)
    if consumer is not None and consumer._pubsub is not None:
        consumer.stop()
        consumer._pubsub = None
