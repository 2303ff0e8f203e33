"""Database failures as Spanish messages that say what is wrong and what to check."""

from __future__ import annotations

from dataclasses import dataclass

from pandas.errors import DatabaseError as PandasDatabaseError
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from lib.db.engine import DatabaseConfigError, DatabaseTarget
from lib.queries.meta import DatabaseEmpty, SchemaMissing
from lib.sessions import SettingError


@dataclass(frozen=True)
class Problem:
    title: str
    body: str
    detail: str | None = None


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0][:300] if str(orig).strip() else type(orig).__name__


def _unwrap(exc: BaseException) -> BaseException:
    """pandas wraps SQLAlchemy errors in its own DatabaseError; look at the cause."""
    if isinstance(exc, PandasDatabaseError) and isinstance(exc.__cause__, SQLAlchemyError):
        return exc.__cause__
    return exc


def describe(exc: BaseException, target: DatabaseTarget) -> Problem:
    exc = _unwrap(exc)
    where = f"{target.display} (configurada por {target.source})"
    if isinstance(exc, DatabaseConfigError):
        return Problem("La configuración de la base de datos no es válida", str(exc))
    if isinstance(exc, SettingError):
        return Problem("Un ajuste de Mirador no es válido", f"{exc} (variable de entorno).")
    if isinstance(exc, SchemaMissing):
        return Problem(
            "La base de datos no tiene las tablas de Mirador",
            f"Se conectó a {where}, pero no encontró el esquema. Cree el esquema con "
            "`python -m lib migrate` y cargue datos institucionales (README, «Cargar datos reales») o de "
            "demostración (`python -m lib seed`).",
        )
    if isinstance(exc, DatabaseEmpty):
        return Problem(
            "La base de datos está vacía",
            f"El esquema existe en {where}, pero no tiene datos: ni catálogos de oficinas ni "
            "hechos. Cargue datos institucionales (README, «Cargar datos reales»: primero los "
            "catálogos, con `python -m lib import TABLA ARCHIVO`) o de demostración con "
            "`python -m lib seed`.",
        )
    if isinstance(exc, OperationalError) and any(
        s in str(exc.orig) for s in ("no such table", "no such column")
    ):
        return Problem(
            "El esquema de la base de datos no corresponde a esta versión de Mirador",
            f"{where} no tiene una tabla o columna que Mirador necesita. Actualice el esquema "
            "con `python -m lib migrate` y recalcule los agregados con `python -m lib refresh`.",
            _first_line(exc),
        )
    if isinstance(exc, OperationalError):
        return Problem(
            "No se pudo conectar con la base de datos",
            f"No hubo respuesta de {where}. Verifique que el servidor esté encendido y "
            "accesible desde este equipo, que el usuario tenga permiso y que la URL sea "
            "correcta (MIRADOR_DATABASE_URL o [connections.sql] url). Cuando la base vuelva "
            "a responder, basta con recargar la página.",
            _first_line(exc),
        )
    if isinstance(exc, DBAPIError):
        return Problem(
            "La base de datos respondió con un error",
            f"La consulta a {where} falló. Es posible que el esquema sea de otra versión: "
            "ejecute `python -m lib migrate`.",
            _first_line(exc),
        )
    return Problem("Error inesperado al leer la base de datos", f"Base: {where}.", _first_line(exc))
