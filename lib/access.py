"""Who is looking: the signed-in user, their role and the office scope their data is cut to.

Pure (no Streamlit): pages get the user from :func:`lib.ui.session.current_user`, and lib code
takes a :class:`User` argument, so what a role may see is decided and tested in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

# defined with the masking by content; importable from here as before
from lib.masking import mask_identifier as mask_identifier

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


def sees_patron_lists(user: User) -> bool:
    """Planners work with aggregates only; every other role may see lists of patrons."""
    return user.role != "planeador"


def sees_identifiers(user: User) -> bool:
    """Registro patronal and RFC in the clear: an office (it calls its own patrons) or a user
    explicitly granted it; everyone else sees them masked, in tables and exports alike."""
    return user.role == "oficina" or user.can_see_identifiers


def allowed_scope(user: User) -> tuple[int | None, int | None]:
    """(OOAD, subdelegación) every query of this user is cut to; (None, None) = national."""
    return user.ooad_id, user.subdelegacion_id


def within_scope(
    user: User, ooad_id: int | None, subdelegacion_id: int | None, ooad_of: dict[int, int]
) -> bool:
    """Whether a requested place (from a widget or a URL) lies inside the user's scope."""
    own_ooad, own_sub = allowed_scope(user)
    if own_sub is not None:
        return subdelegacion_id in (None, own_sub) and ooad_id in (None, own_ooad)
    if own_ooad is not None:
        if ooad_id not in (None, own_ooad):
            return False
        return subdelegacion_id is None or ooad_of.get(subdelegacion_id) == own_ooad
    return True


def enforce_scope(filters, user: User, ooad_of: dict[int, int]):  # noqa: ANN001, ANN201
    """The filters cut to the user's scope: what lib.queries receive, whatever the page or the
    URL asked for. A request outside the scope falls back to the whole scope (a widened view is
    never served); inside it, a narrower place is kept."""
    from dataclasses import replace

    own_ooad, own_sub = allowed_scope(user)
    if own_ooad is None and own_sub is None:
        return filters
    if own_sub is not None:
        return replace(filters, ooad_id=ooad_of.get(own_sub, own_ooad), subdelegacion_id=own_sub)
    if within_scope(user, filters.ooad_id, filters.subdelegacion_id, ooad_of):
        return replace(filters, ooad_id=own_ooad)
    return replace(filters, ooad_id=own_ooad, subdelegacion_id=None)
