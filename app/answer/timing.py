"""When: the time a question asks about, and whether an article is from that time.

Scope: a question that names one time ("in 2019", "in May 2019", "on September 17") prefers
evidence from articles dated then, and the answer says so when its best evidence is from
another time. A question about events (when, what happened, a named time) lists the articles
it names in the order of their dates. Article dates come from their headers (ISO dates).
Not here: dates inside the articles' text as answers (values.py, disagree.py).
"""

from __future__ import annotations

import datetime as dt
import re

from app.answer.dated import short_date
from app.answer.values import Value, dates_in

AFTER_THE_DAY = 2  # days: a report of an event is dated that day or up to this many days after it
_EVENTS = re.compile(r"\b(?:when|what happened|happen(?:ed|s)?|events?|timeline|chronology|first|latest|since|after|before|during)\b", re.I)


def asked_time(question: str) -> Value | None:
    """The one time the question names ("May 2019", "2019", "September 17"), or None."""
    found = [v for v in dates_in(question) if v.norm[0] or v.norm[1]]  # a weekday alone is no time
    return found[0] if len(found) == 1 else None


def about_events(question: str) -> bool:
    """Whether the question is about what happened when, so named articles go in date order."""
    return bool(_EVENTS.search(question) or asked_time(question))


def article_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def in_time(date: str, asked: Value | None) -> bool | None:
    """Whether an article dated `date` is from the asked time: the same year (and month) when
    those are asked, for a day that day or up to AFTER_THE_DAY days later (any year, when the
    question gives none). None when nothing is asked or the article's date is unknown."""
    day = article_date(date)
    if asked is None or day is None:
        return None
    year, month, mday, _ = asked.norm
    if mday and month:
        for y in ([year] if year else [day.year, day.year - 1]):
            try:
                delta = (day - dt.date(y, month, mday)).days
            except ValueError:
                return False
            if 0 <= delta <= AFTER_THE_DAY:
                return True
        return False
    return (year is None or day.year == year) and (month is None or day.month == month)


def elsewhere_note(asked: Value | None, date: str) -> str:
    """" The closest evidence is from 6 Oct 2008, not September 17." when the quoted article is
    from another time than the one asked ("" otherwise, or when its date is unknown)."""
    if in_time(date, asked) is not False:
        return ""
    return f" The closest evidence is from {short_date(date)}, not {asked.text}."


def date_key(date: str) -> tuple:
    """Sort key: dated articles by date, then the undated ones."""
    day = article_date(date)
    return (0, day.isoformat()) if day else (1, "")
