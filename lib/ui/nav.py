"""The app's pages, grouped by the people who use them."""

from __future__ import annotations

import streamlit as st

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
# Pages only some roles see in the menu (each page also refuses other roles itself).
RESTRICTED: dict[str, tuple[str, ...]] = {
    "pages/92_importar.py": ("administrador",),
    "pages/95_usuarios.py": ("administrador",),
    "pages/96_auditoria.py": ("administrador",),
}


def pages_for(role: str) -> dict[str, list[tuple[str, str, str, str]]]:
    """The menu of a role: restricted pages left out, and sections left empty dropped."""
    menu = {
        section: [item for item in items if role in RESTRICTED.get(item[0], (role,))]
        for section, items in SECTIONS.items()
    }
    return {section: items for section, items in menu.items() if items}


def navigation():  # noqa: ANN201
    from lib.ui.session import current_user

    pages = {
        section: [
            st.Page(
                path, title=title, url_path=url, icon=icon, default=(path == "pages/1_resumen.py")
            )
            for path, title, url, icon in items
        ]
        for section, items in pages_for(current_user().role).items()
    }
    return st.navigation(pages, position="sidebar", expanded=True)
