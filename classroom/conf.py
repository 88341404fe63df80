"""The classroom's settings: Django settings of these names win, else the environment, else defaults."""

from __future__ import annotations

import os

from django.conf import settings

DEFAULTS = {
    "MVLAB_CLASS_MAX_HOSTS": 6,  # hosts in one student's sandboxes at once
    "MVLAB_CLASS_MAX_CONTAINERS": 16,  # containers and routers in one student's sandboxes at once
    "MVLAB_CLASS_MAX_DEPLOYS": 1,  # sandboxes one student holds at once (a redeploy replaces its own)
    "MVLAB_CLASS_IDLE_SECONDS": 3600,  # a student's sandbox untouched this long is torn down
    "MVLAB_CLASS_SWEEP_SECONDS": 30,  # how often the site worker looks for idle sandboxes
}


def setting(name: str) -> int:
    if hasattr(settings, name):
        return int(getattr(settings, name))
    value = os.environ.get(name)
    if value is None:
        return DEFAULTS[name]
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected a whole number") from None
