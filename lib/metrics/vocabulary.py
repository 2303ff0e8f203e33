"""The words an indicator is declared with: what kind of number it is, which way is better,
how a change is tested, and which family of rollups its sums come from."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What the number is; it decides the format and how a change is written."""

    COUNT = "count"  # a plain sum of events: 1,234; change in relative %
    SHARE = "share"  # a proportion, shown as a percentage: 38.7 %; change in pp
    NPS = "nps"  # promoters minus detractors, in points from -100 to 100; change in points
    MXN = "mxn"  # a sum of pesos; change in relative %
    MEAN = "mean"  # a ratio of two sums in the indicator's own unit (minutes, 1–5 points)
    QUANTILE = "quantile"  # a weighted quantile of a stored value (the median wait)


class Direction(StrEnum):
    HIGHER = "higher"  # higher is better
    LOWER = "lower"  # lower is better
    NEUTRAL = "neutral"  # a size: neither better nor worse

    @property
    def higher_is_better(self) -> bool | None:
        return {"higher": True, "lower": False, "neutral": None}[self.value]


class ChangeTest(StrEnum):
    """How a change between two periods (or an office against all) is judged beyond noise
    (lib/analysis/movers.py, lib/analysis/offices.py)."""

    PROPORTION = "proportion"  # two-proportion z over numerator / denominator
    NPS = "nps"  # multinomial variance of promoters and detractors
    COUNT = "count"  # a count out of line with all offices' change (conditional binomial)
    NONE = "none"  # not tested (pesos, means without a variance in the rollups)


class Interval(StrEnum):
    """How the 95 % interval of a value is computed (lib/analysis/stats.py)."""

    WILSON = "wilson"  # a share: Wilson score interval
    NPS = "nps"  # promoters minus detractors: multinomial variance
    T_MEAN = "t_mean"  # a mean of scores: t interval from the sum and the sum of squares
    NONE = "none"  # a count, pesos, a mean without the squares stored, a quantile


class Family(StrEnum):
    """The fact table behind an indicator, which is also the rollup family its sums are
    read from (the fine rollup for the explorer, the coarse one for the overview)."""

    INTERACTION = "interaction"
    QUEUE = "queue"  # the interaction's queue-wait rollup (contacts with a wait recorded)
    SURVEY = "survey_response"
    COMPLAINT = "complaint"
    COLLECTION = "collection_monthly"

    @property
    def fact_table(self) -> str:
        return "interaction" if self is Family.QUEUE else self.value

    @property
    def has_channel(self) -> bool:
        """Collection has no channel: a channel filter does not apply to it."""
        return self is not Family.COLLECTION
