from __future__ import annotations

import datetime as dt

# 2027-03-01 10:00 in Shanghai
NOW = dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)
TODAY = dt.date(2027, 3, 1)
