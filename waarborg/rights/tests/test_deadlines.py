"""Deadlines: one calendar month (three when extended) after receipt, Regulation 1182/71, moved
past Saturdays, Sundays and the days of art. 3 Algemene termijnenwet (holidays, Good Friday and
the days a decree equates with them).

Every expected date below was worked out by hand from a calendar; the comment says why."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from waarborg.rights.deadlines import (
    add_months,
    due_date,
    easter,
    extended_date,
    is_working_day,
    public_holidays,
)

D = date.fromisoformat

DUE = [
    ("2025-01-15", "2025-02-17", "15 Feb 2025 is a Saturday"),
    ("2025-01-31", "2025-02-28", "no 31 February: the month's last day, a Friday"),
    ("2024-01-31", "2024-02-29", "leap year: 29 February 2024, a Thursday"),
    ("2024-02-29", "2024-04-02", "Good Friday 29 March 2024 (lid 2), weekend, Easter Monday"),
    ("2025-03-31", "2025-04-30", "no 31 April"),
    ("2025-05-31", "2025-06-30", "no 31 June; a Monday"),
    ("2023-12-01", "2024-01-02", "New Year's Day 2024 is a Monday"),
    ("2025-12-31", "2026-02-02", "31 January 2026 is a Saturday"),
    ("2026-01-01", "2026-02-02", "1 February 2026 is a Sunday"),
    ("2025-03-21", "2025-04-22", "21 April 2025 is Easter Monday"),
    ("2025-04-29", "2025-06-02", "Ascension Day 29 May 2025, Friday 30 May by decree, weekend"),
    ("2025-12-02", "2026-01-05", "2 January 2026, a Friday, is equated by decree"),
    ("2024-11-27", "2024-12-30", "Christmas Wed/Thu 2024, Friday 27 December by decree"),
    ("2025-05-09", "2025-06-10", "9 June 2025 is Whit Monday"),
    ("2026-03-27", "2026-04-28", "27 April 2026 is King's Day, a Monday"),
    ("2025-03-26", "2025-04-28", "King's Day 2025 moved to Saturday 26 April; 27th a Sunday"),
    ("2026-04-05", "2026-05-06", "5 May 2026, a Tuesday, is a holiday"),
    ("2027-04-05", "2027-05-10", "5 May 2027 (no lustrum year), Ascension 6 May, 7 May decree"),
    ("2025-11-25", "2025-12-29", "Christmas Thu 25 and Fri 26, then the weekend"),
    ("2025-11-26", "2025-12-29", "Boxing Day Friday, then the weekend"),
    ("2025-06-10", "2025-07-10", "an ordinary Thursday"),
]

EXTENDED = [
    ("2025-11-30", "2026-03-02", "28 February 2026 is a Saturday"),
    ("2023-11-30", "2024-02-29", "leap year"),
    ("2025-09-25", "2025-12-29", "Christmas and the weekend"),
    ("2025-10-31", "2026-02-02", "31 January 2026 is a Saturday"),
    ("2026-02-05", "2026-05-06", "5 May 2026"),
]


@pytest.mark.parametrize(("received", "due", "why"), DUE, ids=[c[2] for c in DUE])
def test_due_dates_checked_by_hand(received, due, why):
    assert due_date(D(received)) == D(due), why


@pytest.mark.parametrize(("received", "until", "why"), EXTENDED, ids=[c[2] for c in EXTENDED])
def test_extended_dates_checked_by_hand(received, until, why):
    assert extended_date(D(received)) == D(until), why


EASTER = [
    "2000-04-23",
    "2001-04-15",
    "2002-03-31",
    "2003-04-20",
    "2004-04-11",
    "2005-03-27",
    "2006-04-16",
    "2007-04-08",
    "2008-03-23",
    "2009-04-12",
    "2010-04-04",
    "2011-04-24",
    "2012-04-08",
    "2013-03-31",
    "2014-04-20",
    "2015-04-05",
    "2016-03-27",
    "2017-04-16",
    "2018-04-01",
    "2019-04-21",
    "2020-04-12",
    "2021-04-04",
    "2022-04-17",
    "2023-04-09",
    "2024-03-31",
    "2025-04-20",
    "2026-04-05",
    "2027-03-28",
    "2028-04-16",
    "2029-04-01",
    "2030-04-21",
    "2038-04-25",
    "2285-03-22",
]


def test_easter_sunday_matches_the_published_dates():
    assert [easter(D(d).year) for d in EASTER] == [D(d) for d in EASTER]


def test_the_days_of_2026_are_those_art_3_atw_names_and_the_decree_adds():
    assert sorted(public_holidays(2026)) == [
        D("2026-01-01"),  # Nieuwjaarsdag
        D("2026-01-02"),  # by decree (lid 3)
        D("2026-04-03"),  # Goede Vrijdag (lid 2)
        D("2026-04-06"),  # tweede Paasdag
        D("2026-04-27"),  # Koningsdag
        D("2026-05-05"),  # vijfde mei
        D("2026-05-14"),  # Hemelvaartsdag
        D("2026-05-15"),  # by decree (lid 3)
        D("2026-05-25"),  # tweede Pinksterdag
        D("2026-12-25"),  # eerste Kerstdag
        D("2026-12-26"),  # tweede Kerstdag
    ]


def test_kings_day_before_2014_was_queens_day_and_a_plain_friday_works():
    assert not is_working_day(D("2013-04-30"))
    assert is_working_day(D("2013-05-03"))
    assert D("2014-04-26") in public_holidays(2014)  # 27 April 2014 was a Sunday


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(D("2025-08-31"), 1) == D("2025-09-30")
    assert add_months(D("2025-12-15"), 3) == D("2026-03-15")
    assert add_months(D("2100-01-29"), 1) == D("2100-02-28")  # 2100 is no leap year


dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2200, 12, 31))


@given(dates)
def test_the_due_date_is_a_working_day_a_calendar_month_on(received):
    due = due_date(received)
    assert is_working_day(due)
    # At most nine days are skipped (a Saturday 2 May before 5 May, Ascension and decree days).
    assert received + timedelta(days=28) <= due <= received + timedelta(days=31 + 9)
    target = add_months(received, 1)
    assert due >= target
    # Only non-working days were skipped.
    skipped = [target + timedelta(days=n) for n in range((due - target).days)]
    assert not any(is_working_day(day) for day in skipped)


@given(dates)
def test_the_extension_reaches_three_months_and_never_shortens(received):
    until = extended_date(received)
    assert is_working_day(until)
    assert until >= received + timedelta(days=89)
    assert until > due_date(received) + timedelta(days=55)


@given(dates, st.integers(min_value=0, max_value=400))
def test_a_later_receipt_never_has_an_earlier_deadline(received, later):
    other = received + timedelta(days=later)
    assert due_date(other) >= due_date(received)
    assert extended_date(other) >= extended_date(received)
