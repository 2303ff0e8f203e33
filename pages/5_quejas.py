"""Quejas, denuncias y recomendaciones: volumes, timeliness, what is unusual, texts."""

from functools import partial

from lib.policy import Permission
from lib.queries import complaints as q
from lib.ui import crossfilter
from lib.ui import quejas as tab
from lib.ui.context import page_setup, query
from lib.ui.layout import lazy_tabs

ctx = crossfilter.narrow(
    page_setup(
        "Quejas y denuncias",
        Permission.PAGE_QUEJAS,
        caption="Quejas, denuncias, PRODECON y sugerencias",
    )
)
f = ctx.filters
as_of = ctx.meta.data_as_of or f.end
channel_names = ctx.channels.set_index("id")["name"].to_dict()

by_kind = query(ctx, q.volumes, f, "kind")
tl = query(ctx, q.timeliness, f, as_of)
tab.headline(by_kind, tl)

lazy_tabs(
    {
        "Volumen": partial(tab.volume, ctx, f),
        "Oportunidad": partial(tab.timeliness, ctx, f, tl, as_of, channel_names),
        "Lo inusual": partial(tab.unusual, ctx, f),
        "Texto": partial(tab.text, ctx, f),
        "Exportar": partial(tab.export, ctx, f, as_of),
    }
)
