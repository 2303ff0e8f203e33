"""Issue 17, items 5 and 6: each value in its unit on screen, p-values never "0.000", Excel
number formats that leave values alone, Spanish months and mode bar in charts."""

from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from lib.analysis.kpis import kpi_display_table, kpi_export_table
from lib.export import csv_bytes, excel_workbook, number_format
from lib.format import fmt_p_cell, is_p_column, with_p_text


def _table(rows: list[tuple[str, str, float | None, float | None, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["label", "kind", "value", "previous", "change"])


KPI_ROWS = _table(
    [
        ("Contactos", "count", 1234567.0, 1200000.0, 2.8805583),
        ("Participación digital", "share", 0.3866, 0.35609, 3.0051),
        ("Resolución al primer contacto", "share", 0.5, 0.55, -5.0),
        ("Satisfacción (CSAT)", "share", 0.0, 0.0, 0.0),
        ("NPS", "nps", -12.34, 3.0, -15.34),
        ("Quejas recibidas", "count", 0.0, None, None),
        ("Recaudación a tiempo", "mxn", 1461225876.83, 1500000000.0, -2.5849416),
        ("Patrones con pago oportuno", "share", None, None, None),
    ]
)


def test_kpi_display_table_writes_each_row_in_its_unit() -> None:
    shown = kpi_display_table(KPI_ROWS)
    assert list(shown.columns) == ["Indicador", "Periodo", "Comparación", "Cambio"]
    assert shown.to_dict("records") == [
        {"Indicador": "Contactos", "Periodo": "1,234,567", "Comparación": "1,200,000",
         "Cambio": "+2.9%"},
        {"Indicador": "Participación digital", "Periodo": "38.7%", "Comparación": "35.6%",
         "Cambio": "+3.0 pp"},
        {"Indicador": "Resolución al primer contacto", "Periodo": "50.0%",
         "Comparación": "55.0%", "Cambio": "-5.0 pp"},
        {"Indicador": "Satisfacción (CSAT)", "Periodo": "0.0%", "Comparación": "0.0%",
         "Cambio": "+0.0 pp"},
        {"Indicador": "NPS", "Periodo": "-12.3", "Comparación": "3.0", "Cambio": "-15.3 pts"},
        {"Indicador": "Quejas recibidas", "Periodo": "0", "Comparación": "—", "Cambio": "—"},
        {"Indicador": "Recaudación a tiempo", "Periodo": "$1,461,225,877",
         "Comparación": "$1,500,000,000", "Cambio": "-2.6%"},
        {"Indicador": "Patrones con pago oportuno", "Periodo": "—", "Comparación": "—",
         "Cambio": "—"},
    ]  # fmt: skip


def test_kpi_export_table_keeps_numbers_and_says_the_unit() -> None:
    out = kpi_export_table(KPI_ROWS).set_index("Indicador")
    assert list(out.columns) == ["Periodo", "Comparación", "Unidad", "Cambio", "Unidad del cambio"]
    assert out.loc["Participación digital", "Periodo"] == pytest.approx(38.66)
    assert out.loc["Participación digital", "Unidad"] == "%"
    assert out.loc["Participación digital", "Cambio"] == pytest.approx(3.0051)
    assert out.loc["Participación digital", "Unidad del cambio"] == "pp"
    assert out.loc["Recaudación a tiempo", "Periodo"] == pytest.approx(1461225876.83)
    assert out.loc["Recaudación a tiempo", "Unidad"] == "MXN"
    assert out.loc["Recaudación a tiempo", "Unidad del cambio"] == "% (cambio relativo)"
    assert out.loc["NPS", "Unidad del cambio"] == "puntos"
    assert pd.isna(out.loc["Patrones con pago oportuno", "Periodo"])
    csv = csv_bytes(out.reset_index())
    assert csv.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the accents
    lines = csv.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Indicador,Periodo,Comparación,Unidad,Cambio,Unidad del cambio"
    assert lines[2].startswith("Participación digital,38.66,")
    assert lines[2].endswith(",%,3.0051,pp")


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0, "< 0.001"),
        (0.00049, "< 0.001"),
        (0.001, "0.001"),
        (0.0421, "0.042"),
        (0.5, "0.500"),
        (0.9999, "> 0.999"),
        (1.0, "> 0.999"),
        (None, "—"),
        (float("nan"), "—"),
        (pd.NA, "—"),
        (np.float64(0.0001), "< 0.001"),
    ],
)
def test_fmt_p_cell(p: float | None, text: str) -> None:
    assert fmt_p_cell(p) == text


def test_with_p_text_formats_only_p_columns() -> None:
    assert [is_p_column(c) for c in ("p", "p ajustada (Holm)", "Periodo", "pp", "P")] == [
        True,
        True,
        False,
        False,
        True,
    ]
    frame = pd.DataFrame(
        {"Canal": ["a", "b"], "Cambio (pp)": [0.0004, 2.0], "p": [0.0, 0.25],
         "p ajustada (BH)": [np.nan, 0.0009]}
    )  # fmt: skip
    shown = with_p_text(frame)
    assert shown["p"].tolist() == ["< 0.001", "0.250"]
    assert shown["p ajustada (BH)"].tolist() == ["—", "< 0.001"]
    assert shown["Cambio (pp)"].tolist() == [0.0004, 2.0]
    assert frame["p"].tolist() == [0.0, 0.25]  # the input is left alone
    assert with_p_text(frame[["Canal"]]) is not None


def test_excel_number_formats_leave_values_and_types_alone() -> None:
    frame = pd.DataFrame(
        {
            "Oficina": ["Jalisco", "=Colima", None],
            "Contactos": [1234567, 0, -5],
            "Costo (MXN)": [1461225876.83, 0.5, None],
            "Satisfechos (%)": [38.66, 100.0, 0.0],
            "Proporción": [0.3866, -0.25, 1.0],
            "Quejas": [3.0, None, 12.0],
            "p": [0.0, 0.0421, 1.0],
            "Fecha": pd.to_datetime(["2026-01-31", "2026-02-01", "2026-12-25"]),
            "Mes": [dt.date(2026, 1, 1), dt.date(2026, 2, 1), None],
            "Significativo": [True, False, True],
        }
    )
    wb = load_workbook(io.BytesIO(excel_workbook("T", [("Periodo", "ene 2026")], {"Datos": frame})))
    ws = wb["Datos"]
    header = [c.value for c in ws[1]]
    assert header == list(frame.columns)
    col = {name: [ws.cell(row=r, column=i + 1) for r in (2, 3, 4)] for i, name in
           enumerate(header)}  # fmt: skip
    formats = {name: cells[0].number_format for name, cells in col.items()}
    assert formats == {
        "Oficina": "General",
        "Contactos": "#,##0",
        "Costo (MXN)": "#,##0.0",
        "Satisfechos (%)": "0.0",
        "Proporción": "0.000",
        "Quejas": "#,##0",
        "p": '[<0.001]"< 0.001";0.000',
        "Fecha": "dd/mm/yyyy",
        "Mes": "dd/mm/yyyy",
        "Significativo": "General",
    }
    # values and types as before: numbers numeric, text text, dates dates, blanks blank
    assert [c.value for c in col["Contactos"]] == [1234567, 0, -5]
    assert [c.value for c in col["Costo (MXN)"]] == [1461225876.83, 0.5, None]
    assert [c.value for c in col["Satisfechos (%)"]] == [38.66, 100, 0]
    assert [c.value for c in col["p"]] == [0, 0.0421, 1]
    assert [c.value for c in col["Oficina"]] == ["Jalisco", "=Colima", None]
    assert col["Oficina"][1].data_type == "s" and col["Oficina"][1].number_format == "General"
    assert all(c.data_type == "n" for c in col["Contactos"])
    assert [c.value.date() for c in col["Fecha"]] == [
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 1),
        dt.date(2026, 12, 25),
    ]
    assert col["Mes"][0].is_date and col["Mes"][0].value.date() == dt.date(2026, 1, 1)
    assert [c.value for c in col["Significativo"]] == [True, False, True]
    assert wb["Portada"]["B4"].number_format == "General"


def test_number_format_of_empty_and_text_columns() -> None:
    assert number_format("Nombre", pd.Series(["a", "b"])) is None
    assert number_format("Nombre", pd.Series([], dtype=object)) is None
    assert number_format("Conteo", pd.Series([1, 2], dtype="Int64")) == "#,##0"
    assert number_format("Mezcla", pd.Series([1, "a"], dtype=object)) is None


def test_word_chart_sent_to_kaleido_has_spanish_months(monkeypatch: pytest.MonkeyPatch) -> None:
    import plotly.graph_objects as go
    import plotly.io as pio

    from lib.charts.theme import style
    from lib.planning import export as ex

    sent: list[dict] = []

    def fake_to_image(fig, **kwargs):
        sent.append(json.loads(fig.to_json()))
        return b"PNG"

    monkeypatch.setattr(pio, "to_image", fake_to_image)
    months = [dt.date(2024, m, 1) for m in range(1, 13)] + [dt.date(2025, 1, 1)]
    fig = style(go.Figure(go.Scatter(x=months, y=list(range(13)))), "Contactos")
    fig.add_bar(x=["Ventanilla", "En línea"], y=[1, 2], xaxis="x2", yaxis="y2")
    assert ex.chart_png(fig) == b"PNG"
    layout = sent[0]["layout"]
    assert layout["xaxis"]["tickmode"] == "array"
    assert layout["xaxis"]["ticktext"] == [
        "ene 2024",
        "mar 2024",
        "may 2024",
        "jul 2024",
        "sep 2024",
        "nov 2024",
        "ene 2025",
    ]  # fmt: skip  (13 months, at most 12 ticks: every other month)
    assert layout["xaxis"]["tickvals"][:2] == ["2024-01-01", "2024-03-01"]
    assert "ticktext" not in layout.get("xaxis2", {})  # categories are not months
    assert not any(m in json.dumps(layout) for m in ("Jan", "Mar 2024", "Dec"))
    assert "tickmode" not in fig.layout.xaxis.to_plotly_json()  # the page's figure unchanged
    assert layout["yaxis"]["exponentformat"] == "none"  # 36,000, never 36k


def test_plotly_config_translates_the_mode_bar() -> None:
    from lib.charts.theme import PLOTLY_CONFIG

    locale = PLOTLY_CONFIG["locales"][PLOTLY_CONFIG["locale"]]
    words = locale["dictionary"]
    for key in ("Download plot as a PNG", "Zoom in", "Zoom out", "Autoscale", "Reset axes",
                "Pan", "Box Select", "Lasso Select", "Zoom"):  # fmt: skip
        assert words[key] and words[key] != key
    assert locale["format"]["shortMonths"][0] == "ene"
