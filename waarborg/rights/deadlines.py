"""When a rights request must be answered: deadlines as data (GDPR Art. 12(3)).

One calendar month after receipt, extendable by two further months (three after receipt). A
period in months is counted by Regulation (EEC, Euratom) No 1182/71, art. 3: the day of receipt
does not count, the period ends on the same date in the last month, and where that date does not
exist in that month (31 January + 1 month), on that month's last day; a period that would end on
a Saturday, Sunday or public holiday ends on the next working day (art. 3(4)).

Which days are public holidays: those of the Algemene termijnenwet (Atw), art. 3 lid 1, which
names as "algemeen erkende feestdagen": Nieuwjaarsdag (1 January), tweede Paasdag (Easter
Monday), Hemelvaartsdag (Ascension Day), tweede Pinksterdag (Whit Monday), both Christmas days
(25 and 26 December), "de dag waarop de verjaardag van de Koning wordt gevierd" and "de vijfde
mei". So: Good Friday is not one; 5 May is one every year, not only every fifth year (that rule
is of collective labour agreements, not of the Atw); King's Day is the day it is celebrated: 27
April, or 26 April when the 27th is a Sunday (Besluit van 2013 on Koningsdag; before 2014
Koninginnedag, 30 April, or 29 April when the 30th was a Sunday). Easter Sunday and Whit Sunday
are Sundays anyway. Art. 3 lid 2 lets a decree add days; none has been made.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta


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


def public_holidays(year: int) -> frozenset[date]:
    """The "algemeen erkende feestdagen" of art. 3 lid 1 Atw in ``year``."""
    sunday = easter(year)
    return frozenset(
        {
            date(year, 1, 1),
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
