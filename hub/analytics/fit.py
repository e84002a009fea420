"""Do measured times look exponential (what M/M/c assumes)? A Kolmogorov–Smirnov test with scipy.

The exponential's mean is estimated from the same sample, which makes the plain KS p-value conservative
(Lilliefors): a "does not fit" verdict is trustworthy, a "fits" verdict is lenient.

>>> import random
>>> rng = random.Random(3)
>>> ks_exponential([rng.expovariate(1.0) for _ in range(300)]).exponential
True
>>> ks_exponential([5.0 + rng.random() for _ in range(300)]).exponential
False
>>> ks_exponential([1.0, 2.0]).p_value is None
True
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

ALPHA = 0.05
MIN_SAMPLES = 8


@dataclass(frozen=True)
class KsResult:
    n: int
    mean: float | None
    statistic: float | None
    p_value: float | None
    exponential: bool | None  # None: too few samples to tell

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ks_exponential(samples: Sequence[float], alpha: float = ALPHA) -> KsResult:
    """KS test of ``samples`` (≥ 0) against the exponential with the sample's mean."""
    values = [float(s) for s in samples if math.isfinite(s) and s >= 0]
    mean = statistics.fmean(values) if values else None
    if len(values) < MIN_SAMPLES or not mean:
        return KsResult(len(values), mean, None, None, None)
    from scipy import stats  # about a second to import: only when a test is run

    result = stats.kstest(values, "expon", args=(0, mean))
    p_value = float(result.pvalue)
    return KsResult(len(values), mean, float(result.statistic), p_value, p_value >= alpha)


def fit_note_id(label: str, result: KsResult) -> str | None:
    """A plain-language Indonesian note when the times do not look exponential (None when they do, or when
    there are too few to tell). ``label``: what was measured, e.g. "jarak antar kedatangan"."""
    if result.exponential is not False:
        return None
    return (
        f"{label.capitalize()} tidak mengikuti pola acak (eksponensial) yang diandaikan model "
        f"(uji KS p = {result.p_value:.3f}); angka prediksi model hanya perkiraan kasar."
    )
