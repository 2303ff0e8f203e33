"""What a link's query parameters ask for, checked against what the data offers.

Streamlit drops a bound parameter whose value is not one of the widget's options without a
word (``SessionState._seed_widget_from_url``), so ``?ooad=Narnia`` silently showed the
national view. The filter bar checks the link here first and says which parameter was not
understood and what is shown instead (issue 17); so does every in-tab widget bound to the
URL, through lib.ui.urlstate.say_unknown and ``offered``. Neutral module: no Streamlit, no database.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

# Which filter each parameter is, in the words of the sidebar.
FILTER_PARAMS: dict[str, str] = {
    "desde": "Desde",
    "hasta": "Hasta",
    "ooad": "OOAD",
    "subdel": "Subdelegación",
    "canal": "Canal",
    "tamano": "Tamaño de patrón",
}


@dataclass(frozen=True)
class ParamProblem:
    """One parameter of the link that could not be used, and what is shown instead."""

    param: str
    value: str
    used: str
    label: str | None = None  # the widget's label; a sidebar filter's by default

    @property
    def message(self) -> str:
        label = self.label or FILTER_PARAMS.get(self.param, self.param)
        return (
            f"El enlace pide «{self.param}={self.value}», que no es una opción de «{label}»; "
            f"se usa «{self.used}»."
        )


def unknown_values(
    params: Mapping[str, str],
    options: Mapping[str, Sequence[str]],
    used: Mapping[str, str],
) -> list[ParamProblem]:
    """The parameters whose value is none of the labels offered for them.

    ``params``: the link's parameters (name → value as written, e.g. "Jalisco");
    ``options``: for each filter parameter, the labels the widget offers (what Streamlit
    writes into the URL); ``used``: the label shown instead (the default). Parameters that
    are not filters are not judged here. An empty value is a problem too: it is no option."""
    out = []
    for param, labels in options.items():
        if param not in params:
            continue
        value = params[param]
        if value not in labels:
            out.append(ParamProblem(param, value, used[param]))
    return out


def offered(raw: str, options: Collection[str] | tuple[float, float] | type[bool]) -> bool:
    """Whether a bound widget accepts the link's value ``raw`` as Streamlit reads it:
    ``options`` are the labels a choice writes, a ``(low, high)`` pair the range of a number,
    ``bool`` a toggle's "true"/"false"."""
    if options is bool:
        return raw.lower() in ("true", "false")
    if isinstance(options, tuple) and len(options) == 2 and not isinstance(options[0], str):
        try:
            number = float(raw)
        except ValueError:
            return False
        whole = all(isinstance(b, int) for b in options)  # an integer input takes no fraction
        return options[0] <= number <= options[1] and (number.is_integer() or not whole)
    return raw in options


def reversed_period(desde: str, hasta: str, labels: Mapping[str, str]) -> str | None:
    """The notice for a period whose start is after its end (months as "YYYY-MM"), or None.
    ``labels`` gives each month's label as the sidebar writes it ("ene 2026")."""
    if desde <= hasta:
        return None
    return (
        f"El periodo pide «desde={labels.get(desde, desde)}», posterior a "
        f"«hasta={labels.get(hasta, hasta)}»; se usan los meses entre ambos, de "
        f"{labels.get(hasta, hasta)} a {labels.get(desde, desde)}."
    )
