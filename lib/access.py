"""Who is looking: the signed-in user, what the policy lets them do, and the office scope
their data is cut to.

Pure (no Streamlit): pages get the user from :func:`lib.ui.session.current_user`, and lib code
takes a :class:`User` argument, so what a role may see is decided and tested in one place
(the table itself is lib/policy.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# defined with the masking by content; importable from here as before
from lib.masking import mask_identifier as mask_identifier
from lib.policy import (
    DEMO_OPERATOR_ONLY,
    NATIONAL,
    ROLE_LABELS,
    DemoOperatorOnly,
    NotPermitted,
    Permission,
    Scope,
    allows,
)

ROLES: dict[str, str] = {role.value: label for role, label in ROLE_LABELS.items()}


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

    @property
    def grants(self) -> frozenset[str]:
        """The per-account grants the policy knows (columns of app_user)."""
        return frozenset({"can_see_identifiers"} if self.can_see_identifiers else ())


# Without any sign-in configured the embedded demo runs as this user, labelled on every page.
DEMO_USER = User(
    username="demo",
    display_name="Usuario de demostración",
    role="administrador",
    is_demo=True,
)


# The command line acts for whoever holds the server's shell: the database owner.
SYSTEM_USER = User(username="cli", display_name="Línea de comandos", role="administrador")


def operator_turned_on(permission: Permission) -> bool:
    """Whether the server's operator turned on, for demo visitors, a permission the demo keeps
    for the operator (lib.policy.DEMO_OPERATOR_ONLY): its variable set to ``1``."""
    variable = DEMO_OPERATOR_ONLY.get(permission)
    return variable is None or os.environ.get(variable, "").strip() == "1"


def may(user: User, permission: Permission) -> bool:
    """Whether the policy lets this user use ``permission`` (lib/policy.py); a demo visitor,
    who is an administrator by default, still needs the operator for DEMO_OPERATOR_ONLY."""
    if user.is_demo and not operator_turned_on(permission):
        return False
    return allows(user.role, permission, user.grants)


def require(user: User, permission: Permission) -> None:
    """Raise NotPermitted (Spanish message) unless the policy allows it: the first line of
    every write in lib, so a page that forgot its own check still cannot write."""
    if user.is_demo and not operator_turned_on(permission):
        raise DemoOperatorOnly(permission, DEMO_OPERATOR_ONLY[permission])
    if not may(user, permission):
        raise NotPermitted(permission, user.role)


def sees_patron_lists(user: User) -> bool:
    """Planners work with aggregates only; every other role may see lists of patrons."""
    return may(user, Permission.PATRON_LIST)


def sees_identifiers(user: User) -> bool:
    """Registro patronal and RFC in the clear: an office (it calls its own patrons) or a user
    explicitly granted it; everyone else sees them masked, in tables and exports alike."""
    return may(user, Permission.IDENTIFIERS)


def allowed_scope(user: User) -> tuple[int | None, int | None]:
    """(OOAD, subdelegación) every query of this user is cut to; (None, None) = national."""
    return user.ooad_id, user.subdelegacion_id


def scope_of(user: User, ooad_of: dict[int, int]) -> Scope:
    """The place every query of this user is cut to (a subdelegación carries its OOAD)."""
    own_ooad, own_sub = allowed_scope(user)
    if own_sub is not None:
        return Scope(ooad_of.get(own_sub, own_ooad), own_sub)
    return NATIONAL if own_ooad is None else Scope(own_ooad, None)


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


def enforce_scope(filters, user: User, ooad_of: dict[int, int]):
    """The filters cut to the user's scope: what lib.queries receive, whatever the page or the
    URL asked for. A request outside the scope falls back to the whole scope (a widened view is
    never served); inside it, a narrower place is kept. The scope itself rides along in the
    Filters, and every query applies it too, so a page that later drops the place (to show a
    wider comparison) still gets only the user's offices."""
    from dataclasses import replace

    scope = scope_of(user, ooad_of)
    own_ooad, own_sub = allowed_scope(user)
    if scope.is_national:
        return replace(filters, scope=scope)
    if own_sub is not None:
        return replace(filters, ooad_id=scope.ooad_id, subdelegacion_id=own_sub, scope=scope)
    if within_scope(user, filters.ooad_id, filters.subdelegacion_id, ooad_of):
        return replace(filters, ooad_id=own_ooad, scope=scope)
    return replace(filters, ooad_id=own_ooad, subdelegacion_id=None, scope=scope)
