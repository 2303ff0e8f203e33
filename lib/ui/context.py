"""One call at the top of every page: configuration, database health, filters, freshness.

Every page file must stand on its own (a ``pages/`` folder lets Streamlit run a page without
Home.py; ../shared/STREAMLIT-NOTES.md §1), so everything a page needs is set up here.
"""

from __future__ import annotations

import fcntl
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from lib.access import DEMO_USER, User, enforce_scope, within_scope
from lib.audit import record_event
from lib.db.engine import DEFAULT_SQLITE_PATH, DatabaseTarget, database_target
from lib.demo import growth
from lib.filters import Filters
from lib.format import date_label
from lib.policy import Permission
from lib.queries import catalogs
from lib.queries.meta import FACT_TABLES, DatabaseEmpty, DatasetMeta, dataset_meta
from lib.ui.auth import require, signed_in_user
from lib.ui.data import Source, cached, engine_for
from lib.ui.errors import describe
from lib.ui.filters import filter_bar, remember_page, scope_label, shared_by_every_page
from lib.ui.store import Store
from lib.ui.style import PAGE_ICON, apply_house_style
from lib.ui.urlstate import copy_link_button

LOGO = Path(__file__).resolve().parent / "assets" / "logo.svg"
# What each page cannot show anything without: when the tables are not loaded (all of them,
# or for the explorer any one), the page says which import would fill it and stops (a
# database may hold any subset of the facts; docs/import.md).
PAGE_NEEDS: dict[Permission, tuple[str, ...]] = {
    Permission.PAGE_CANALES: ("interaction",),
    Permission.PAGE_EVALUACION: ("survey_response",),
    Permission.PAGE_CAMPANAS: ("campaign", "campaign_assignment", "collection_monthly"),
    Permission.PAGE_QUEJAS: ("complaint",),
    Permission.PAGE_ORIENTACION: ("patron", "collection_monthly"),
    Permission.PAGE_PROGRAMA: ("interaction",),
}
PAGE_NEEDS_ANY: dict[Permission, tuple[str, ...]] = {
    Permission.PAGE_EXPLORADOR: FACT_TABLES[1:],
}
# Pages that show whatever they can and say, under the title, which imports are missing.
NOTE_MISSING = {Permission.PAGE_RESUMEN, Permission.PAGE_DATOS}
DEMO_SCALE = "demo"
DEMO_SEED = 7


def ooad_of(subdelegaciones: pd.DataFrame) -> dict[int, int]:
    """Subdelegación id → its OOAD id (the catalog as the page holds it)."""
    return dict(
        zip(subdelegaciones["id"].astype(int), subdelegaciones["ooad_id"].astype(int), strict=True)
    )


@dataclass(frozen=True)
class PageContext(Source):
    filters: Filters | None  # None on pages that do not use the global filters
    ooads: pd.DataFrame
    subdelegaciones: pd.DataFrame
    channels: pd.DataFrame
    size_bands: pd.DataFrame
    user: User = DEMO_USER
    page: str = ""  # the page's title: what audit events name

    @property
    def store(self) -> Store:
        """Writes and live reads (drafts, accounts, audit, imports, the model) as this user,
        through the writer connection: the only way a page reaches them (lib/ui/store.py)."""
        return Store(self, self.user)

    @property
    def ooad_of(self) -> dict[int, int]:
        """Subdelegación id → its OOAD id, for scope checks and drill-downs."""
        return ooad_of(self.subdelegaciones)

    @property
    def scope(self) -> str:
        if self.filters is None:
            return ""
        return scope_label(
            self.filters, self.ooads, self.subdelegaciones, self.channels, self.size_bands
        )


def _first_start() -> None:
    """Create and fill the embedded demo database, once, with a progress bar."""
    lock_path = DEFAULT_SQLITE_PATH.with_suffix(".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        with st.spinner("Otra sesión está preparando la base de demostración; esperando…"):
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if DEFAULT_SQLITE_PATH.exists():
                return
            from lib.demo.seed import seed_sqlite_file

            st.title("Mirador")
            st.info(
                "Primer arranque: se está creando la base de datos integrada "
                f"({DEFAULT_SQLITE_PATH.name}) con un instituto de demostración reducido, "
                "datos sintéticos, y se entrena el modelo de orientación. Tarda unos segundos; "
                "el instituto de demostración completo se prepara después, mientras usted ya "
                "consulta las páginas."
            )
            bar = st.progress(0.0, text="Preparando…")
            seed_sqlite_file(
                DEFAULT_SQLITE_PATH,
                growth.FIRST_SCALE,
                DEMO_SEED,
                lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m),
                train=True,
                grows_to=DEMO_SCALE,
            )
            bar.empty()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    st.rerun()


def _growing(engine: Engine, scale: str | None) -> None:
    """The first start's small institute grows to ``scale`` in the background
    (lib.demo.growth): start it once per process, and say so at the top of the page with
    its progress, refreshed every 2 s; when the full institute is in, rerun the page. Without
    ``scale`` (the growth has ended), only what went wrong, for this process's lifetime."""
    if scale is not None:
        from lib.demo.seed import seed_sqlite_file

        growth.start(DEFAULT_SQLITE_PATH, scale, DEMO_SEED, seed_sqlite_file, engine.dispose)
    _growth_progress(scale or DEMO_SCALE)


@st.fragment(run_every=2)
def _growth_progress(scale: str) -> None:
    from lib.demo.generator import SCALES  # only on a first start: numpy and the generator

    g = growth.current()
    if g is None:
        return
    if g.error:
        st.warning(g.error, icon=":material/warning:")
    elif g.done:
        st.rerun()  # the whole page, now on the full institute
    else:
        st.info(
            f"Estas cifras son de un instituto de demostración reducido "
            f"({SCALES[growth.FIRST_SCALE]:,} patrones), para mostrarlas de inmediato. "
            f"El instituto completo ({SCALES[scale]:,} patrones) se está preparando y "
            "reemplazará estas cifras al terminar.",
            icon=":material/hourglass_top:",
        )
        st.progress(g.fraction, text=f"{g.message} · {g.seconds:.0f} s")


def _stop_with_problem(exc: BaseException, target: DatabaseTarget) -> None:
    problem = describe(exc, target)
    st.title("Mirador")
    st.error(f"**{problem.title}.** {problem.body}", icon=":material/error:")
    if problem.detail:
        with st.expander("Detalle técnico"):
            st.code(problem.detail, language=None)
    st.button("Reintentar", icon=":material/refresh:")
    st.stop()


def _leave_legacy_routing() -> None:
    """A freshly started server routes /canales straight to pages/2_canales.py (the legacy
    pages/ mode) until some session has run st.navigation: no router, a wrong menu.
    Switch the flag Streamlit itself clears in st.navigation, and rerun through Home.py.
    (STREAMLIT-NOTES §1; streamlit.runtime.pages_manager, 1.67.)"""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_setup(
    title: str,
    permission: Permission,
    caption: str | None = None,
    show_filters: bool = True,
    allow_empty: bool = False,
) -> PageContext:
    """``permission``: what the policy requires to open this page (lib/policy.py; the menu
    lists the page only for those users, and this refuses a typed or forged URL).
    ``allow_empty``: the page works on a migrated database with no patrons yet (the import
    page loads the first ones); every other page says the database is empty and stops."""
    _leave_legacy_routing()
    st.set_page_config(page_title=f"{title} · Mirador", page_icon=PAGE_ICON, layout="wide")
    apply_house_style()
    st.logo(str(LOGO), size="large")
    target = database_target()
    if target.is_default and not DEFAULT_SQLITE_PATH.exists():
        _first_start()
    try:
        engine = engine_for(target.url)
        try:
            meta = dataset_meta(engine)
        except DatabaseEmpty:
            if not allow_empty:
                raise
            meta = DatasetMeta(False, None, "", "", (), {}, loaded=frozenset())
    except Exception as exc:  # every failure becomes a readable message, never a traceback
        _stop_with_problem(exc, target)
        raise  # unreachable: st.stop() raises
    grown = growth.current()
    if target.is_default and (meta.info.get(growth.GROWS_TO) or (grown and grown.error)):
        _growing(engine, meta.info.get(growth.GROWS_TO))
    source = Source(target, engine, meta)
    try:
        ooads, subdelegaciones, channels, size_bands = (
            cached(source, fn)
            for fn in (
                catalogs.ooads,
                catalogs.subdelegaciones,
                catalogs.channels,
                catalogs.size_bands,
            )
        )
    except Exception as exc:
        _stop_with_problem(exc, target)
        raise
    try:
        user = signed_in_user(source.write_engine)
    except Exception as exc:
        _stop_with_problem(exc, target)
        raise
    require(user, permission, source.write_engine)
    notices: list[str] = []
    if show_filters:
        filters = _scoped_filter_bar(
            source.write_engine,
            user,
            meta.months,
            ooads,
            subdelegaciones,
            channels,
            size_bands,
            page=title,
            notices=notices,
        )
    else:
        remember_page(title)
        st.sidebar.caption("Esta página no usa los filtros; se conservan para las demás.")
        filters = None
    copy_link_button()
    ctx = PageContext(
        target,
        engine,
        meta,
        filters,
        ooads,
        subdelegaciones,
        channels,
        size_bands,
        user=user,
        page=title,
    )

    if meta.demo_with_imports:
        st.warning(
            "**Datos de demostración con archivos cargados.** Esta base es el instituto "
            "simulado de demostración y además se le cargaron archivos (ver «Datos y "
            "cobertura»): las cifras mezclan datos sintéticos y cargados, y la verdad plantada "
            "de la demostración ya no las describe. Cargue datos institucionales en una base "
            "propia.",
            icon=":material/science:",
        )
    elif meta.is_demo:
        st.warning(
            "**Datos de demostración.** Todo lo que se ve es sintético: un instituto simulado "
            "sobre los catálogos reales de OOAD y subdelegaciones, con efectos plantados y "
            "documentados. No son cifras del IMSS.",
            icon=":material/science:",
        )
    st.title(title)
    fresh = f"Datos al {date_label(meta.data_as_of)}"
    if meta.rollups_refreshed_at:
        fresh += f" · agregados actualizados el {date_label(pd.Timestamp(meta.rollups_refreshed_at).date())}"
    st.caption(" · ".join(x for x in (caption, ctx.scope, fresh) if x))
    for notice in notices:  # a link parameter that could not be used, said (issue 17)
        st.warning(notice, icon=":material/link_off:")
    if not meta.is_demo:
        _say_what_is_missing(meta, permission)
    return ctx


def import_hint(tables: tuple[str, ...]) -> str:
    """'Interacciones (`interaction`) y …: impórtelas con …' for the tables not loaded yet."""
    from lib.ingest.contract import SPECS

    names = [f"{SPECS[t].label.lower()} (tabla `{t}`)" for t in tables]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " y " + names[-1]
    command = tables[0] if len(tables) == 1 else "TABLA"
    return (
        f"{listed}. Se cargan en la página «Importar datos» o con "
        f"`python -m lib import {command} ARCHIVO` (una tabla por archivo; docs/import.md)."
    )


def _say_what_is_missing(meta: DatasetMeta, permission: Permission) -> None:
    """A page whose facts are not loaded says which import would fill it, and stops; the
    overview and the data page list the imports still missing and go on."""
    needs = PAGE_NEEDS.get(permission, ())
    any_of = PAGE_NEEDS_ANY.get(permission, ())
    if meta.missing(needs) or (any_of and len(meta.missing(any_of)) == len(any_of)):
        st.info(
            "**Esta página no tiene datos todavía.** Falta importar "
            + import_hint(meta.missing(needs) or any_of),
            icon=":material/upload_file:",
        )
        st.stop()
    missing = meta.missing()
    if permission in NOTE_MISSING and missing:
        st.caption(
            "Sin importar todavía, por eso algunas cifras aparecen como «—»: "
            + import_hint(missing)
        )


def _requested_place() -> tuple[int | None, int | None] | None:
    """The OOAD / subdelegación the URL asks for (None when it asks for none or is garbled:
    a garbled value is ignored by the filter bar anyway)."""
    try:
        ooad = st.query_params.get("ooad")
        sub = st.query_params.get("subdel")
        return (
            int(ooad) if ooad not in (None, "todas") else None,
            int(sub) if sub not in (None, "todas") else None,
        )
    except ValueError:
        return None


def _scoped_filter_bar(
    engine: Engine,
    user: User,
    months: tuple,
    ooads: pd.DataFrame,
    subdelegaciones: pd.DataFrame,
    channels: pd.DataFrame,
    size_bands: pd.DataFrame,
    page: str,
    notices: list[str] | None = None,
) -> Filters:
    """The filter bar offers only the user's scope; a URL asking for a place outside it is
    ignored, said, and recorded (forged_scope); and whatever comes out is cut to the scope
    again in lib (enforce_scope), so no widget state can widen it."""
    ooad_of_sub = ooad_of(subdelegaciones)
    own_ooad, own_sub = user.ooad_id, user.subdelegacion_id
    if own_sub is not None:
        own_ooad = ooad_of_sub.get(own_sub, own_ooad)
    if own_ooad is not None:
        asked = _requested_place()
        if (
            asked is not None
            and asked != (None, None)
            and not within_scope(user, *asked, ooad_of_sub)
        ):
            record_event(
                engine,
                user,
                "forged_scope",
                page,
                details={"ooad": asked[0], "subdelegacion": asked[1]},
            )
            for key in ("ooad", "subdel"):
                st.query_params.pop(key, None)
                st.session_state.pop(key, None)
            st.warning(
                "El enlace pedía datos fuera de su ámbito; se ignoró y quedó registrado. "
                "Se muestran los de su oficina.",
                icon=":material/shield:",
            )
        ooads = ooads[ooads["id"] == own_ooad]
        subdelegaciones = subdelegaciones[subdelegaciones["ooad_id"] == own_ooad]
        if own_sub is not None:
            subdelegaciones = subdelegaciones[subdelegaciones["id"] == own_sub]
    with shared_by_every_page():
        filters = filter_bar(
            months,
            ooads,
            subdelegaciones,
            channels,
            size_bands,
            page=page,
            ooad_locked=own_ooad is not None,
            subdel_locked=own_sub is not None,
            notices=notices,
        )
    return enforce_scope(filters, user, ooad_of_sub)


def query(ctx: Source, fn, *args, **kwargs):
    """Run a lib.queries function for this page, cached; database failures become messages."""
    try:
        return cached(ctx, fn, *args, **kwargs)
    except Exception as exc:
        _stop_with_problem(exc, ctx.target)
        raise
