"""Settings for the test suite: the real settings, made fast and deterministic."""

from __future__ import annotations

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Unit tests run tasks in-process; tests marked `worker` switch this off and use a real worker.
CELERY_TASK_ALWAYS_EAGER = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# The API token endpoint's per-address rate (30/minute) would be reached by the suite as a whole, all from
# 127.0.0.1; tests/core/test_security.py lowers it again to prove the throttle.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"auth": "10000/minute"}  # noqa: F405
# The same for the phone lookup (per user); tests/members/test_lookup.py lowers it to prove the 429.
MEMBER_LOOKUP_RATE = "10000/minute"
# Attachments land in a throwaway folder per test run, never in the checkout's media/.
import tempfile as _tempfile  # noqa: E402

MEDIA_ROOT = _tempfile.mkdtemp(prefix="concord-test-media-")
STORAGES["attachments"] = {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": MEDIA_ROOT},
}
# Production runs the page cache (core/pagecache.py); so does the suite, so a write that fails to invalidate a page
# shows up as a test reading a stale page. Without Redis its versions live in this one process, which is the test's.
PAGE_CACHE = True
