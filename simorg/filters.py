"""Date filters as GitHub and PagerDuty read them from a query string."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta, timezone

ONE_MICROSECOND = timedelta(microseconds=1)


class InvalidFilter(ValueError):
    pass


def parse_instant(text: str) -> datetime:
    """An ISO-8601 date or date-time; no offset means UTC. A '+' decoded as ' ' is put back."""
    text = text.strip()
    if "T" in text and " " in text:
        text = text.replace(" ", "+")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidFilter(f"not an ISO-8601 date or time: {text!r}") from error
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _span(text: str) -> tuple[datetime, datetime]:
    """The half-open interval [start, end) a value names: a whole day for a bare date, one
    instant for a date-time."""
    start = parse_instant(text)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        return start, start + timedelta(days=1)
    return start, start + ONE_MICROSECOND


def created_range(expression: str) -> tuple[datetime | None, datetime | None]:
    """GitHub's date-range syntax (`>=D`, `>D`, `<=D`, `<D`, `A..B`, `A..*`, `*..B`, `D`) as a
    half-open interval [low, high); None means unbounded."""
    expression = expression.strip()
    if ".." in expression:
        low_text, high_text = expression.split("..", 1)
        low = None if low_text == "*" else _span(low_text)[0]
        high = None if high_text == "*" else _span(high_text)[1]
        return low, high
    for operator in (">=", "<=", ">", "<"):
        if expression.startswith(operator):
            start, end = _span(expression[len(operator):])
            return {">=": (start, None), ">": (end, None), "<": (None, start), "<=": (None, end)}[operator]
    return _span(expression)


def add_months(value: datetime, months: int) -> datetime:
    """The same day and time `months` later (or earlier), clamped to the month's last day."""
    month_index = value.month - 1 + months
    year, month = value.year + month_index // 12, month_index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)
