"""The import page's sections (pages/92_importar.py), top to bottom: the target table and its
columns, the source profile, the file and how to read it, the button that validates (and
loads), the last result, the recent loads. Writes go through ``ctx.store``."""

import contextlib
from dataclasses import dataclass

import pandas as pd
import streamlit as st
from sqlalchemy.exc import DBAPIError
from streamlit.runtime.uploaded_file_manager import UploadedFile

from lib.export import csv_bytes
from lib.format import fmt_int
from lib.ingest.contract import IMPORT_ORDER, SPECS
from lib.ingest.limits import ImportLimits, describe_limits
from lib.ingest.load import ImportResult
from lib.ingest.profiles import PROFILES, Profile, ProfileError
from lib.ui.context import PageContext
from lib.ui.layout import data_table

KINDS = {
    "int": "entero",
    "float": "número",
    "str": "texto",
    "bool": "sí/no",
    "date": "fecha",
    "datetime": "fecha y hora",
    "month": "mes",
}
STATUS = {
    "cargado": "Cargado",
    "rechazado": "Rechazado",
    "prueba": "Prueba",
    "en curso": "En curso",
    "interrumpida": "Interrumpida",
}
ORDERS = {"Detectar": None, "día-mes": "dmy", "mes-día": "mdy"}


@dataclass(frozen=True)
class ReadOptions:
    """How to read the file, as chosen under it ("Detectar" as None)."""

    encoding: str | None
    sep: str | None
    dry: bool
    date_order: str | None
    two_digit: bool


def choose_table() -> str:
    """The target table (``?imp_tabla=``) and the columns its contract expects."""
    table = st.selectbox(
        "Tabla de destino",
        IMPORT_ORDER,
        format_func=lambda t: f"{SPECS[t].label} ({t})",
        placeholder="Elija una opción",
        key="imp_tabla",
        bind="query-params",
    )
    spec = SPECS[table]
    with st.expander(f"Columnas que espera «{spec.label}»"):
        data_table(
            pd.DataFrame(
                {
                    "Columna": [c.name for c in spec.columns],
                    "También se acepta": [", ".join(c.aliases) for c in spec.columns],
                    "Tipo": [KINDS[c.kind] for c in spec.columns],
                    "Obligatoria": ["sí" if c.required else "no" for c in spec.columns],
                    "Descripción": [c.label for c in spec.columns],
                }
            ),
        )
        st.caption(
            f"Clave natural: {', '.join(spec.key)}. Las filas con una clave que ya existe se "
            "actualizan; las nuevas se agregan. Importe primero los catálogos y los patrones."
        )
    return table


def choose_profile(table: str) -> tuple[Profile | None, dict[str, str]]:
    """The source format (a column profile for ``table``, or none) and its parameters."""
    profiles = {"": "Ninguno: el archivo trae las columnas del contrato"} | {
        p.key: p.label for p in PROFILES.values() if p.table == table
    }
    profile_key = st.selectbox(
        "Formato de origen (perfil de columnas)",
        list(profiles),
        format_func=profiles.__getitem__,
        key="imp_perfil",
        placeholder="Elija una opción",
        help="Un perfil traduce un formato de exportación conocido (p. ej. el registro de "
        "llamadas de un conmutador) a las columnas del contrato; vea docs/import.md.",
    )
    profile = PROFILES.get(profile_key)
    profile_params: dict[str, str] = {}
    if profile is not None:
        st.caption(f"Lee {profile.source}.")
        param_cols = st.columns(len(profile.params))
        for col, param in zip(param_cols, profile.params, strict=True):
            profile_params[param.name] = col.text_input(
                param.label[0].upper() + param.label[1:],
                value=param.default or "",
                key=f"imp_param_{param.name}",
            ).strip()
    return profile, profile_params


def choose_file(limits: ImportLimits) -> UploadedFile | None:
    """The file uploader and the limits it is held to."""
    upload = st.file_uploader("Archivo", type=["csv", "txt", "xlsx", "parquet"], key="imp_archivo")
    st.caption(
        "CSV, TXT, XLSX o Parquet de hasta "
        f"{st.get_option('server.maxUploadSize'):,} MB por archivo al subirlo; se aceptan archivos "
        f"con {describe_limits(limits)}."
    )
    return upload


def read_options() -> ReadOptions:
    """Encoding, separator, validate only, date order and two-digit years."""
    c1, c2, c3 = st.columns(3)
    encoding = c1.selectbox(
        "Codificación", ["Detectar", "utf-8", "cp1252", "latin-1"], placeholder="Elija una opción"
    )
    sep = c2.selectbox(
        "Separador",
        ["Detectar", ",", ";", "|", "\t"],
        format_func=lambda s: {"\t": "Tabulador", "Detectar": "Detectar"}.get(s, s),
        placeholder="Elija una opción",
    )
    dry = c3.toggle("Sólo validar (no guarda)", value=True, key="imp_prueba")
    d1, d2 = st.columns(2)
    date_order = d1.selectbox(
        "Orden de las fechas",
        list(ORDERS),
        key="imp_orden_fechas",
        placeholder="Elija una opción",
        help="Detectar: de todos los valores de cada columna de fechas (9/10/2013 sólo se lee si "
        "otra fecha de la columna muestra el orden, como 25/10/2013); si no se puede saber, la "
        "carga se rechaza y hay que indicarlo aquí.",
    )
    two_digit = d2.checkbox(
        "Años de dos cifras",
        key="imp_anios_dos_cifras",
        help="Acepta 9/10/13: el año es el más reciente de 19aa y 20aa que no pase de hoy.",
    )
    return ReadOptions(
        encoding=None if encoding == "Detectar" else encoding,
        sep=None if sep == "Detectar" else sep,
        dry=dry,
        date_order=ORDERS[date_order],
        two_digit=two_digit,
    )


def _request() -> None:
    # A flag rather than the button's value: the click survives the rerun page_setup may do
    # on a page's first run (lib/ui/context.py, _leave_legacy_routing).
    st.session_state["imp_pendiente"] = True


def run_import(
    ctx: PageContext,
    table: str,
    upload: UploadedFile | None,
    options: ReadOptions,
    profile: Profile | None,
    profile_params: dict[str, str],
    limits: ImportLimits,
) -> None:
    """The button; once clicked with a file, the import (or its validation) with a progress
    bar, its result kept in the session for :func:`last_result`."""
    st.button(
        "Validar archivo" if options.dry else "Validar y cargar",
        type="primary",
        disabled=upload is None,
        icon=":material/upload:",
        key="imp_boton",
        on_click=_request,
    )
    if st.session_state.pop("imp_pendiente", False) and upload is not None:
        if profile is not None:
            try:
                profile.resolve(profile_params)
            except ProfileError as exc:
                st.error(str(exc))
                st.stop()
        bar = st.progress(0.0, text="Preparando…")
        result = ctx.store.import_file(
            table,
            upload.getvalue(),
            file_name=upload.name,
            dry_run=options.dry,
            encoding=options.encoding,
            sep=options.sep,
            progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m),
            limits=limits,
            date_order=options.date_order,
            two_digit_years=options.two_digit,
            profile=profile.key if profile is not None else None,
            profile_params=profile_params if profile is not None else None,
        )
        bar.empty()
        st.session_state["imp_resultado"] = result
        if result.status == "cargado":
            st.cache_data.clear()  # every page reads the new rows and rollups


def last_result(ctx: PageContext) -> None:
    """The last import's verdict, counts and problems (with their CSV)."""
    shown: ImportResult | None = st.session_state.get("imp_resultado")
    if shown is not None:
        result = shown
        text = result.report().split("\n")
        box = {
            "cargado": st.success,
            "prueba": st.info,
            "rechazado": st.error,
            "interrumpida": st.error,
        }[result.status]
        box(text[0], icon=":material/task_alt:" if result.ok else ":material/block:")
        cols = st.columns(5)
        cols[0].metric("Filas leídas", fmt_int(result.rows_read))
        cols[1].metric("Nuevas", fmt_int(result.rows_inserted))
        cols[2].metric("Actualizadas", fmt_int(result.rows_updated))
        cols[3].metric("Sin cambio", fmt_int(result.rows_unchanged))
        cols[4].metric("Con problemas", fmt_int(result.rows_rejected))
        st.caption(" ".join(line for line in text[1:] if not line.startswith("  ")))
        if result.problem_count:
            st.markdown(f"**{fmt_int(result.problem_count)} problema(s)**")
            data_table(
                result.problems.rename(
                    columns={
                        "fila": "Fila",
                        "columna": "Columna",
                        "valor": "Valor",
                        "problema": "Problema",
                    }
                ),
                column_config={"Problema": st.column_config.TextColumn(width="large")},
            )
            name = f"problemas_{result.table}_{result.file_name.rsplit('.', 1)[0]}.csv"
            st.download_button(
                "Descargar problemas (CSV)",
                data=csv_bytes(result.problems),
                file_name=name,
                mime="text/csv",
                on_click=ctx.store.record_export,
                args=(
                    name,
                    len(result.problems),
                    {"reporte": "problemas de importación"},
                ),
                icon=":material/download:",
            )


def recent_loads(ctx: PageContext) -> None:
    """The last 20 loads, after closing attempts whose process died."""
    st.subheader("Cargas recientes")
    # an attempt still «en curso» whose table lock is free died (process killed, connection cut);
    # best effort: the list below is shown even if the sweep cannot write now
    with contextlib.suppress(DBAPIError):
        ctx.store.close_stale_attempts()
    loads = ctx.store.recent_loads(20)  # not cached: a rejected load changes no data version
    data_table(
        loads.assign(status=loads["status"].map(STATUS)).rename(
            columns={
                "id": "Carga",
                "table_name": "Tabla",
                "started_at": "Empezó",
                "finished_at": "Terminó",
                "username": "Usuario",
                "file_name": "Archivo",
                "status": "Estado",
                "rows_read": "Leídas",
                "rows_inserted": "Nuevas",
                "rows_updated": "Actualizadas",
                "rows_rejected": "Con problemas",
            }
        ),
        column_config={
            "Empezó": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm"),
            "Terminó": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm"),
        },
        empty="Todavía no se ha importado ningún archivo en esta base de datos.",
    )
