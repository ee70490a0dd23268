"""When a rights request must be answered: deadlines as data (GDPR Art. 12(3)).

One calendar month after receipt, extendable by two further months (three after receipt). A
period in months is counted by Regulation (EEC, Euratom) No 1182/71, art. 3: the day of receipt
does not count, the period ends on the same date in the last month, and where that date does not
exist in that month (31 January + 1 month), on that month's last day; a period that would end on
a Saturday, Sunday or public holiday ends on the next working day (art. 3(4)).

Which days are public holidays: those of the Algemene termijnenwet (Atw), art. 3.
- Lid 1 names the "algemeen erkende feestdagen": Nieuwjaarsdag (1 January), de Christelijke
  tweede Paas- en Pinksterdag (Easter Monday, Whit Monday), de beide Kerstdagen (25 and 26
  December), Hemelvaartsdag (Ascension Day), "de dag waarop de verjaardag van de Koning wordt
  gevierd" and "de vijfde mei". King's Day is the day it is celebrated: 27 April, or Saturday 26
  April when the 27th is a Sunday (before 2014 Queen's Day, 30 April, or the 29th when the 30th
  was a Sunday). 5 May counts every year, not only every fifth year (that is a rule of labour
  agreements about a day off, not of the Atw). Easter and Whit Sunday are Sundays anyway.
- Lid 2 equates Goede Vrijdag (Good Friday) with those days.
- Lid 3 lets the Crown equate further days by decree, published in the Staatscourant, usually
  for three years at a time: the Friday after Ascension Day and bridge days after a holiday on a
  Thursday. Those decrees are data: EQUATED below lists them, and `waarborg check` warns once the
  calendar passes the last year they cover, so the next decree is added in time.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import lru_cache


def easter(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous algorithm of Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def kings_day(year: int) -> date:
    """The day the monarch's birthday is celebrated: moved to the Saturday before when the
    birthday falls on a Sunday."""
    birthday = date(year, 4, 27) if year >= 2014 else date(year, 4, 30)
    return birthday - timedelta(days=1) if birthday.weekday() == 6 else birthday


# Art. 3 lid 3 Atw: days equated with a holiday by decree.
EQUATED: dict[str, tuple[date, ...]] = {
    "Besluit gelijkstelling van 28 april 2023, 19 mei 2023, 10 mei 2024, 27 december 2024 en "
    "30 mei 2025 met een algemeen erkende feestdag": (
        date(2023, 4, 28),
        date(2023, 5, 19),
        date(2024, 5, 10),
        date(2024, 12, 27),
        date(2025, 5, 30),
    ),
    "Besluit gelijkstelling van 2 januari 2026, 15 mei 2026, 7 mei 2027, 28 april 2028 en "
    "26 mei 2028 met een algemeen erkende feestdag": (
        date(2026, 1, 2),
        date(2026, 5, 15),
        date(2027, 5, 7),
        date(2028, 4, 28),
        date(2028, 5, 26),
    ),
}
EQUATED_UNTIL = 2028  # the last year the decrees above cover


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    """The days of art. 3 Atw in ``year``: the holidays of lid 1, Good Friday (lid 2) and the
    days a decree equates with them (lid 3)."""
    sunday = easter(year)
    decreed = {day for days in EQUATED.values() for day in days if day.year == year}
    return frozenset(
        {
            *decreed,
            date(year, 1, 1),
            sunday - timedelta(days=2),  # Goede Vrijdag (lid 2)
            sunday + timedelta(days=1),  # tweede Paasdag
            sunday + timedelta(days=39),  # Hemelvaartsdag
            sunday + timedelta(days=50),  # tweede Pinksterdag
            kings_day(year),
            date(year, 5, 5),
            date(year, 12, 25),
            date(year, 12, 26),
        }
    )


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def next_working_day(day: date) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_months(day: date, months: int) -> date:
    """The same date ``months`` later; that month's last day when the date does not exist."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(received: date) -> date:
    """The last day to answer a request received on ``received`` (Art. 12(3): one month)."""
    return next_working_day(add_months(received, 1))


def extended_date(received: date) -> date:
    """The last day an extension can reach (two further months: three after receipt)."""
    return next_working_day(add_months(received, 3))
