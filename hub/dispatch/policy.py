"""Pure queue rules: service day, call order under the priority ratio and the fairness cap, estimates.

>>> rule = CallRule.parse("2:1")
>>> order = project_order(
...     [Waiting(1, "prioritas", 0.0), Waiting(2, "prioritas", 1.0), Waiting(3, "prioritas", 2.0)],
...     [Waiting(4, "umum", 0.5)], history=[], rule=rule, now=3.0, fairness_s=0)
>>> [w.key for w in order]
[1, 2, 4, 3]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Category = Literal["prioritas", "umum"]


@dataclass(frozen=True)
class CallRule:
    """``strict`` (priority always first) or ``N:M`` (after N priority calls in a row, M general ones)."""

    priority: int
    general: int
    strict: bool = False

    @classmethod
    def parse(cls, text: str) -> CallRule:
        if text == "strict":
            return cls(1, 0, strict=True)
        n, m = (int(part) for part in text.split(":"))
        if n < 1 or m < 1:
            raise ValueError(f"invalid priority ratio {text!r}")
        return cls(n, m)


@dataclass(frozen=True)
class Waiting:
    """A callable ticket: ``key`` identifies it, ``queued_at`` in seconds (any epoch) orders FIFO."""

    key: int
    category: Category
    queued_at: float


def preferred_class(history: Sequence[Category], rule: CallRule) -> Category:
    """The class the ratio asks for next, given today's calls in order (most recent last)."""
    if rule.strict:
        return "prioritas"
    trailing_general = 0
    for category in reversed(history):
        if category != "umum":
            break
        trailing_general += 1
    streak_before = 0
    for category in reversed(history[: len(history) - trailing_general]):
        if category != "prioritas":
            break
        streak_before += 1
    if trailing_general == 0:
        return "umum" if streak_before >= rule.priority else "prioritas"
    if streak_before >= rule.priority and trailing_general < rule.general:
        return "umum"
    return "prioritas"


def project_order(
    priority: Sequence[Waiting],
    general: Sequence[Waiting],
    *,
    history: Sequence[Category],
    rule: CallRule,
    now: float,
    fairness_s: float,
) -> list[Waiting]:
    """Every waiting ticket in the order it will be called if nothing new arrives.

    FIFO within a class; the ratio decides between classes; a general ticket that has waited longer than
    ``fairness_s`` (when > 0) goes before further priority tickets; when one class is empty the other goes."""
    p_queue = sorted(priority, key=lambda w: (w.queued_at, w.key))
    g_queue = sorted(general, key=lambda w: (w.queued_at, w.key))
    calls: list[Category] = list(history[-(rule.priority + rule.general + 1) :])
    order: list[Waiting] = []
    pi = gi = 0
    while pi < len(p_queue) and gi < len(g_queue):
        if fairness_s > 0 and now - g_queue[gi].queued_at > fairness_s:
            pick: Category = "umum"
        else:
            pick = preferred_class(calls, rule)
        if pick == "umum":
            order.append(g_queue[gi])
            gi += 1
        else:
            order.append(p_queue[pi])
            pi += 1
        calls.append(pick)
        if len(calls) > rule.priority + rule.general + 1:
            del calls[0]
    return order + p_queue[pi:] + g_queue[gi:]  # one class is empty: the other goes in FIFO order


def service_date(now: datetime, tz: ZoneInfo, reset: time) -> date:
    """The service day ``now`` belongs to: it starts at ``reset`` local time."""
    local = now.astimezone(tz)
    day = local.date()
    return day - timedelta(days=1) if local.time() < reset else day


def is_open(now: datetime, tz: ZoneInfo, start: time, end: time) -> bool:
    """Within operating hours; equal start and end mean open all day."""
    local = now.astimezone(tz).time()
    if start == end:
        return True
    if start < end:
        return start <= local < end
    return local >= start or local < end  # hours past midnight


def estimate_wait(ahead: int, mean_service_min: float, open_counters: int) -> tuple[int, int]:
    """[low, high] minutes until a ticket with ``ahead`` tickets before it is called."""
    counters = max(1, open_counters)
    low = math.floor(ahead * mean_service_min / counters)
    high = math.ceil((ahead + 1) * mean_service_min / counters)
    return low, max(high, low + 1)
