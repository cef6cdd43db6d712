"""Simplified Chinese formats on top of Django's own (config.settings.FORMAT_MODULE_PATH).

Django's zh_Hans writes dates as 2027年3月8日 already, but groups numbers in fours with no separator; money in
mainland China's business documents is written 1,234,567.00 — thousands separated by commas.
"""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
DECIMAL_SEPARATOR = "."

# One date format everywhere (2027年3月8日), with the time where it is needed.
DATE_FORMAT = "Y年n月j日"
SHORT_DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"
MONTH_DAY_FORMAT = "n月j日"
YEAR_MONTH_FORMAT = "Y年n月"
TIME_FORMAT = "H:i"
