"""Simplified Chinese formats on top of Django's own (config.settings.FORMAT_MODULE_PATH).

Django's zh_Hans writes dates as 2027年3月8日 already, but groups numbers in fours with no separator; money in
mainland China's business documents is written 1,234,567.00 — thousands separated by commas.
"""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
DECIMAL_SEPARATOR = "."
