"""Time-series figures."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lib.charts.theme import ACCENT, CHANNEL_COLORS, style
from lib.metrics import INDICATORS
from lib.metrics.measures import digital_sums


def channel_volume_figure(by_channel: pd.DataFrame) -> go.Figure:
    """Stacked monthly contacts by channel (bars) with the digital share (line, right axis).

    ``by_channel``: month, channel, is_digital, contacts. The one-line reading goes under the
    chart (lib.analysis.readings.digital_share_reading), where it has room.
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for channel, rows in by_channel.groupby("channel", sort=False):
        fig.add_trace(
            go.Bar(
                x=rows["month"],
                y=rows["contacts"],
                name=channel,
                marker_color=CHANNEL_COLORS.get(channel),
                # the channel's id, so a click can filter by it (lib/ui/crossfilter.py)
                customdata=rows.get("channel_id"),
                hovertemplate="%{x|%b %Y}: %{y:,.0f} contactos<extra>" + channel + "</extra>",
            ),
            secondary_y=False,
        )
    monthly = digital_sums(by_channel, ["month"]).set_index("month")
    share = INDICATORS["digital_share"].values(monthly).mul(100)
    fig.add_trace(
        go.Scatter(
            x=share.index,
            y=share.values,
            name="Digital (%)",
            mode="lines+markers",
            line={"color": ACCENT, "width": 3},
            hovertemplate="%{x|%b %Y}: %{y:.1f}% digital<extra></extra>",
        ),
        secondary_y=True,
    )
    top = 10 * math.ceil((share.max() if len(share) else 0) / 10 + 0.5)
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="Contactos por mes", secondary_y=False, tickformat=",")
    fig.update_yaxes(
        title_text="Digital (% de contactos)",
        secondary_y=True,
        range=[0, max(top, 10)],
        dtick=10,
        ticksuffix="%",
        showgrid=False,
    )
    fig.update_xaxes(dtick="M1" if len(monthly) <= 14 else "M3", tickformat="%b %Y")
    fig = style(fig, "Contactos por canal y participación digital", height=470)
    fig.update_layout(margin={"b": 40})
    return fig
