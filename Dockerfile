# syntax=docker/dockerfile:1
# Concord's container image (issue 19). Two stages: the builder installs the requirements into a virtualenv; the
# runtime stage copies that virtualenv and the code, compiles the translations and collects the static files at
# build time, and runs as an unprivileged user. One image for every process: its default command is the web server
# (gunicorn); compose.yaml and the Procfile give the Celery workers, beat and the migration their own commands.
#
#   docker build -t concord .                         # --build-arg WITH_LDAP=1 adds LDAP sign-in (python-ldap)
#
# Not built on the project's machine (a docker client, no daemon): CI lints this file with hadolint and
# tests/config/test_deploy_files.py checks that everything it copies and runs exists in the project.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ARG WITH_LDAP=0
# Only python-ldap compiles (against OpenLDAP's client library); every other requirement installs from a wheel.
# hadolint ignore=DL3008
RUN if [ "$WITH_LDAP" = "1" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends build-essential libldap2-dev libsasl2-dev \
        && rm -rf /var/lib/apt/lists/*; \
    fi
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt requirements-ldap.txt /tmp/requirements/
RUN pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements/requirements.txt \
    && if [ "$WITH_LDAP" = "1" ]; then \
        pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements/requirements-ldap.txt; \
    fi

FROM ${PYTHON_IMAGE} AS runtime
ARG WITH_LDAP=0
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings \
    MEDIA_ROOT=/app/media
# hadolint ignore=DL3008
RUN if [ "$WITH_LDAP" = "1" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends libldap-2.5-0 libsasl2-2 \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && groupadd --system --gid 10001 concord \
    && useradd --system --uid 10001 --gid concord --home-dir /app --no-create-home --shell /usr/sbin/nologin concord
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# The code stays root's (read-only to the app); only uploads (MEDIA_ROOT) are the app user's to write.
COPY . /app
# DEBUG off needs a SECRET_KEY even to collect static files: a throwaway one, for this build step only (the real
# one comes from the environment at run time). Hashed file names (WhiteNoise's manifest), as production serves them.
RUN DEBUG=0 SECRET_KEY=build-time-only-not-a-secret python manage.py compile_catalogue \
    && DEBUG=0 SECRET_KEY=build-time-only-not-a-secret python manage.py collectstatic --no-input -v 0 \
    && install -d -o concord -g concord /app/media
USER 10001:10001
EXPOSE 8000
# GET /healthz answers 200 when the database and the broker answer. The Host header is the first ALLOWED_HOSTS
# entry, and X-Forwarded-Proto says https so that behind the TLS proxy (BEHIND_TLS_PROXY=1) the check is not
# redirected to HTTPS.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, http.client; host = (os.environ.get('ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.').replace('*', '') or 'localhost'; c = http.client.HTTPConnection('127.0.0.1', 8000, timeout=4); c.request('GET', '/healthz', headers={'Host': host, 'X-Forwarded-Proto': 'https'}); raise SystemExit(c.getresponse().status != 200)"]
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--worker-class", "gthread", "--threads", "2", "--access-logfile", "-"]
