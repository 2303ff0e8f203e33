"""The data dictionary: what every metric, table and column of the shared database means.

Pure: it reads the semantic layer (lib/metrics), the schema (lib/db/schema.py) and the
import contract (lib/ingest/contract.py), never the rows; the page adds the row counts and the
latest loads it queries. Kept out of the page so that pages never touch lib.db.
"""

from __future__ import annotations

import pandas as pd

from lib.db.schema import Base
from lib.ingest.contract import SPECS
from lib.metrics import DIMENSIONS, INDICATORS

# Tables no import fills: what the app itself, the demo or a refresh writes.
OTHER = {
    "model_run": "Modelos entrenados",
    "patron_flag": "Patrones calificados por un modelo",
    "work_program": "Programas de trabajo",
    "work_program_target": "Metas de los programas de trabajo",
    "work_program_revision": "Versiones guardadas de los programas",
    "app_user": "Usuarios y su alcance",
    "audit_event": "Bitácora de auditoría",
    "import_load": "Bitácora de importaciones",
    "dataset_info": "Datos sobre la base (demostración, fechas)",
    "ground_truth": "Verdad plantada de la demostración",
}


def metric_table() -> pd.DataFrame:
    """One row per catalogued metric, as the dictionary shows it."""
    metrics = list(INDICATORS.values())
    return pd.DataFrame(
        {
            "Métrica": [m.label for m in metrics],
            "Unidad": [m.unit for m in metrics],
            "Fórmula": [m.formula for m in metrics],
            "Tabla agregada": [m.table.name for m in metrics],
            "Tablas de origen": [", ".join(m.sources) for m in metrics],
            "Dimensiones": [", ".join(DIMENSIONS[d][0] for d in m.dimensions) for m in metrics],
            "Advertencias": [m.caveats for m in metrics],
        }
    )


def table_names() -> list[str]:
    """The importable tables in import order, then every other table alphabetically."""
    others = sorted(t.name for t in Base.metadata.sorted_tables if t.name not in SPECS)
    return [*SPECS, *others]


def table_content(name: str) -> str:
    if name in SPECS:
        return SPECS[name].label
    return OTHER.get(name, "Agregado (lo recalcula refresh)")


def _describe(contract_column, column, spec) -> str:
    if contract_column is not None:
        return contract_column.label
    if spec and column.name in spec.derived:
        return "calculada al cargar"
    if spec and column.primary_key and column.name not in spec.key:
        return "asignada por Mirador"
    return ""


def column_table(name: str) -> pd.DataFrame:
    """Every column of table ``name``: type, nullability, keys, meaning and the file header
    (with up to three aliases) the importer reads it from."""
    table = Base.metadata.tables[name]
    spec = SPECS.get(name)
    contract = {c.target: c for c in spec.columns} if spec else {}
    rows = []
    for col in table.columns:
        c = contract.get(col.name)
        fks = ", ".join(f"{fk.column.table.name}.{fk.column.name}" for fk in col.foreign_keys)
        aliases = " (" + ", ".join(c.aliases[:3]) + ")" if c is not None and c.aliases else ""
        rows.append(
            {
                "Columna": col.name,
                "Tipo": str(col.type),
                "Nula": "sí" if col.nullable else "no",
                "Llave": "PK" if col.primary_key else ("FK→" + fks if fks else ""),
                "Descripción": _describe(c, col, spec),
                "En el archivo": c.name + aliases if c is not None else "",
            }
        )
    return pd.DataFrame(rows)


def import_note(name: str) -> str | None:
    """The natural key and notes of an importable table, or None for the others."""
    spec = SPECS.get(name)
    if spec is None:
        return None
    return (
        f"Clave natural para importar: {', '.join(spec.key)}. {spec.notes} "
        "Ejemplo que se importa sin errores: data/examples/" + name + ".csv."
    )


def indicators_markdown() -> str:
    """docs/indicators.md: every indicator of lib/metrics as a reader of the docs sees it,
    generated (``python -m lib indicators``) so the docs cannot drift from the code
    (tests/test_metrics_common.py compares the committed file with this)."""
    lines = [
        "# Indicators",
        "",
        "Generated from the semantic layer (`lib/metrics/registry.py`) by "
        "`python -m lib indicators > docs/indicators.md`; do not edit by hand. Each value is "
        "Σ numerator ÷ Σ denominator over the rollups of its family, never an average of "
        "averages (docs/analyses.md). Key = what code, drafts and tests use.",
        "",
        "| Key | Indicador | Unidad | Fórmula | Mejor | Cambio probado | Intervalo 95 % | Fuente "
        "| Advertencias |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    better = {"higher": "mayor", "lower": "menor", "neutral": "—"}
    for m in INDICATORS.values():
        cells = [
            f"`{m.key}`",
            m.label,
            m.unit,
            m.formula,
            better[m.direction.value],
            m.test.value + (" + nivel" if m.level_test else ""),
            m.interval.value,
            f"`{m.table.name}`",
            m.caveats or "—",
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
