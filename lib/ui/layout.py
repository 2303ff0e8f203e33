"""Page pieces every analysis page repeats: lazy tabs kept in the URL, and the download buttons
(Excel, CSV). Every download's bytes come from lib.export, masked for a role without the
identifiers grant, and every click is recorded in the audit log (the page store: lib/ui/store.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from lib.access import may, sees_identifiers
from lib.export import csv_bytes, excel_workbook
from lib.format import date_label, period_label, with_p_text
from lib.policy import Permission
from lib.queries.meta import DatasetMeta
from lib.ui.downloads import keep_built_downloads

keep_built_downloads()  # built-on-click exports survive Streamlit's cleanup until fetched

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


MISSING = "—"  # how a table shows a missing value (Streamlit's default is a grey "None")


def data_table(
    data: object,
    *,
    empty: str | None = None,
    first: Sequence[str] = (),
    short: Mapping[str, str] | None = None,
    **kwargs: Any,  # st.dataframe's own options
) -> object:
    """``st.dataframe`` with the house defaults: full width, no index, and a dash for a missing
    value, which is what a Spanish reader expects of a blank cell (an English "None" reads as
    a value). Every page's table goes through here so the defaults hold everywhere.

    ``empty``: what to say instead of an empty grid (Streamlit writes "empty" in English).

    Wide tables (issue 17: at 1440 px the channel table hid resolution, CSAT and NPS behind a
    horizontal scroll): ``first`` lists the key columns, shown first in that order with the
    first one pinned (it stays in view while the rest scrolls); ``short`` gives short on-screen
    headers, the full name staying in the header's tooltip. Downloads keep the full names.

    A p-value column (headed "p", "p ajustada (…)") is shown as text, "< 0.001" rather than
    "0.000" (lib.format.with_p_text), on every page alike; downloads keep the numbers."""
    if empty is not None and len(data) == 0:  # type: ignore[arg-type]
        st.caption(empty)
        return None
    if isinstance(data, pd.DataFrame):
        data = with_p_text(data)
        if first or short:
            kwargs = {**kwargs, **_key_columns_first(data, first, short or {}, kwargs)}
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    kwargs.setdefault("placeholder", MISSING)
    return st.dataframe(data, **kwargs)


def _key_columns_first(
    frame: pd.DataFrame, first: Sequence[str], short: Mapping[str, str], kwargs: Mapping
) -> dict[str, object]:
    """``column_order`` and ``column_config`` for data_table's ``first`` and ``short``: the
    page's own column_config entries are kept, with a label, a tooltip and a pin added."""
    missing = [c for c in [*first, *short] if c not in frame.columns]
    if missing:
        raise KeyError(f"data_table: columnas inexistentes {missing}")
    config = dict(kwargs.get("column_config") or {})
    for column in dict.fromkeys([*first[:1], *short]):
        entry = config.get(column)
        entry = {"label": entry} if isinstance(entry, str) else dict(entry or {})
        if column in short:  # a st.column_config entry carries label=None, help=None
            entry["label"] = entry.get("label") or short[column]
            entry["help"] = entry.get("help") or column
        if first and column == first[0]:
            entry["pinned"] = True
        config[column] = entry
    order = kwargs.get("column_order") or list(frame.columns)
    return {
        "column_order": [*first, *(c for c in order if c not in first)],
        "column_config": config,
    }


def lazy_tabs(tabs: Mapping[str, Callable[[], None]]) -> None:
    """Tabs whose selection is in the URL (?vista=...); only the open one is computed. A
    link's tab that is none of these is said (the first tab is shown)."""
    from lib.ui.urlstate import say_unknown

    say_unknown("vista", "Vista", list(tabs), next(iter(tabs)))
    for tab, render in zip(
        st.tabs(list(tabs), key="vista", bind="query-params", on_change="rerun"),
        tabs.values(),
        strict=True,
    ):
        if tab.open:
            with tab:
                render()


def _origin(meta: DatasetMeta) -> str:
    if meta.demo_with_imports:
        return "Demostración (sintéticos) con archivos cargados"
    return "Demostración (sintéticos)" if meta.is_demo else "Institucionales"


def excel_button(
    ctx,
    title: str,
    sheets: Mapping[str, pd.DataFrame],
    file_stem: str,
    label: str,
    extra: Sequence[tuple[str, str]] = (),
) -> None:
    """Download the tables as one workbook whose cover says what they are: report, period,
    scope, data date, demo or institutional, and when it was generated. Text is masked
    (lib.masking.mask_text) unless the user may see identifiers. Drawn only when the policy
    lets the user download (lib/policy.py, EXPORT)."""
    if not may(ctx.user, Permission.EXPORT):
        return
    cover: list[tuple[str, str]] = [("Reporte", title)]
    if ctx.filters is not None:
        cover += [
            ("Periodo", period_label(ctx.filters.start, ctx.filters.end)),
            ("Alcance", ctx.scope),
        ]
    cover += [
        *extra,
        ("Datos al", date_label(ctx.meta.data_as_of)),
        ("Origen", _origin(ctx.meta)),
        ("Generado", dt.datetime.now().strftime("%d/%m/%Y %H:%M")),
    ]
    rows = int(sum(len(frame) for frame in sheets.values()))
    masked = not sees_identifiers(ctx.user)
    st.download_button(
        label,
        # built when clicked, not on every rerun: openpyxl took a few hundred ms per view for
        # a list of a thousand rows (issue 10)
        data=lambda: excel_workbook(title, cover, sheets, mask=masked),
        file_name=f"{file_stem}.xlsx",
        mime=XLSX,
        on_click=ctx.store.record_export,
        args=(
            f"{file_stem}.xlsx",
            rows,
            {"reporte": title, "alcance": ctx.scope},
        ),
        icon=":material/download:",
    )


def csv_button(
    ctx,
    label: str,
    frame: pd.DataFrame,
    file_name: str,
    details: dict,
    **kwargs: Any,  # st.download_button's own options
) -> None:
    """Download one table as CSV (lib.export.csv_bytes: no formulas, masked unless the user
    may see identifiers), recorded in the audit log; drawn only when the policy lets the user
    download."""
    if not may(ctx.user, Permission.EXPORT):
        return
    st.download_button(
        label,
        data=csv_bytes(frame, mask=not sees_identifiers(ctx.user)),
        file_name=file_name,
        mime="text/csv",
        on_click=ctx.store.record_export,
        args=(file_name, len(frame), details),
        icon=":material/download:",
        **kwargs,
    )
