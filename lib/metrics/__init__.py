"""The semantic layer: every indicator defined once, found by key.

- lib/metrics/vocabulary.py: the typed words (Kind, Direction, ChangeTest, Family);
- lib/metrics/measures.py: the named sums and the rollup column each reads;
- lib/metrics/definitions.py: the Indicator (value, SQL, format facts) and the dimensions;
- lib/metrics/registry.py: every indicator, the overview's cards and what "moved most" lists.

The overview cards, "lo que más cambió", the offices table, the explorer, the data dictionary
and the work program's baseline all read indicators from here
(tests/test_metrics_common.py checks each against the raw fact rows).
"""

from lib.metrics.definitions import DIMENSIONS, Indicator
from lib.metrics.measures import MEASURES, Terms
from lib.metrics.registry import INDICATORS, MOVERS, OVERVIEW, indicator
from lib.metrics.vocabulary import ChangeTest, Direction, Family, Interval, Kind

__all__ = [
    "DIMENSIONS",
    "INDICATORS",
    "MEASURES",
    "MOVERS",
    "OVERVIEW",
    "Direction",
    "Family",
    "Indicator",
    "Interval",
    "Kind",
    "Terms",
    "ChangeTest",
    "indicator",
]
