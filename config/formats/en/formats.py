"""English formats on top of Django's own (config.settings.FORMAT_MODULE_PATH): one date format everywhere, day
first and the month in letters (8 Mar 2027) — never the US month-first 03/08/2027, which Chinese colleagues misread."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
TIME_FORMAT = "H:i"
