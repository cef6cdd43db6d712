"""Every translatable string in the code and templates is in the Simplified Chinese catalogue, translated.

``test_i18n`` checks the catalogue itself; this module checks the other direction: a string marked for
translation in a template or a Python module that was never extracted into ``django.po`` (someone forgot
``make messages``) would show in English to a Chinese user, so it fails here, naming file and string.
Extraction is done with Django's own template parser and Python's ``ast`` — no GNU gettext needed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import polib
from django.conf import settings
from django.template import engines
from django.templatetags.i18n import BlockTranslateNode, TranslateNode

BASE = Path(settings.BASE_DIR)
PO_PATH = BASE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SKIP_DIRS = {".venv", "frontend", "staticfiles", "static", "tests", "bench", "node_modules", ".git", "test-artifacts"}
GETTEXT_FUNCS = {
    "_": (None, 0),
    "gettext": (None, 0),
    "gettext_lazy": (None, 0),
    "_lazy": (None, 0),  # `gettext_lazy as _lazy` where `_` is the immediate gettext (teams/views.py)
    "gettext_now": (None, 0),  # `gettext as gettext_now` where `_` is the lazy one (risks/alerts.py)
    "gettext_noop": (None, 0),
    "ngettext": (None, 0),
    "ngettext_lazy": (None, 0),
    "pgettext": (0, 1),
    "pgettext_lazy": (0, 1),
    "npgettext": (0, 1),
    "npgettext_lazy": (0, 1),
}
# `{{ value|default:_("No channel") }}`: translated literals passed to filters.
FILTER_LITERAL = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")


def _project_files(suffix: str) -> Iterator[Path]:
    for path in BASE.rglob(f"*{suffix}"):
        parts = set(path.relative_to(BASE).parts[:-1])
        if parts & SKIP_DIRS:
            continue
        yield path


def _literal(value) -> str | None:
    return value if isinstance(value, str) else None


def python_messages() -> Iterator[tuple[Path, str | None, str]]:
    for path in _project_files(".py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in GETTEXT_FUNCS:
                continue
            context_index, message_index = GETTEXT_FUNCS[name]
            args = node.args
            if len(args) <= message_index or not isinstance(args[message_index], ast.Constant):
                continue
            message = _literal(args[message_index].value)
            context = None
            if context_index is not None:
                if not isinstance(args[context_index], ast.Constant):
                    continue
                context = _literal(args[context_index].value)
            if message:
                yield path, context, message


def _context_of(node) -> str | None:
    ctx = getattr(node, "message_context", None)
    if ctx is None:
        return None
    var = getattr(ctx, "var", ctx)
    literal = getattr(var, "literal", var)
    return literal if isinstance(literal, str) else None


def template_messages() -> Iterator[tuple[Path, str | None, str]]:
    engine = engines["django"].engine
    for path in _project_files(".html"):
        if "templates" not in path.relative_to(BASE).parts:
            continue
        source = path.read_text(encoding="utf-8")
        template = engine.from_string(source)
        for node in template.nodelist.get_nodes_by_type(TranslateNode):
            literal = getattr(node.filter_expression.var, "literal", None)
            if isinstance(literal, str) and literal:
                # Django doubles "%" in template literals before the lookup (and undoes it after).
                yield path, _context_of(node), str(literal).replace("%", "%%")
        for node in template.nodelist.get_nodes_by_type(BlockTranslateNode):
            singular, _vars = node.render_token_list(node.singular)
            if singular:
                yield path, _context_of(node), singular
        for match in FILTER_LITERAL.finditer(source):
            literal = match.group(1) if match.group(1) is not None else match.group(2)
            yield path, None, literal.replace("%", "%%")


def _catalogue_keys() -> dict[tuple[str | None, str], polib.POEntry]:
    return {(entry.msgctxt, entry.msgid): entry for entry in polib.pofile(str(PO_PATH)) if not entry.obsolete}


def test_extraction_finds_the_strings_it_should():
    """Guards the guard: if the walkers stopped finding strings, the coverage test below would pass vacuously."""
    py = {message for _path, _ctx, message in python_messages()}
    html = {message for _path, _ctx, message in template_messages()}
    assert "Simplified Chinese" in py  # config/settings.py
    assert "My teams" in html  # core/templates/core/home.html, {% translate %}
    assert "No channel" in html  # a filter argument
    assert len(py) > 300 and len(html) > 300


def test_every_marked_string_is_in_the_catalogue_and_translated():
    catalogue = _catalogue_keys()
    missing: list[str] = []
    for path, context, message in [*python_messages(), *template_messages()]:
        entry = catalogue.get((context, message))
        if entry is None or not (entry.msgstr or any(entry.msgstr_plural.values())) or entry.fuzzy:
            where = path.relative_to(BASE)
            missing.append(f"{where}: {message!r}" + (f" (context {context!r})" if context else ""))
    assert not missing, "strings not in locale/zh_Hans django.po (run `make messages` and translate):\n" + "\n".join(
        sorted(set(missing))
    )
