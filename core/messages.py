"""Notification messages kept as a key and parameters, written in the reader's language when read (SPEC 10.4).

A notification stores *which* message it is (``Message.key``) and its parameters as JSON; its text is rendered
whenever somebody reads or sends it — in the inbox and the API in the reader's current language, in an email in
the recipient's, in a team chat in the team's. A Chinese reader who switched language yesterday reads last
week's notices in Chinese.

Each app declares its messages in its ``notices.py`` module (found by :func:`autodiscover`), e.g.::

    RED_ALERT = message("risks.alert.red", NotificationVerb.RISK_ALERT,
                        _("Red alert on risk “%(risk)s” (%(campaign)s): urgent intervention needed."))

Parameters that must follow the reader's language are encoded, not pre-rendered: a date or date-and-time, an
amount of money (:class:`Money`), an interface label such as a role or a category (a lazy translation, e.g.
``TeamRole.LEAD.label``), a list (joined with ``、`` in Chinese, ``, `` in English) and :class:`Words` (parts
joined with a space, such as a campaign code and a meeting kind). Everything else is data (names, titles, codes)
and shown as entered.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class Message:
    """One notification text: a stable key (stored on the notification), its verb and its lazy template."""

    key: str
    verb: str
    text: Promise
    # Parameter kinds used only to read old, pre-rendered rows back (see ``parse``): name → "date" | "datetime".
    kinds: Mapping[str, str] = field(default_factory=dict)

    @property
    def placeholders(self) -> list[str]:
        return PLACEHOLDER.findall(msgid(self.text))


MESSAGES: dict[str, Message] = {}


def message(key: str, verb: str, text: Promise, **kinds: str) -> Message:
    """Declare a message (once per key; the registry is what old notifications are rendered from)."""
    existing = MESSAGES.get(key)
    if existing is not None and msgid(existing.text) != msgid(text):
        raise ValueError(f"Notification message {key!r} is declared twice with different texts.")
    MESSAGES[key] = Message(key=key, verb=str(verb), text=text, kinds=kinds)
    return MESSAGES[key]


def autodiscover() -> None:
    """Import every installed app's ``notices`` module so the registry is complete (web, worker, shell)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("notices")


def msgid(text: Any) -> str:
    """The untranslated source of a lazy ``gettext_lazy`` text (its msgid); a plain string is its own msgid."""
    return _label_source(text)[1]


def _label_source(text: Any) -> tuple[str, str]:
    """(context, msgid) of a lazy ``gettext_lazy`` / ``pgettext_lazy`` text; a plain string is its own msgid."""
    if isinstance(text, Promise):
        args = getattr(text, "_args", ())
        if len(args) == 1 and isinstance(args[0], str):
            return "", args[0]
        if len(args) == 2 and all(isinstance(a, str) for a in args):
            return args[0], args[1]
        raise TypeError("Only gettext_lazy and pgettext_lazy texts can be stored as labels (no plurals).")
    return "", str(text)


# --- Parameters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    """An amount in CNY, written ``28,000,000.00 CNY`` in English and ``28,000,000.00元`` in Chinese."""

    amount: Decimal | int | str


@dataclass(frozen=True)
class Words:
    """Parts shown one after the other with a space, each encoded on its own (``WD-2027 周例会``)."""

    parts: tuple[Any, ...]

    def __init__(self, *parts: Any) -> None:
        object.__setattr__(self, "parts", tuple(parts))


_AS_IS = frozenset({str, int, float, bool})


def encode(value: Any) -> Any:
    """A parameter as JSON that keeps what must be written in the reader's language."""
    if value is None or type(value) in _AS_IS:  # most parameters (names, codes, counts): checked first
        return value
    if isinstance(value, dt.datetime):
        return {"$dt": value.replace(tzinfo=None).isoformat(timespec="minutes")}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    if isinstance(value, Money):
        return {"$cny": str(Decimal(str(value.amount)).quantize(Decimal("0.01")))}
    if isinstance(value, Words):
        return {"$words": [encode(part) for part in value.parts]}
    if isinstance(value, Promise):
        context, source = _label_source(value)
        return {"$t": source, "$c": context} if context else {"$t": source}
    if isinstance(value, list | tuple):
        return {"$list": [encode(item) for item in value]}
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def encode_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    return {key: encode(value) for key, value in (params or {}).items()}


def decode(value: Any) -> Any:
    """A stored parameter as text in the active language."""
    if isinstance(value, dict) and "$t" in value:
        source, context = value.get("$t") or "", value.get("$c") or ""
        if not source:
            return ""
        return pgettext(context, source) if context else gettext(source)
    if isinstance(value, dict) and len(value) == 1:
        ((kind, raw),) = value.items()
        try:
            if kind == "$dt":
                return date_format(dt.datetime.fromisoformat(raw), "DATETIME_FORMAT")
            if kind == "$d":
                return date_format(dt.date.fromisoformat(raw), "DATE_FORMAT")
            if kind == "$cny":
                from core.formatting import cny_text

                return cny_text(Decimal(raw))
            if kind == "$words":
                return " ".join(str(decode(part)) for part in raw)
            if kind == "$list":
                separator = "、" if (translation.get_language() or "").startswith("zh") else ", "
                return separator.join(str(decode(item)) for item in raw)
        except (TypeError, ValueError, InvalidOperation):
            return str(raw)
    return "" if value is None else value


def render(msg: Message, params: Mapping[str, Any], language: str | None = None) -> str:
    """``msg`` in ``language`` (the active one by default) with its stored parameters filled in.

    A parameter missing from old rows is shown as "—" rather than failing the whole inbox."""
    with translation.override(language) if language else nullcontext():
        return fill(msg, str(msg.text), params)


def remembering_decode() -> Callable[[Any], Any]:
    """:func:`decode` that writes each date, amount and label once and then remembers it: for loops that fill
    many rows in one language (thirty thousand alert notices share a few dozen dates; formatting a date in the
    reader's language was most of an alert refresh's time). Use one per language."""
    memo: dict[tuple, Any] = {}

    def remembered(value: Any) -> Any:
        if isinstance(value, dict) and all(isinstance(part, str) for part in value.values()):
            key = tuple(value.items())
            try:
                return memo[key]
            except KeyError:
                memo[key] = text = decode(value)
                return text
        return decode(value)

    return remembered


@functools.lru_cache(maxsize=512)
def _placeholders(template: str) -> tuple[str, ...]:
    """The names in a translated template, found once per template (fill runs once per row of a large job)."""
    return tuple(PLACEHOLDER.findall(template))


def fill(msg: Message, template: str, params: Mapping[str, Any], decoder: Callable[[Any], Any] = decode) -> str:
    """``template`` (``msg`` already translated into the active language) with the stored parameters filled in —
    for loops that translate a message once and fill it for many rows (pass them a :func:`remembering_decode`)."""
    values = dict.fromkeys(_placeholders(template), "—")
    values.update({key: decoder(value) for key, value in params.items()})
    try:
        return template % values
    except (KeyError, TypeError, ValueError):
        return msgid(msg.text) % {name: values.get(name, "—") for name in msg.placeholders}


def render_stored(key: str, params: Mapping[str, Any], fallback: str, language: str | None = None) -> str:
    """A stored notification's text; a key no longer declared falls back to the text written at creation."""
    msg = MESSAGES.get(key) if key else None
    if msg is None:
        return fallback
    return render(msg, params or {}, language)


# --- Reading old rows back ------------------------------------------------------------------------------------


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(%\(\w+\)s)", template.replace("%%", "%"))
    regex = []
    seen: set[str] = set()
    for part in parts:
        name = PLACEHOLDER.fullmatch(part)
        if name and name.group(1) not in seen:
            seen.add(name.group(1))
            regex.append(f"(?P<{name.group(1)}>.*?)")
        elif name:
            regex.append(".*?")
        else:
            regex.append(re.escape(part))
    return re.compile("^" + "".join(regex) + "$", re.S)


def _parse_date(text: str, kind: str) -> Any:
    """``8 Mar 2027`` / ``2027年3月8日`` (and their date-and-time forms) back to dates; other text as is."""
    formats = {
        "date": ["%d %b %Y", "%Y年%m月%d日", "%Y-%m-%d"],
        "datetime": ["%d %b %Y, %H:%M", "%Y年%m月%d日 %H:%M", "%Y-%m-%d %H:%M"],
    }[kind]
    for fmt in formats:
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return encode(parsed.date() if kind == "date" else parsed)
    return text


def parse(verb: str, text: str) -> tuple[str, dict[str, Any]] | None:
    """The message and parameters that wrote ``text`` (in any language), or None: used once, to migrate the
    notifications written before messages were stored (their names stay as written)."""
    for msg in MESSAGES.values():
        if msg.verb != verb:
            continue
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                match = _pattern(str(msg.text)).match(text)
            if match:
                params = {
                    key: _parse_date(value, msg.kinds[key]) if key in msg.kinds else value
                    for key, value in match.groupdict().items()
                }
                return msg.key, params
    return None
