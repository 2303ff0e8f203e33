"""Who is looking: the signed-in user, their role and the office scope their data is cut to.

Pure (no Streamlit): pages get the user from :func:`lib.ui.session.current_user`, and lib code
takes a :class:`User` argument, so what a role may see is decided and tested in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES: dict[str, str] = {
    "titular": "Titular / jefe de división",
    "analista": "Analista",
    "planeador": "Planeador",
    "oficina": "Oficina (OOAD o subdelegación)",
    "administrador": "Administrador",
}


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: str
    ooad_id: int | None = None
    subdelegacion_id: int | None = None
    can_see_identifiers: bool = False
    is_demo: bool = False

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"Rol desconocido: {self.role!r}")


# Without any sign-in configured the embedded demo runs as this user, labelled on every page.
DEMO_USER = User(
    username="demo",
    display_name="Usuario de demostración",
    role="administrador",
    is_demo=True,
)
