"""The overview's "Oficinas" section: every office × the nine KPIs against the comparison
period, marked where the change is beyond noise and where the level is beyond noise against
all offices of the table (lib/analysis/offices.py); a row click drills down
(lib/ui/drill.py); downloadable as Excel."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import streamlit as st

from lib.analysis.kpis import KPIS
from lib.analysis.offices import ALPHA, COLUMNS, MIN_Z, office_changes, office_ranking
from lib.filters import Filters
from lib.format import period_label
from lib.queries import overview
from lib.ui.context import PageContext, query
from lib.ui.data import cached_pure
from lib.ui.drill import on_office_row
from lib.ui.kpi import format_change, format_value
from lib.ui.layout import data_table, excel_button

TABLE_KEY = "oficinas_tabla"
LEVELS = {"ooad": "OOAD", "subdel": "Subdelegación"}
SHORT = {
    "contacts": "Contactos",
    "digital_share": "Digital",
    "fcr": "Resolución 1er contacto",
    "csat": "CSAT",
    "nps": "NPS",
    "complaints": "Quejas",
    "complaints_on_time": "Quejas en plazo",
    "collection_on_time": "Recaudación a tiempo",
    "patrons_on_time": "Pago oportuno",
}
# background of a marked change: bad news, good news, neither (contacts)
COLORS = {False: "#f6d5d2", True: "#d4ecd9", None: "#e6e6e6"}


def wide_table(
    changes: pd.DataFrame, ranking: pd.DataFrame, ooad_of: dict[int, str] | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The display frame (one row per office, ranked, raw numbers: shares in %) and, of the
    same shape, each cell's colour ('' when not marked): a change cell (Δ) when the change is
    marked, a value cell when the level is marked against the reference. ``ooad_of``: the OOAD name of
    each subdelegación, for a national list of subdelegaciones (names repeat across OOAD)."""
    by = changes.set_index(["unit_id", "kpi"])
    rows, colors = [], []
    for _, r in ranking.iterrows():
        row: dict[str, object] = {}
        color: dict[str, str] = {}
        if ooad_of is not None:
            row["OOAD"] = ooad_of.get(int(r["unit_id"]), "")
        row["Oficina"] = r["unit"]
        row["Empeoró"] = int(r["worse"])
        row["Mejoró"] = int(r["better"])
        row["Peor que ref."] = int(r["below"])
        row["Mejor que ref."] = int(r["above"])
        for kpi in KPIS:
            c = by.loc[(r["unit_id"], kpi.key)]
            scale = 100 if kpi.kind == "share" else 1
            name = SHORT[kpi.key]
            row[name] = None if pd.isna(c["value"]) else scale * c["value"]
            row[f"{name} comp."] = None if pd.isna(c["previous"]) else scale * c["previous"]
            row[f"{name} Δ"] = None if pd.isna(c["change"]) else c["change"]
            good = None if c["good"] is None or pd.isna(c["good"]) else bool(c["good"])
            if kpi.higher_is_better is None:
                good = None
            color[f"{name} Δ"] = f"background-color: {COLORS[good]}" if c["marked"] else ""
            level_good = None if pd.isna(c["level_good"]) else bool(c["level_good"])
            color[name] = f"background-color: {COLORS[level_good]}" if c["level_marked"] else ""
        rows.append(row)
        colors.append(color)
    table = pd.DataFrame(rows)
    style = (
        pd.DataFrame(colors, index=table.index, dtype=object)
        .reindex(columns=table.columns)
        .astype(object)
        .where(lambda d: d.notna(), "")
    )
    return table, style


def _formats() -> dict[str, object]:
    out: dict[str, object] = {}
    for kpi in KPIS:
        name = SHORT[kpi.key]

        def value(x: float | None, kind: str = kpi.kind) -> str:
            if x is None or pd.isna(x):
                return "—"
            return format_value(kind, x / 100 if kind == "share" else x)

        def delta(x: float | None, kind: str = kpi.kind) -> str:
            return format_change(kind, x) or "—"

        out[name] = value
        out[f"{name} comp."] = value
        out[f"{name} Δ"] = delta
    return out


class OfficesTable(NamedTuple):
    changes: pd.DataFrame  # office_changes: one row per office and indicator
    ranking: pd.DataFrame  # office_ranking: the offices in the table's order
    table: pd.DataFrame  # wide_table: what the page shows
    style: pd.DataFrame  # wide_table: each cell's colour


def offices_table(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    names: dict[int, str],
    months: int,
    ooad_of: dict[int, str] | None,
) -> OfficesTable:
    """:func:`office_changes`, its ranking and the wide table built from them, positional so
    the page caches them on their (small, aggregated) inputs: a warm visit redoes neither the
    ~600 tests and their adjustment nor the row-by-row table (~18 ms a view, issue 20)."""
    changes = office_changes(current, previous, names, months=months)
    ranking = office_ranking(changes)
    return OfficesTable(changes, ranking, *wide_table(changes, ranking, ooad_of))


def offices_section(ctx: PageContext, comparison: Filters | None, comparison_label: str) -> None:
    f = ctx.filters
    assert f is not None  # drawn on the summary page, which shows the filters
    st.subheader(
        "Oficinas",
        help=(
            "Cada oficina con los nueve indicadores de las tarjetas: periodo, comparación y "
            "cambio. Dos marcas (color): el **cambio** que supera el ruido (columna Δ; la "
            "misma prueba que «Lo que más cambió») y el **nivel** que supera el ruido frente "
            "a la referencia, el valor de todas las oficinas de la tabla juntas (columna del "
            "periodo; sólo resolución, satisfacción, NPS, quejas en plazo y pago oportuno). "
            f"Ambas piden |z| ≥ {MIN_Z:g} y p ajustada por Benjamini–Hochberg < {ALPHA:g} "
            "entre todas las pruebas de la tabla."
        ),
    )
    if comparison is None:
        st.info("No hay un periodo de comparación en los datos para este filtro.")
        return
    level = "subdel" if not f.is_national else "ooad"
    if f.is_national:
        level = st.radio(
            "Nivel",
            list(LEVELS),
            format_func=LEVELS.get,
            horizontal=True,
            key="oficinas_nivel",
            bind="query-params",
        )
    if level == "subdel" and f.is_national:
        current = query(ctx, overview.unit_indicators, f, level="subdelegacion")
        previous = query(ctx, overview.unit_indicators, comparison, level="subdelegacion")
    else:  # the same calls as "Lo que más cambió": shared cache entries
        current = query(ctx, overview.unit_indicators, f)
        previous = query(ctx, overview.unit_indicators, comparison)
    catalog = ctx.ooads if level == "ooad" else ctx.subdelegaciones
    names = dict(zip(catalog["id"].astype(int), catalog["name"], strict=True))
    ooad_of = ctx.ooad_of
    ooad_name = dict(zip(ctx.ooads["id"].astype(int), ctx.ooads["name"], strict=True))
    national_subs = level == "subdel" and f.is_national
    changes, ranking, table, style = cached_pure(
        offices_table,
        current,
        previous,
        names,
        f.n_months,
        {s: ooad_name.get(o, "") for s, o in ooad_of.items()} if national_subs else None,
    )
    n_tests = int(changes["p"].notna().sum())
    n_marked = int(changes["marked"].sum())
    n_level_tests = int(changes["level_p"].notna().sum())
    n_level = int(changes["level_marked"].sum())
    reference = "nacional" if f.is_national else "de la OOAD" if f.subdelegacion_id is None else ""
    st.caption(
        f"{period_label(f.start, f.end)} {comparison_label} "
        f"({period_label(comparison.start, comparison.end)}). "
        f"{n_marked} de {n_tests} cambios probados superan el ruido (color en Δ: rojo empeoró, "
        f"verde mejoró, gris contactos); {n_level} de {n_level_tests} niveles se apartan del "
        f"valor {reference or 'de referencia'} más que el ruido (color en el valor del "
        "periodo: rojo peor, verde mejor). Primero las oficinas con marcas. Cambios en pp "
        "para porcentajes, puntos para NPS y % para conteos y pesos. La recaudación en pesos "
        "no se prueba. Haga clic en una fila para ver esa oficina."
    )
    if table.empty:
        st.caption("No hay oficinas con datos en este periodo.")
        return
    styled = table.style.apply(lambda _: style, axis=None).format(_formats(), na_rep="—")
    data_table(
        styled,
        key=TABLE_KEY,
        on_select=lambda: on_office_row(
            TABLE_KEY, [int(u) for u in ranking["unit_id"]], level, ooad_of
        ),
        selection_mode="single-row",
    )
    detail = changes.assign(
        value=changes["value"].where(changes["kind"] != "share", 100 * changes["value"]),
        previous=changes["previous"].where(changes["kind"] != "share", 100 * changes["previous"]),
        reference=changes["reference"].where(
            changes["kind"] != "share", 100 * changes["reference"]
        ),
    )[[c for c in COLUMNS if c not in ("kpi", "kind")]].rename(
        columns={
            "unit_id": "Clave",
            "unit": "Oficina",
            "label": "Indicador",
            "value": "Periodo",
            "previous": "Comparación",
            "change": "Cambio",
            "change_unit": "Unidad del cambio",
            "p": "p",
            "p_adjusted": "p ajustada (BH)",
            "marked": "Supera el ruido",
            "good": "Buena noticia",
            "reference": "Referencia",
            "level_z": "z del nivel",
            "level_p": "p del nivel",
            "level_p_adjusted": "p del nivel ajustada (BH)",
            "level_marked": "Nivel supera el ruido",
            "level_good": "Mejor que la referencia",
        }
    )
    excel_button(
        ctx,
        "Oficinas: cambios frente al periodo de comparación",
        {"Oficinas": table, "Detalle": detail},
        f"resumen_oficinas_{f.start:%Y%m}_{f.end:%Y%m}",
        "Descargar oficinas (Excel)",
        extra=[
            (
                "Comparación",
                f"{comparison_label} ({period_label(comparison.start, comparison.end)})",
            ),
            (
                "Marca",
                f"|z| ≥ {MIN_Z:g} y p ajustada por Benjamini–Hochberg < {ALPHA:g} "
                f"({n_tests} cambios y {n_level_tests} niveles probados)",
            ),
        ],
    )
