"""The seed's "4321" budget guide and which spend counts towards which of its four parts — the one place that says so.

The operations-promotion plan (seeds, 7.1) recommends putting 40 % of a budget into core channels (頭部社交媒體,
自有APP: the channels that bring people in), 30 % into content (內容生態), 20 % into tools and data (技術工具與數據
分析) and keeping 10 % in reserve (應急資金), then re-balancing monthly by what each channel returns.

A budget line belongs to one part, decided in this order:

1. Its category says what the money is for, whatever channel it names:
   emergency and partner-reserve lines are the **reserve**; tech development is **tools and data**;
   materials (creatives, H5 pages, posters) are **content**.
2. Otherwise the line's channel decides: content and live-streaming channels are **content**; every other channel
   type (app push, SMS, social media, search, e-commerce, stores, partners) is a **core channel**.
3. Otherwise (no channel): channel promotion and advertising are **core channels**; benefits procurement, labour
   and "other" are **outside the guide** — the guide has no part for them. They still count in the total, so a
   plan that spends a quarter on benefits shows the four parts a quarter short, and says so in a note.

Shares are of the whole amount (planned or spent), outside-the-guide lines included. A part whose share departs
from the guide by more than :data:`NOTE_POINTS` percentage points gets a plain-language note — for the plan, and
for the spend so far, except a reserve spent below its share (a reserve is kept, not spent).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from budgets.models import LineCategory
from campaigns.models import ChannelType

CORE_CHANNELS = "core_channels"
CONTENT = "content"
TOOLS_AND_DATA = "tools_and_data"
RESERVE = "reserve"
OUTSIDE = "outside"

# The guide, in the seed's order: (part, label, share of the budget in %). OUTSIDE has no share in the guide.
GUIDE: tuple[tuple[str, object, Decimal | None], ...] = (
    (CORE_CHANNELS, _("Core channels"), Decimal(40)),
    (CONTENT, _("Content"), Decimal(30)),
    (TOOLS_AND_DATA, _("Tools and data"), Decimal(20)),
    (RESERVE, _("Reserve"), Decimal(10)),
    (OUTSIDE, _("Outside the guide"), None),
)
GROUPS = tuple(code for code, _label, _share in GUIDE)

# A note is written where a share is more than this many percentage points away from the guide.
NOTE_POINTS = Decimal(5)

# Step 1: categories that decide the part whatever the channel.
BY_CATEGORY = {
    LineCategory.EMERGENCY: RESERVE,
    LineCategory.PARTNER_RESERVE: RESERVE,
    LineCategory.TECH_DEVELOPMENT: TOOLS_AND_DATA,
    LineCategory.MATERIALS: CONTENT,
}
# Step 2: the channel's type.
BY_CHANNEL_TYPE = {
    ChannelType.CONTENT: CONTENT,
    ChannelType.LIVE: CONTENT,
    ChannelType.APP_PUSH: CORE_CHANNELS,
    ChannelType.SMS: CORE_CHANNELS,
    ChannelType.SOCIAL: CORE_CHANNELS,
    ChannelType.SEARCH: CORE_CHANNELS,
    ChannelType.ECOMMERCE: CORE_CHANNELS,
    ChannelType.OFFLINE_STORE: CORE_CHANNELS,
    ChannelType.PARTNER: CORE_CHANNELS,
}
# Step 3: lines without a channel.
WITHOUT_CHANNEL = {
    LineCategory.CHANNEL_PROMOTION: CORE_CHANNELS,
    LineCategory.ADVERTISING: CORE_CHANNELS,
    LineCategory.BENEFITS_PROCUREMENT: OUTSIDE,
    LineCategory.LABOUR: OUTSIDE,
    LineCategory.OTHER: OUTSIDE,
}


def group_of_line(category: str, channel_type: str | None) -> str:
    """The guide's part a budget line (or spend on it) belongs to: by category first, then channel, see above."""
    if category in BY_CATEGORY:
        return BY_CATEGORY[category]
    if channel_type:
        return BY_CHANNEL_TYPE.get(channel_type, CORE_CHANNELS)
    return WITHOUT_CHANNEL.get(category, OUTSIDE)


def group_of_channel(channel_type: str) -> str:
    """The part a channel's own spend counts towards (core channels or content)."""
    return BY_CHANNEL_TYPE.get(channel_type, CORE_CHANNELS)


def group_label(group: str) -> object:
    """The part's name for people."""
    return next(label for code, label, _share in GUIDE if code == group)
