from tests.live import live_stack  # noqa: F401  (the session fixture every integration test shares)
