"""The limits table at the top of docs/performance.md: each section records, as it measures, the
figures that the issues and targets.md set a limit for; `make bench` renders them in one table
(measured value, limit, ratio, met) so that one run shows where the project stands."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """One measured figure against its limit (`at_most`: the value must not exceed the limit)."""

    what: str
    value: float
    limit: float
    unit: str
    at_most: bool = True
    source: str = ""

    @property
    def ratio(self) -> float:
        """value / limit: at most 1 is met for an upper limit, at least 1 for a lower one."""
        return self.value / self.limit if self.limit else float("inf")

    @property
    def met(self) -> bool:
        return self.value <= self.limit if self.at_most else self.value >= self.limit


_ROWS: list[Limit] = []
_UNMEASURED: list[tuple[str, str]] = []


def record(what: str, value: float, limit: float, unit: str, *, at_most: bool = True,
           source: str = "") -> None:
    """Add a measured figure (seconds as "s", throughputs as "GB/s", counts as "" …)."""
    _ROWS.append(Limit(what, value, limit, unit, at_most, source))


def unmeasured(what: str, why: str) -> None:
    """Say that a limited figure was not measured in this run, and why (it still gets a row)."""
    _UNMEASURED.append((what, why))


def clear() -> None:
    _ROWS.clear()
    _UNMEASURED.clear()


def _fmt(value: float, unit: str) -> str:
    if unit == "s" and value < 1:
        return f"{value * 1000:.1f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "gas":
        return f"{value:,.0f} gas"
    if unit == "/s":
        return f"{value:,.0f}/s"
    return f"{value:.2f} {unit}".rstrip()


def render() -> str:
    """The table, in the order the sections recorded their rows."""
    lines = ["## Limits: every figure with a target, from this run", "",
             "Each row is measured in the section named in the last column, in this run. Ratio = measured ÷ "
             "limit (an upper limit is met at ≤ 1, a lower one at ≥ 1).", "",
             "| what | measured | limit | ratio | met | section |", "|---|---|---|---|---|---|"]
    for row in _ROWS:
        bound = ("≤ " if row.at_most else "≥ ") + _fmt(row.limit, row.unit)
        lines.append(f"| {row.what} | {_fmt(row.value, row.unit)} | {bound} | {row.ratio:.2f} | "
                     f"{'yes' if row.met else '**no**'} | {row.source} |")
    for what, why in _UNMEASURED:
        lines.append(f"| {what} | not measured: {why} | | | | |")
    met = sum(r.met for r in _ROWS)
    lines += ["", f"{met} of {len(_ROWS)} measured limits met"
              + (f"; {len(_UNMEASURED)} not measured." if _UNMEASURED else "."), ""]
    return "\n".join(lines)
