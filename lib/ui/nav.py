"""The app's pages, grouped by the people who use them."""

from __future__ import annotations

import streamlit as st

from lib.access import User, may
from lib.policy import Permission, Role, allows

SECTIONS: dict[str, list[tuple[str, str, str, str]]] = {
    # section: [(file, title, url path, icon)]
    "Dirección": [
        ("pages/1_resumen.py", "Resumen ejecutivo", "resumen", ":material/dashboard:"),
    ],
    "Análisis": [
        ("pages/2_canales.py", "Canales de atención", "canales", ":material/call_split:"),
        ("pages/3_evaluacion.py", "Evaluación del servicio", "evaluacion", ":material/reviews:"),
        ("pages/4_campanas.py", "Efecto de campañas", "campanas", ":material/campaign:"),
        ("pages/5_quejas.py", "Quejas y denuncias", "quejas", ":material/report:"),
        (
            "pages/6_orientacion.py",
            "Orientación proactiva",
            "orientacion",
            ":material/person_search:",
        ),
        ("pages/8_explorador.py", "Explorador", "explorador", ":material/query_stats:"),
    ],
    "Planeación": [
        ("pages/7_programa.py", "Programa anual de trabajo", "programa", ":material/event_note:"),
    ],
    "Datos": [
        ("pages/9_datos.py", "Datos y cobertura", "datos", ":material/database:"),
        ("pages/91_diccionario.py", "Diccionario de datos", "diccionario", ":material/menu_book:"),
        ("pages/92_importar.py", "Importar datos", "importar", ":material/upload_file:"),
    ],
    "Administración": [
        ("pages/95_usuarios.py", "Usuarios y roles", "usuarios", ":material/manage_accounts:"),
        ("pages/96_auditoria.py", "Bitácora de auditoría", "auditoria", ":material/policy:"),
    ],
}
# What each page needs (lib/policy.py); the menu lists only what the user may open, and
# each page checks the same permission itself (page_setup), so a typed URL is refused too.
PAGE_PERMISSION: dict[str, Permission] = {
    "pages/1_resumen.py": Permission.PAGE_RESUMEN,
    "pages/2_canales.py": Permission.PAGE_CANALES,
    "pages/3_evaluacion.py": Permission.PAGE_EVALUACION,
    "pages/4_campanas.py": Permission.PAGE_CAMPANAS,
    "pages/5_quejas.py": Permission.PAGE_QUEJAS,
    "pages/6_orientacion.py": Permission.PAGE_ORIENTACION,
    "pages/8_explorador.py": Permission.PAGE_EXPLORADOR,
    "pages/7_programa.py": Permission.PAGE_PROGRAMA,
    "pages/9_datos.py": Permission.PAGE_DATOS,
    "pages/91_diccionario.py": Permission.PAGE_DICCIONARIO,
    "pages/92_importar.py": Permission.PAGE_IMPORTAR,
    "pages/95_usuarios.py": Permission.PAGE_USUARIOS,
    "pages/96_auditoria.py": Permission.PAGE_AUDITORIA,
}


def pages_for(user: User | None) -> dict[str, list[tuple[str, str, str, str]]]:
    """The menu of a user: pages the policy refuses left out, and sections left empty
    dropped. ``None`` (nobody signed in yet) gets only what every role may open, so a
    menu is never built from a role the visitor has not proved."""

    def shown(path: str) -> bool:
        permission = PAGE_PERMISSION[path]
        if user is None:
            return all(allows(role, permission) for role in Role)
        return may(user, permission)

    menu = {
        section: [item for item in items if shown(item[0])] for section, items in SECTIONS.items()
    }
    return {section: items for section, items in menu.items() if items}


def navigation():
    from lib.ui.auth import menu_user

    pages = {
        section: [
            st.Page(
                path, title=title, url_path=url, icon=icon, default=(path == "pages/1_resumen.py")
            )
            for path, title, url, icon in items
        ]
        for section, items in pages_for(menu_user()).items()
    }
    return st.navigation(pages, position="sidebar", expanded=True)
