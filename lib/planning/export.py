"""The draft as files to circulate: an Excel workbook and a Word document with the same tables
and, when a PNG renderer works, the charts. Both are written by lib.export (its cell rules:
masking for a role without the identifiers grant, no formulas, no control characters); this
module only says what goes in them.

Charts are rendered by plotly + kaleido, which drives the system Chromium offline (measured
here: about 6 s for the first figure, then well under a second). If that fails (no Chromium),
the document carries the tables only and says so. Pure: no Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from lib.charts.theme import spanish_month_ticks
from lib.export import excel_workbook, word_document
from lib.planning.drafts import STATUSES
from lib.planning.validation import LABELS

# the editor's own column labels (one place for both), without the capacity table's "channel"
TARGET_LABELS = {k: v for k, v in LABELS.items() if k != "channel"}
CAPACITY_LABELS = {
    "channel": "Canal",
    "contacts": "Contactos pronosticados",
    "handle_minutes": "Minutos por contacto",
    "hours_needed": "Horas necesarias",
    "hours_available": "Horas disponibles",
    "gap_hours": "Diferencia (horas)",
    "fte_needed": "Personas de tiempo completo",
}
CAMPAIGN_LABELS = {
    "code": "Código",
    "name": "Campaña",
    "planned_cost": "Costo previsto (MXN)",
    "return_per_peso": "Retorno medido (pesos por peso)",
    "expected_return": "Recaudación adicional esperada (MXN)",
    "expected_low": "IC 95 % inferior (MXN)",
    "expected_high": "IC 95 % superior (MXN)",
}


def _frame(rows: Sequence[dict] | pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    cols = [c for c in labels if c in df.columns]
    return df[cols].rename(columns=labels) if cols else pd.DataFrame(columns=list(labels.values()))


def draft_tables(content: Mapping, extra: Mapping[str, pd.DataFrame] | None = None) -> dict:
    """The draft's tables with Spanish headers: Metas, Capacidad, Campañas (+ ``extra``)."""
    tables = {
        "Metas": _frame(content.get("targets", []), TARGET_LABELS),
        "Capacidad": _frame(content.get("capacity", []), CAPACITY_LABELS),
        "Campañas": _frame(content.get("campaigns", []), CAMPAIGN_LABELS),
    }
    return {**tables, **(extra or {})}


def cover(content: Mapping, version: int | None, author: str | None) -> list[tuple[str, str]]:
    return [
        ("Programa", str(content.get("title", ""))),
        ("Año", str(content.get("year", ""))),
        ("Estado", STATUSES.get(content.get("status", ""), str(content.get("status", "")))),
        ("Versión", "sin guardar" if version is None else str(version)),
        ("Autor de la versión", author or "—"),
        ("Notas", content.get("notes") or "—"),
    ]


def workbook(
    content: Mapping,
    version: int | None,
    author: str | None,
    extra: Mapping[str, pd.DataFrame] | None = None,
    more_cover: Sequence[tuple[str, str]] = (),
    *,
    mask: bool = False,
) -> bytes:
    """The Excel workbook: a cover sheet, then Metas, Capacidad, Campañas and ``extra``.
    ``mask``: identifiers inside the notes and every other text masked (lib.masking)."""
    return excel_workbook(
        f"Programa Anual de Trabajo {content.get('year', '')}",
        [*cover(content, version, author), *more_cover],
        draft_tables(content, extra),
        mask=mask,
    )


def chart_png(fig, width: int = 900, height: int = 420) -> bytes | None:
    """The figure as PNG, or None when no renderer works here (then: tables only). Months on
    date axes are written in Spanish by explicit ticks (lib.charts.theme.spanish_month_ticks):
    kaleido's plotly.js has no locale and would write "Jan 2024"."""
    try:
        spanish = spanish_month_ticks(go.Figure(fig))  # a copy: the page's figure is unchanged
        return pio.to_image(spanish, format="png", width=width, height=height, scale=1)
    except Exception:
        return None


def show_value(v) -> str:
    """A changed value as the conflict and version views show it: — for blank."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:,.6g}" if abs(v) < 1e6 else f"{v:,.0f}"
    return str(v)


def document(
    content: Mapping,
    version: int | None,
    author: str | None,
    extra: Mapping[str, pd.DataFrame] | None = None,
    charts: Mapping[str, bytes | None] | None = None,
    more_cover: Sequence[tuple[str, str]] = (),
    *,
    mask: bool = False,
) -> bytes:
    """The Word document: title, cover facts, one section per table, the charts (PNG) or a
    note that they could not be drawn."""
    return word_document(
        f"Programa Anual de Trabajo {content.get('year', '')}",
        [*cover(content, version, author), *more_cover],
        draft_tables(content, extra),
        charts=charts,
        mask=mask,
    )
