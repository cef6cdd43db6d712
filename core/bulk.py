"""Fast inserts for large set-wise jobs: PostgreSQL COPY, or executemany elsewhere.

Django's bulk_create builds one model object and one parameter per cell; for tens of thousands of rows
written by a periodic job that costs seconds. These rows skip model instantiation entirely, so the
caller supplies every column (timestamps included).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models

from core import pagecache


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, column names as in the database) into ``model``'s table.
    On PostgreSQL the rows are streamed as they are made: the server inserts the first while the caller's
    generator makes the next (a job's two cores both at work). Returns the count."""
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in itertools.chain((first,), rows):
                    copy.write_row(row)
                    count += 1
        else:
            values = [first, *rows]
            count = len(values)
            placeholders = ", ".join(["%s"] * len(columns))
            # Table and column names come from model metadata, quoted; values are parameters.
            cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})", values)  # noqa: S608
    if connection.vendor == "postgresql":  # psycopg's COPY passes no execute wrapper: say what was written
        pagecache.wrote(model._meta.db_table)
    return count
