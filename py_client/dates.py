"""How a date is written for people, one way across the site: "2 December 2026", or "2 Dec 2026" where room
is short. Day, month spelled out, year: it reads the same in every English locale (no 12/1 against 1/12), and
Python writes it without locale data. The browser's half is ``docs/assets/js/core/format.mjs``; a test holds the
two to the same text."""

from __future__ import annotations

import datetime as dt


def long_date(day: dt.date | str) -> str:
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.day} {day:%B} {day.year}"


def short_date(day: dt.date | str, *, with_year: bool = True) -> str:
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.day} {day:%b}" + (f" {day.year}" if with_year else "")
