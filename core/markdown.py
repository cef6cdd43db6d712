"""Markdown for what people write (task descriptions, comments; SPEC 10.3), rendered to HTML that is safe to show.

Two maintained libraries, no hand-written escaping: markdown-it-py parses CommonMark with raw HTML switched off
(so ``<script>`` arrives as text) and refuses ``javascript:``/``vbscript:``/``data:`` link targets; nh3 (the
Ammonia sanitiser) then keeps only an allow-list of tags and attributes and adds ``rel="noopener noreferrer"``
to links — a second wall should a parser bug let something through. ``@username`` mentions are marked with a
styled span; who is notified is the caller's business (see ``mentioned_usernames``).
"""

from __future__ import annotations

import re

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)
ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "span": {"class"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}

# A mention: @ then a username (Django's default characters), not preceded by a word character or a dot (so
# e-mail addresses are not mentions).
MENTION = re.compile(r"(?<![\w.@])@([\w.@+-]{1,150})(?<![.])")


def render_markdown(text: str) -> SafeString:
    """``text`` (Markdown) as sanitised HTML, mentions marked with ``<span class="mention">``."""
    if not text:
        return mark_safe("")
    html = _PARSER.render(text)
    html = _mark_mentions(html)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 output: an allow-list of tags, attributes and URL schemes


def _mark_mentions(html: str) -> str:
    """Wrap ``@name`` in text (not inside tags or code) with a span; the HTML is markdown-it's own output."""
    parts = re.split(r"(<[^>]+>)", html)
    in_code = 0
    for i, part in enumerate(parts):
        if part.startswith("<"):
            tag = part.lower()
            if tag.startswith(("<code", "<pre")):
                in_code += 1
            elif tag.startswith(("</code", "</pre")):
                in_code = max(0, in_code - 1)
            continue
        if not in_code:
            parts[i] = MENTION.sub(lambda m: f'<span class="mention">@{m.group(1)}</span>', part)
    return "".join(parts)


def mentioned_usernames(text: str) -> list[str]:
    """The distinct usernames ``@``-mentioned in ``text``, in order of first appearance (code spans included:
    a mention is an intent to notify, however it is formatted)."""
    seen: dict[str, None] = {}
    for match in MENTION.finditer(text or ""):
        seen.setdefault(match.group(1), None)
    return list(seen)
