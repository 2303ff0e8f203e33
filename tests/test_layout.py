"""Issue 17, items 6, 7 and 9, without a browser: the shared chart layout (legend between title
and plot), the explorer's Spanish legend and cautious reading, wide tables with their key
columns first, the favicon and the injected CSS, Spanish placeholders on every select box.
The browser half (screenshots at three widths, overlaps measured on screen, no outside
request, printing) is tests/e2e/test_layout_browser.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from lib.analysis import channels as study
from lib.charts.channels import time_percentiles_figure
from lib.charts.explorer import MIN_BASE, explorer_figure, reading
from lib.charts.orientation import gain_figure
from lib.charts.theme import TITLE_PX, has_legend, style
from lib.metrics import INDICATORS
from lib.ui.layout import _key_columns_first
from lib.ui.style import CSS, PAGE_ICON

ROOT = Path(__file__).resolve().parents[1]


def _two_lines() -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=[1, 2], y=[3, 4], name="Ventanilla única")
    fig.add_scatter(x=[1, 2], y=[5, 6], name="Servicios en línea")
    return fig


def test_legend_hangs_under_the_title_and_plotly_reserves_its_rows():
    fig = style(_two_lines(), "Contactos (contactos)", height=400)
    legend, title = fig.layout.legend, fig.layout.title
    assert legend.orientation == "h"
    # in figure coordinates, just under the title: plotly reserves the top margin down to the
    # legend's last row, so neither the title nor the x axis is under it
    assert (legend.yref, legend.yanchor, legend.xref) == ("container", "top", "paper")
    assert legend.y == pytest.approx(1 - TITLE_PX / 400)
    assert (title.yref, title.yanchor, title.y) == ("container", "top", 1)
    assert fig.layout.margin.t < TITLE_PX  # the reserved room includes the title's


def test_a_chart_without_legend_keeps_room_for_its_title_only():
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2], name="solo"))
    assert not has_legend(fig)
    fig = style(fig, "Una serie", "con subtítulo")
    assert fig.layout.margin.t > TITLE_PX


def test_gain_chart_legend_is_placed_by_the_house_style():
    curves = {
        "boosting": {"fraction": [0.5, 1.0], "gain": [0.7, 1.0]},
        "logistic": {"fraction": [0.5, 1.0], "gain": [0.6, 1.0]},
    }
    legend = gain_figure(curves).layout.legend
    assert (legend.yref, legend.yanchor) == ("container", "top")


def test_wait_chart_is_horizontal_bars_with_whole_channel_names():
    table = pd.DataFrame(
        {
            "channel": ["Ventanilla única", "Asistencia personalizada"],
            "wait_median": [25.0, 9.3],
            "wait_p90": [56.0, 21.0],
            "handle_median": [18.0, 35.0],
            "handle_p90": [33.0, 60.0],
        }
    )
    fig = time_percentiles_figure(table)
    assert all(t.orientation == "h" for t in fig.data)
    assert list(fig.data[0].y) == ["Ventanilla única", "Asistencia personalizada"]
    assert (fig.layout.legend.yref, fig.layout.legend.yanchor) == ("container", "top")


def _by_ooad_and_channel() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ooad": [1, 1, 2, 2],
            "ooad_label": ["Jalisco", "Jalisco", "Sonora", "Sonora"],
            "channel": ["a", "b", "a", "b"],
            "channel_label": ["Ventanilla única", "Buzón IMSS", "Ventanilla única", "Buzón IMSS"],
            "numerator": [8, 20, 60, 30],
            "denominator": [8, 40, 100, 60],
            "value": [100.0, 50.0, 60.0, 50.0],
        }
    )


def test_explorer_two_dimensions_legend_in_spanish():
    fig = explorer_figure(_by_ooad_and_channel(), INDICATORS["csat"], ["ooad", "channel"])
    assert fig.layout.legend.title.text == "Canal"
    assert fig.layout.xaxis.title.text == "OOAD"
    assert "_label" not in fig.to_json()


def test_explorer_reading_says_the_n_and_skips_groups_with_too_few_cases():
    df = _by_ooad_and_channel()
    text = reading(df, INDICATORS["csat"], ["ooad", "channel"])
    # the 100 % from 8 responses is not the headline
    assert "Jalisco · Ventanilla única" not in text
    assert text.startswith("Más alto: Sonora · Ventanilla única (60.0%, n = 100)")
    assert f"no se destacan 1 con menos de {MIN_BASE} casos" in text
    tiny = df.assign(denominator=[8, 9, 10, 11])
    assert reading(tiny, INDICATORS["csat"], ["ooad", "channel"]).startswith(
        f"Ningún grupo reúne {MIN_BASE} casos"
    )


def test_key_columns_first_pinned_and_short_headers_with_full_name_in_tooltip():
    frame = study.readable_table(
        pd.DataFrame(
            {
                c: [0.5]
                for c in [
                    "contacts",
                    "share",
                    "patrons_per_month",
                    "cost_per_contact",
                    "cost_per_resolved",
                    "fcr",
                    "fcr_low",
                    "fcr_high",
                    "repeat",
                    "repeat_low",
                    "repeat_high",
                    "responses",
                    "csat",
                    "csat_low",
                    "csat_high",
                    "csat_mean",
                    "nps",
                    "nps_low",
                    "nps_high",
                    "wait_median",
                    "wait_p90",
                    "handle_median",
                    "handle_p90",
                ]
            }
            | {"channel": ["Ventanilla única"], "wait_recorded": [True], "handle_recorded": [True]}
        )
    )
    import streamlit as st

    kw = _key_columns_first(
        frame,
        study.KEY_COLUMNS,
        study.SHORT_HEADERS,
        {
            "column_config": {
                "NPS": st.column_config.NumberColumn(format="%,.1f"),
                "CSAT promedio (1-5)": st.column_config.NumberColumn(format="%,.2f"),
            }
        },
    )
    order = kw["column_order"]
    assert order[: len(study.KEY_COLUMNS)] == list(study.KEY_COLUMNS)
    assert sorted(order) == sorted(frame.columns)  # nothing dropped
    config = kw["column_config"]
    assert config["Canal"]["pinned"] is True
    assert config["CSAT promedio (1-5)"]["label"] == "CSAT"
    assert config["CSAT promedio (1-5)"]["help"] == "CSAT promedio (1-5)"
    assert config["CSAT promedio (1-5)"]["type_config"]["format"] == "%,.2f"
    assert config["NPS"]["type_config"]["format"] == "%,.1f"  # the page's own settings kept
    with pytest.raises(KeyError):
        _key_columns_first(frame, ("No existe",), {}, {})


def test_favicon_is_a_local_file_everywhere():
    assert Path(PAGE_ICON).is_file()
    for path in [ROOT / "Home.py", *(ROOT / "lib" / "ui").glob("*.py")]:
        text = path.read_text()
        if "set_page_config" in text:
            assert "page_icon=PAGE_ICON" in text, path


def test_house_css_has_the_print_stylesheet_and_the_uploader_in_spanish():
    css = CSS.read_text()
    assert "@media print" in css
    for testid in ("stSidebar", "stHeader", "stToolbar"):
        assert f'[data-testid="{testid}"]' in css
    assert "break-inside: avoid" in css
    assert 'content: "Elegir archivo"' in css


def _calls(path: Path, names: set[str]):
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in names
        ):
            yield node


def test_every_select_box_has_a_spanish_placeholder():
    """Streamlit's default placeholder is "Choose an option"."""
    missing = [
        f"{path.relative_to(ROOT)}:{call.lineno}"
        for path in [*(ROOT / "pages").glob("*.py"), *(ROOT / "lib" / "ui").glob("*.py")]
        for call in _calls(path, {"selectbox", "multiselect"})
        if "placeholder" not in {k.arg for k in call.keywords}
    ]
    assert not missing, missing


def test_no_multiselect_offers_streamlits_english_select_all():
    """st.multiselect lists a "Select all" option (English) unless select_all=False."""
    offering = [
        f"{path.relative_to(ROOT)}:{call.lineno}"
        for path in [*(ROOT / "pages").glob("*.py"), *(ROOT / "lib" / "ui").glob("*.py")]
        for call in _calls(path, {"multiselect"})
        if not any(
            k.arg == "select_all" and isinstance(k.value, ast.Constant) and k.value.value is False
            for k in call.keywords
        )
    ]
    assert not offering, offering
