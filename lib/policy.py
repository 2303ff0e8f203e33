"""Who may see or do what: the one table the menu, every page, every tab with patron data,
every write in lib and every download consult.

Pure (no Streamlit, no SQL), so the whole policy is read and tested in one place, the way a
permissions graph is: :data:`POLICY` maps each protected view or action to the roles that may
use it (and, for identifiers, the per-account grant that also allows it). The place a user
may look at is the other half of the policy: :class:`Scope`, which every query receives inside
its :class:`lib.filters.Filters` and applies whatever else the page asked for.

docs/access.md prints this table; tests/test_policy.py checks the app against it, role by
role and page by page.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    TITULAR = "titular"
    ANALISTA = "analista"
    PLANEADOR = "planeador"
    OFICINA = "oficina"
    ADMINISTRADOR = "administrador"


ROLE_LABELS: dict[Role, str] = {
    Role.TITULAR: "Titular / jefe de división",
    Role.ANALISTA: "Analista",
    Role.PLANEADOR: "Planeador",
    Role.OFICINA: "Oficina (OOAD o subdelegación)",
    Role.ADMINISTRADOR: "Administrador",
}


class Permission(StrEnum):
    """A protected view or action. Pages are named by their URL path."""

    # pages
    PAGE_RESUMEN = "página resumen"
    PAGE_CANALES = "página canales"
    PAGE_EVALUACION = "página evaluacion"
    PAGE_CAMPANAS = "página campanas"
    PAGE_QUEJAS = "página quejas"
    PAGE_ORIENTACION = "página orientacion"
    PAGE_EXPLORADOR = "página explorador"
    PAGE_PROGRAMA = "página programa"
    PAGE_DATOS = "página datos"
    PAGE_DICCIONARIO = "página diccionario"
    PAGE_IMPORTAR = "página importar"
    PAGE_USUARIOS = "página usuarios"
    PAGE_AUDITORIA = "página auditoria"
    # data views inside pages
    PATRON_LIST = "lista de patrones"
    IDENTIFIERS = "identificadores en claro"
    FREE_TEXT = "texto libre"
    # actions
    EXPORT = "descargar"
    TRAIN_SCORE = "entrenar y calificar"
    IMPORT = "importar"
    DRAFT_SAVE = "guardar programa"
    DRAFT_SUBMIT = "enviar programa"
    DRAFT_APPROVE = "aprobar programa"
    MANAGE_USERS = "administrar usuarios"
    READ_AUDIT = "leer bitácora"


ALL_ROLES = frozenset(Role)
ADMIN = frozenset({Role.ADMINISTRADOR})
NOT_PLANNER = ALL_ROLES - {Role.PLANEADOR}


@dataclass(frozen=True)
class Rule:
    """Who may: the roles, or an account holding ``grant`` (a column of app_user)."""

    roles: frozenset[Role]
    why: str  # one line for docs/access.md and for the refusal message
    grant: str | None = None


POLICY: dict[Permission, Rule] = {
    **{
        p: Rule(ALL_ROLES, "Agregados de la división: todos los roles, cortados a su ámbito.")
        for p in (
            Permission.PAGE_RESUMEN,
            Permission.PAGE_CANALES,
            Permission.PAGE_EVALUACION,
            Permission.PAGE_CAMPANAS,
            Permission.PAGE_QUEJAS,
            Permission.PAGE_ORIENTACION,
            Permission.PAGE_EXPLORADOR,
            Permission.PAGE_PROGRAMA,
            Permission.PAGE_DATOS,
            Permission.PAGE_DICCIONARIO,
        )
    },
    Permission.PAGE_IMPORTAR: Rule(ADMIN, "Cargar datos cambia la base compartida."),
    Permission.PAGE_USUARIOS: Rule(ADMIN, "Las cuentas dan acceso a datos fiscales."),
    Permission.PAGE_AUDITORIA: Rule(ADMIN, "La bitácora dice quién vio y descargó qué."),
    Permission.PATRON_LIST: Rule(
        NOT_PLANNER, "Planeación trabaja con agregados; los demás roles atienden patrones."
    ),
    Permission.IDENTIFIERS: Rule(
        frozenset({Role.OFICINA}),
        "La oficina llama a sus patrones; otra cuenta, sólo con el permiso explícito.",
        grant="can_see_identifiers",
    ),
    Permission.FREE_TEXT: Rule(
        NOT_PLANNER,
        "Quejas y comentarios son de patrones: no para planeación; enmascarados sin permiso.",
    ),
    Permission.EXPORT: Rule(ALL_ROLES, "Lo que un rol ve lo puede descargar, y queda registrado."),
    Permission.TRAIN_SCORE: Rule(
        frozenset({Role.ANALISTA, Role.ADMINISTRADOR}),
        "Cambia la lista que siguen todas las oficinas.",
    ),
    Permission.IMPORT: Rule(ADMIN, "Cargar datos cambia la base compartida."),
    Permission.DRAFT_SAVE: Rule(
        frozenset({Role.PLANEADOR, Role.ADMINISTRADOR}), "Planeación redacta el programa."
    ),
    Permission.DRAFT_SUBMIT: Rule(
        frozenset({Role.PLANEADOR, Role.ADMINISTRADOR}), "Planeación envía el programa."
    ),
    Permission.DRAFT_APPROVE: Rule(
        frozenset({Role.TITULAR, Role.ADMINISTRADOR}), "La jefatura aprueba el programa."
    ),
    Permission.MANAGE_USERS: Rule(ADMIN, "Las cuentas dan acceso a datos fiscales."),
    Permission.READ_AUDIT: Rule(ADMIN, "La bitácora dice quién vio y descargó qué."),
}


# Without accounts every visitor is the demo administrator. These permissions act on what
# everyone sees and cost minutes of the server's CPU, so in the demo they are not a visitor's
# to use: the person running the server turns them on with the variable named here (or runs
# the command line, which acts as the database owner).
DEMO_OPERATOR_ONLY: dict[Permission, str] = {Permission.TRAIN_SCORE: "MIRADOR_DEMO_TRAINING"}


class NotPermitted(PermissionError):
    """A write or read the actor's role may not do; the message is Spanish, for the screen."""

    def __init__(self, permission: Permission, role: str) -> None:
        self.permission = permission
        self.role = role
        super().__init__(
            f"Su rol ({ROLE_LABELS.get(role, role)}) no puede "  # type: ignore[call-overload]
            f"{ACTION_PHRASES.get(permission, permission.value)}. Si lo necesita, pídalo a un "
            "administrador."
        )


ACTION_PHRASES: dict[Permission, str] = {
    Permission.TRAIN_SCORE: "entrenar ni calificar el modelo",
    Permission.IMPORT: "importar datos",
    Permission.DRAFT_SAVE: "guardar el programa de trabajo",
    Permission.DRAFT_SUBMIT: "enviar el programa de trabajo",
    Permission.DRAFT_APPROVE: "aprobar el programa de trabajo",
    Permission.MANAGE_USERS: "administrar usuarios",
    Permission.READ_AUDIT: "leer la bitácora",
    Permission.EXPORT: "descargar",
    Permission.PATRON_LIST: "ver listas de patrones",
    Permission.FREE_TEXT: "leer textos de quejas ni comentarios",
}


class DemoOperatorOnly(NotPermitted):
    """A demo visitor asked for what only the server's operator may turn on."""

    def __init__(self, permission: Permission, variable: str) -> None:
        PermissionError.__init__(
            self,
            f"En la demostración sin cuentas, nadie puede "
            f"{ACTION_PHRASES.get(permission, permission.value)} desde la app: quien opera el "
            f"servidor lo hace con la línea de comandos (`python -m lib train` y "
            f"`python -m lib score`) o inicia la app con `{variable}=1`.",
        )
        self.permission = permission
        self.role = "administrador"


def allows(role: str, permission: Permission, grants: frozenset[str] = frozenset()) -> bool:
    """Whether a role (with an account's grants) may use ``permission``."""
    rule = POLICY[permission]
    return role in rule.roles or (rule.grant is not None and rule.grant in grants)


@dataclass(frozen=True)
class Scope:
    """The place a user may look at: the whole institute, an OOAD, or one subdelegación (and
    its OOAD). Built from the account by lib.access.scope_of and carried by every Filters; the
    queries apply it on top of whatever place the page chose, so no page can widen it."""

    ooad_id: int | None = None
    subdelegacion_id: int | None = None

    @property
    def is_national(self) -> bool:
        return self.ooad_id is None and self.subdelegacion_id is None


NATIONAL = Scope()
