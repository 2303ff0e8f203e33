"""Fast, transactional bulk loading of DataFrames: COPY on PostgreSQL, executemany on SQLite;
and the reverse, large query results read through COPY ... TO STDOUT.

Both load paths run inside the caller's transaction, so a failed load leaves nothing behind.
Values are written in the storage format SQLAlchemy itself uses (ISO dates, 0/1 booleans on
SQLite) so rows loaded here read back identically through the ORM and Core.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import Connection, Date, DateTime, Integer, Select, String, Table, text

_CSV_ROWS = 50_000  # rows per slice of CSV text sent to COPY

# Constraints and indexes of one table, as PostgreSQL itself would write them back.
_CONSTRAINTS = text(
    "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE conrelid = CAST(:t AS regclass) AND contype IN ('p', 'u', 'f') ORDER BY conname"
)
_PLAIN_INDEXES = text(
    "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
    "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = CAST(:t AS regclass) "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid "
    "AND k.conrelid = i.indrelid) ORDER BY c.relname"
)
_REFERENCED_FROM_ELSEWHERE = text(
    "SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
    "AND confrelid = CAST(:t AS regclass) AND conrelid <> ALL(CAST(:tables AS regclass[]))"
)


@contextmanager
def indexes_built_after_load(conn: Connection, tables: list[str]) -> Iterator[None]:
    """On PostgreSQL, drop the tables' keys, foreign keys and indexes, and rebuild them after.

    Checking foreign keys row by row and inserting tens of millions of keys into b-trees in
    random order cost far more than one sorted index build and one validating join per
    constraint. Everything happens in the caller's transaction, so other sessions never see the
    tables without their constraints, and the rebuild still checks every row. A key that a table
    outside ``tables`` references stays in place. On SQLite this does nothing.
    """
    if conn.dialect.name != "postgresql" or not tables:
        yield
        return
    conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
    conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
    foreign: list[tuple[str, str, str]] = []
    keys: list[tuple[str, str, str]] = []
    indexes: list[str] = []
    for table in tables:
        for name, kind, definition in conn.execute(_CONSTRAINTS, {"t": table}).all():
            (foreign if kind == "f" else keys).append((table, name, definition))
    for table, name, _ in foreign:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for table, name, definition in list(keys):
        refs = conn.execute(_REFERENCED_FROM_ELSEWHERE, {"t": table, "tables": tables})
        if refs.scalar_one():
            keys.remove((table, name, definition))
        else:
            conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for table in tables:
        for name, definition in conn.execute(_PLAIN_INDEXES, {"t": table}).all():
            indexes.append(definition)
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for table, name, definition in keys:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    for definition in indexes:
        conn.exec_driver_sql(definition)
    for table, name, definition in foreign:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def _prepare(table: Table, df: pd.DataFrame, dialect: str) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for name in df.columns:
        col = df[name]
        sqltype = table.c[name].type
        if isinstance(sqltype, DateTime):
            out[name] = pd.to_datetime(col).dt.strftime("%Y-%m-%d %H:%M:%S.%f")
        elif isinstance(sqltype, Date):
            out[name] = pd.to_datetime(col).dt.strftime("%Y-%m-%d")
        elif isinstance(sqltype, Integer) and col.dtype.kind == "f":
            out[name] = col.astype("Int64")  # NaN made the column float: 1.0 is no integer
        elif col.dtype == bool:
            out[name] = (
                col.astype(np.int8)
                if dialect == "sqlite"
                else col.map({True: "true", False: "false"})
            )
        else:
            out[name] = col
    return out


_ARROW_REFUSED = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)


def _csv_text(chunk: pd.DataFrame) -> bytes | str:
    """One slice as CSV for COPY. pyarrow's writer formats it about five times faster than
    pandas' ``to_csv`` (a national month of contacts: 7.5 s of a load's CPU, issue 20). It
    quotes text, so an empty text cell would arrive as an empty string where pandas' unquoted
    empty field arrives as NULL: empty text is made null first, and both writers store the
    same rows. A column pyarrow cannot type (mixed Python objects) falls back to pandas."""
    try:
        table = pa.Table.from_pandas(chunk, preserve_index=False)
    except _ARROW_REFUSED:
        return chunk.to_csv(index=False, header=False, na_rep="")
    for i, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            column = table.column(i)
            empty = pc.equal(column, pa.scalar("", field.type))
            table = table.set_column(
                i, field, pc.if_else(empty, pa.scalar(None, field.type), column)
            )
    out = io.BytesIO()
    pa_csv.write_csv(table, out, pa_csv.WriteOptions(include_header=False))
    return out.getvalue()


def insert_frame(conn: Connection, table: Table, df: pd.DataFrame, freeze: bool = False) -> int:
    """Append ``df`` (columns named as in ``table``) to ``table``; returns rows written.

    ``freeze`` (PostgreSQL only) writes the rows already frozen, so the first reads and vacuum
    after the load do not rewrite every page; it is allowed only for a table created or
    truncated in the current transaction.
    """
    if df.empty:
        return 0
    dialect = conn.dialect.name
    data = _prepare(table, df, dialect)
    cols = ", ".join(f'"{c}"' for c in data.columns)
    if dialect == "postgresql":
        options = "FORMAT csv, FREEZE" if freeze else "FORMAT csv"
        raw = conn.connection.driver_connection
        assert raw is not None  # a checked-out connection holds its psycopg connection
        with (
            raw.cursor() as cur,
            cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN WITH ({options})') as copy,
        ):
            # In slices: the server stores one slice while the next is formatted, and the CSV
            # text of a whole month (tens of MB) never sits in memory at once.
            for start in range(0, len(data), _CSV_ROWS):
                chunk = data.iloc[start : start + _CSV_ROWS]
                copy.write(_csv_text(chunk))
        return len(data)
    marks = ", ".join("?" for _ in data.columns)
    columns = [
        data[c].astype(object).where(data[c].notna(), None).tolist()
        if data[c].isna().any()
        else data[c].tolist()
        for c in data.columns
    ]
    conn.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})', list(zip(*columns, strict=True))
    )
    return len(data)


def sync_id_sequences(conn: Connection, tables: list[Table]) -> None:
    """On PostgreSQL, move each table's ``id`` sequence past the largest id stored.

    Bulk loads (COPY with explicit ids) leave the sequence at 1, so the next row inserted
    without an id, an import's new complaint say, would collide with the first loaded one.
    SQLite needs nothing: it takes max(id) + 1 by itself.
    """
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" not in table.c or not isinstance(table.c.id.type, Integer):
            continue
        seq = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
        ).scalar_one()
        if seq is None:
            continue
        conn.execute(
            text(
                f'SELECT setval(:s, COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
            ),
            {"s": seq},
        )


def read_select(conn: Connection, query: Select) -> pd.DataFrame:
    """The rows of ``query`` as a DataFrame; on PostgreSQL through ``COPY (query) TO STDOUT``.

    Fetching a million rows as Python tuples and building the frame from them costs about as
    much as the query itself (SQLAlchemy rows, then pandas converting object columns); CSV text
    parsed by pandas' C reader costs a fraction of that. Columns typed Date/DateTime come back
    as datetime64 on both backends; text columns stay text (a code of digits keeps its leading
    zeros; an empty text reads as NaN, like NULL); integer columns holding NULLs come back as
    float with NaN, as ``pd.read_sql`` gives them. Runs in the caller's transaction, so session settings
    (``SET LOCAL work_mem``) apply to it. No expanding ``IN`` parameters (plain binds only).
    """
    dates = [c.name for c in query.selected_columns if isinstance(c.type, Date | DateTime)]
    texts = {c.name: str for c in query.selected_columns if isinstance(c.type, String)}
    if conn.dialect.name != "postgresql":
        out = pd.read_sql(query, conn)
    else:
        compiled = query.compile(dialect=conn.dialect)
        buffer = io.BytesIO()
        raw = conn.connection.driver_connection
        assert raw is not None  # a checked-out connection holds its psycopg connection
        statement = f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv, HEADER)"
        with raw.cursor() as cur, cur.copy(statement, compiled.params) as copy:
            for block in copy:  # psycopg merges the parameters client-side for COPY
                buffer.write(block)
        buffer.seek(0)
        out = pd.read_csv(
            buffer, dtype=texts, true_values=["t"], false_values=["f"], low_memory=False
        )
    for name in dates:
        out[name] = pd.to_datetime(out[name])
    return out


def estimated_rows(conn: Connection, table: Table) -> float:
    """PostgreSQL's estimate of ``table``'s rows (``pg_class.reltuples``, kept by ANALYZE and
    VACUUM): no count. -1 when never analyzed, 0 when the table is unknown."""
    found = conn.exec_driver_sql(
        "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%(name)s)",
        {"name": table.name},
    ).scalar()
    return float(found or 0)
