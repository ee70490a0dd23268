"""VAT in whole cents (Dutch rates): computed per rate over the lines' net amounts and rounded
half up once per rate, as the invoice shows it. Never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

RATES = (21, 9, 0)  # percent: standard, reduced, zero/exempt


@dataclass(frozen=True)
class Totals:
    net_cents: int
    vat_cents: int
    by_rate: dict[int, tuple[int, int]]  # rate -> (net, vat)

    @property
    def total_cents(self) -> int:
        return self.net_cents + self.vat_cents


def vat_of(*, net_cents: int, rate: int) -> int:
    return int((Decimal(net_cents) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def vat_totals(*, lines: list[tuple[int, int]]) -> Totals:
    """``lines`` as (net cents, rate percent)."""
    net: dict[int, int] = {}
    for amount, rate in lines:
        net[rate] = net.get(rate, 0) + amount
    by_rate = {rate: (n, vat_of(net_cents=n, rate=rate)) for rate, n in sorted(net.items())}
    return Totals(
        net_cents=sum(n for n, _ in by_rate.values()),
        vat_cents=sum(v for _, v in by_rate.values()),
        by_rate=by_rate,
    )


def euros(cents: int) -> str:
    """1234 -> "12.34" (the sign kept), for pages, exports and letters."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole}.{rest:02d}"
