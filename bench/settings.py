"""Settings for bench/load.py's server only: the real settings, with the bench urlconf (adds a trivial view)."""

from __future__ import annotations

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
