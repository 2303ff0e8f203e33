"""Import under the data contract: broken files are rejected with a Spanish message and leave
the database exactly as it was; clean files load idempotently; the demo round-trips.
Everything runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lib.audit import audit_events
from lib.cli import main
from lib.db.engine import make_engine
from lib.db.migrate import upgrade_schema
from lib.db.schema import ROLLUP_TABLES, Base, ImportLoad
from lib.filters import Filters
from lib.ingest.contract import IMPORT_ORDER, SPECS, match_headers, normalise_header
from lib.ingest.export import export_table
from lib.ingest.load import import_file
from lib.ingest.readers import detect_encoding, sniff_separator
from lib.queries import channels, complaints, overview
from tests.conftest import Db

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
LOG_TABLES = {"import_load", "audit_event"}
PATRON_HEADER = (
    "registro;rfc_patron;subdelegacion;division_economica;tamano;puestos;clase_de_riesgo;"
    "fecha_de_registro;tipo_de_persona;competencia_ues"
)
# the day over 12 shows the day/month order (a lone 11/03/2010 is refused as ambiguous)
GOOD_ROW = "Z9900000001;;1439;6;S2;3;1;21/03/2010;fisica;no"


def dump(engine) -> dict[str, tuple[int, str]]:
    """Every table's rows (but the load log and audit trail), hashed: equal dumps = same data."""
    out = {}
    with engine.connect() as conn:
        for t in Base.metadata.sorted_tables:
            if t.name in LOG_TABLES:
                continue
            order = ", ".join(f'"{c.name}"' for c in t.primary_key.columns)
            cur = conn.exec_driver_sql(f'SELECT * FROM "{t.name}" ORDER BY {order}')
            h, n = hashlib.sha256(), 0
            while batch := cur.fetchmany(50_000):  # raw driver values: what is stored
                h.update(repr(batch).encode())
                n += len(batch)
            out[t.name] = (n, h.hexdigest())
    return out


def load_count(engine, status: str | None = None) -> int:
    q = select(func.count()).select_from(ImportLoad)
    if status:
        q = q.where(ImportLoad.status == status)
    with engine.connect() as conn:
        return conn.execute(q).scalar_one()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path):
    """A migrated database with no rows at all, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        url = request.getfixturevalue("pg_database_factory")()
    engine = make_engine(url)
    upgrade_schema(engine)
    yield Db(request.param, url, engine)
    engine.dispose()


def load_examples(engine, upto: str | None = None) -> None:
    for table in IMPORT_ORDER:
        if table == upto:
            return
        r = import_file(engine, table, EXAMPLES / f"{table}.csv", refresh=False)
        assert r.status == "cargado", r.report()


# --------------------------------------------------------------------------- pure pieces


def test_headers_match_spanish_exports_without_accents_or_case():
    spec = SPECS["complaint"]
    m = match_headers(spec, ["Número de Folio", "TIPO", "Fecha de Recepción ", "Otra cosa"])
    assert m.mapping == {
        "Número de Folio": "folio",
        "TIPO": "kind_id",
        "Fecha de Recepción ": "received_on",
    }
    assert m.ignored == ["Otra cosa"]
    assert "due_on" in m.missing and "folio" not in m.missing
    assert "description" not in m.missing  # exports may carry no free text (issue 18)
    assert normalise_header("  Clase de  Riesgo ") == "clase_de_riesgo"


def test_encoding_and_separator_detection():
    text = "folio;descripción\n1;señal\n"
    assert detect_encoding(text.encode("utf-8"), True) == "utf-8-sig"
    assert detect_encoding(text.encode("cp1252"), True) == "cp1252"
    assert sniff_separator("a;b;c") == ";"
    assert sniff_separator("a|b|c") == "|"
    assert sniff_separator("a\tb\tc") == "\t"
    assert sniff_separator('"x,y";b') == ";"
    assert sniff_separator("solo") == ","


def test_every_contract_column_exists_in_the_schema():
    for name, spec in SPECS.items():
        table = Base.metadata.tables[name]
        for col in spec.columns:
            assert col.target in table.c, (name, col.name)
        for key in spec.key:
            assert key in table.c
        for d in spec.derived:
            assert d in table.c


# ----------------------------------------------------------------- rejected, unchanged

BROKEN = {
    # case: (bytes, import kwargs, expected Spanish fragment)
    "wrong_encoding": (
        (PATRON_HEADER + "\n" + GOOD_ROW + "\n").replace("fisica", "física").encode("cp1252"),
        {"encoding": "utf-8"},
        "no está en la codificación utf-8",
    ),
    "wrong_separator": (
        (PATRON_HEADER + "\n" + GOOD_ROW + "\n").encode(),
        {"sep": ","},
        "El separador indicado (coma) no aparece en el encabezado",
    ),
    "unsniffable_separator": (
        (PATRON_HEADER + "\n" + GOOD_ROW + "\n").replace(";", ":").encode(),
        {},
        "revise el separador",
    ),
    "missing_column": (
        (
            PATRON_HEADER.replace(";subdelegacion", "") + "\n" + GOOD_ROW.replace(";1439", "")
        ).encode(),
        {},
        "falta la columna obligatoria «subdelegacion_id»",
    ),
    "text_in_number": (
        (PATRON_HEADER + "\n" + GOOD_ROW.replace(";3;1;", ";tres;1;") + "\n").encode(),
        {},
        "no es un número entero",
    ),
    "unknown_subdelegacion": (
        (PATRON_HEADER + "\n" + GOOD_ROW.replace(";1439;", ";9999;") + "\n").encode(),
        {},
        "la clave no existe en el catálogo de subdelegaciones",
    ),
    "duplicated_key": (
        (PATRON_HEADER + "\n" + GOOD_ROW + "\n" + GOOD_ROW.replace(";3;", ";4;") + "\n").encode(),
        {},
        "clave repetida: ya aparece en la fila 2",
    ),
    "header_only": ((PATRON_HEADER + "\n").encode(), {}, "ninguna fila de datos"),
    "blank_lines_only": (b"\n\n  \n", {}, "no tiene contenido"),
    "zero_bytes": (b"", {}, "El archivo está vacío (0 bytes)"),
    "not_csv_png": (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
        {},
        "no es un CSV",
    ),
    "zip_not_xlsx": (b"PK\x03\x04" + b"\x00" * 100, {}, "no es un libro de Excel"),
    "out_of_range": (
        (PATRON_HEADER + "\n" + GOOD_ROW.replace(";3;1;", ";3;7;") + "\n").encode(),
        {},
        "fuera de rango: debe estar entre 1 y 5",
    ),
    "bad_date": (
        (PATRON_HEADER + "\n" + GOOD_ROW.replace("21/03/2010", "31/02/2010") + "\n").encode(),
        {},
        "no es una fecha",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_file_is_rejected_in_spanish_and_changes_nothing(catalog_db, case):
    """Each broken file on a small database (catalogs and 12 patrons), whose full dump is
    cheap: the Spanish message, and every table but the load log unchanged."""
    content, kwargs, message = BROKEN[case]
    before = dump(catalog_db)
    loads = load_count(catalog_db, "rechazado")
    r = import_file(catalog_db, "patron", content, file_name=f"{case}.csv", **kwargs)
    assert r.status == "rechazado"
    assert not r.ok
    text = " ".join(r.problems["problema"])
    assert message in text, text
    assert "Carga rechazada: la base de datos no cambió" in r.report()
    assert dump(catalog_db) == before
    assert load_count(catalog_db, "rechazado") == loads + 1  # the attempt itself is recorded


def test_rejected_files_leave_every_table_byte_for_byte_unchanged(db):
    """All the broken files above on the tiny demo, against one dump before and one after (a
    dump of the tiny demo takes seconds); any row written and kept would change a hash."""
    before = dump(db.engine)
    for case, (content, kwargs, _message) in BROKEN.items():
        r = import_file(db.engine, "patron", content, file_name=f"{case}.csv", **kwargs)
        assert r.status == "rechazado", case
    # and a file whose first rows are fine and whose last row is not: nothing half-saved
    rows = [GOOD_ROW.replace("Z9900000001", f"Z99{i:08d}") for i in range(1, 300)]
    rows.append(GOOD_ROW.replace(";1439;", ";9999;"))
    r = import_file(
        db.engine, "patron", (PATRON_HEADER + "\n" + "\n".join(rows)).encode(), chunk_rows=50
    )
    assert r.status == "rechazado" and r.rows_read == 300
    assert dump(db.engine) == before


def test_problem_list_has_row_column_value_and_explanation(db):
    rows = [
        GOOD_ROW,
        GOOD_ROW.replace("Z9900000001", "Z9900000002").replace(";1;21/", ";9;21/"),
        GOOD_ROW.replace("Z9900000001", "Z9900000003").replace(";6;S2;", ";6;S9;"),
        GOOD_ROW.replace("Z9900000001", "CORTO"),
    ]
    r = import_file(db.engine, "patron", (PATRON_HEADER + "\n" + "\n".join(rows)).encode())
    assert r.status == "rechazado"
    p = r.problems
    assert list(p.columns) == ["fila", "columna", "valor", "problema"]
    # row 3 has risk class 9; row 5 a short registro (S9 is checked in SQL only when the
    # file is otherwise clean)
    assert ((p["fila"] == 3) & (p["columna"] == "risk_class") & (p["valor"] == "9")).any()
    assert ((p["fila"] == 5) & (p["columna"] == "registro_patronal")).any()
    assert p.loc[p["fila"] == 5, "problema"].iloc[0] == "debe tener 11 caracteres"
    assert r.rows_rejected == 2


def test_a_row_breaking_a_database_constraint_rolls_back_everything(empty_db):
    load_examples(empty_db.engine, upto="patron")
    before = dump(empty_db.engine)
    # a subdelegación whose (ooad, code) pair already exists under another id passes the
    # contract but breaks the table's UNIQUE (ooad_id, code): the database refuses it
    content = "clave,ooad,codigo,nombre\n9901,14,39,Repetida\n"
    r = import_file(empty_db.engine, "subdelegacion", content.encode(), file_name="s.csv")
    assert r.status == "rechazado"
    assert "La base de datos rechazó la carga y no guardó nada" in r.problems["problema"][0]
    assert dump(empty_db.engine) == before


# -------------------------------------------------------------- clean loads, idempotent


def test_examples_load_cleanly_then_reimport_changes_nothing(empty_db):
    eng = empty_db.engine
    load_examples(eng)
    with eng.connect() as conn:
        n_patrons = conn.execute(select(func.count()).select_from(Base.metadata.tables["patron"]))
        assert n_patrons.scalar_one() == 12
    before = dump(eng)
    for table in IMPORT_ORDER:
        r = import_file(eng, table, EXAMPLES / f"{table}.csv")
        assert r.status == "cargado"
        assert (r.rows_inserted, r.rows_updated) == (0, 0), table
        assert r.rows_unchanged == r.rows_read
    assert dump(eng) == before
    # one changed cell: one row updated, nothing inserted
    text = (EXAMPLES / "patron.csv").read_text(encoding="utf-8-sig").splitlines()
    cells = text[1].split(";")
    cells[5] = str(int(cells[5]) + 1)
    text[1] = ";".join(cells)
    r = import_file(eng, "patron", ("\n".join(text) + "\n").encode(), file_name="p2.csv")
    assert (r.status, r.rows_inserted, r.rows_updated) == ("cargado", 0, 1)
    last = audit_events(eng, action="import", limit=1).iloc[0]
    assert last["details"]["actualizadas"] == 1
    assert load_count(eng, "cargado") == 2 * len(IMPORT_ORDER) + 1


def test_as_of_sets_the_data_date_with_the_load(empty_db):
    load_examples(empty_db.engine, upto="patron")
    r = import_file(empty_db.engine, "patron", EXAMPLES / "patron.csv", as_of=dt.date(2026, 10, 31))
    assert r.status == "cargado"
    with empty_db.engine.connect() as conn:
        info = dict(conn.exec_driver_sql("SELECT key, value FROM dataset_info").all())
    assert info["data_as_of"] == "2026-10-31" and info["loaded_at"]
    assert "rollups_refreshed_at" in info


def test_dry_run_reports_counts_and_saves_nothing(empty_db):
    load_examples(empty_db.engine, upto="patron")
    before = dump(empty_db.engine)
    r = import_file(empty_db.engine, "patron", EXAMPLES / "patron.csv", dry_run=True)
    assert (r.status, r.rows_inserted, r.rows_read) == ("prueba", 12, 12)
    assert "Prueba sin cambios" in r.report()
    assert dump(empty_db.engine) == before


def test_latin1_excel_and_parquet_files_load_the_same_rows(empty_db, tmp_path):
    eng = empty_db.engine
    load_examples(eng, upto="patron")
    csv = pd.read_csv(EXAMPLES / "patron.csv", sep=";", dtype=str, encoding="utf-8-sig")
    csv.to_excel(tmp_path / "p.xlsx", index=False)
    r = import_file(eng, "patron", tmp_path / "p.xlsx")
    assert (r.status, r.rows_inserted) == ("cargado", 12), r.report()
    assert r.fmt.startswith("Excel")
    after_xlsx = dump(eng)
    typed = csv.assign(
        puestos=csv["puestos"].astype(int),
        fecha_de_registro=pd.to_datetime(csv["fecha_de_registro"], format="%d/%m/%Y"),
        competencia_ues=csv["competencia_ues"] == "sí",
    )
    typed.to_parquet(tmp_path / "p.parquet", index=False)
    r = import_file(eng, "patron", tmp_path / "p.parquet")
    assert (r.status, r.rows_inserted, r.rows_updated) == ("cargado", 0, 0), r.report()
    # the complaint texts survive a Windows-1252 export with accents and eñes
    load_examples(eng, upto="complaint")
    raw = (EXAMPLES / "complaint.csv").read_text(encoding="utf-8-sig")
    r = import_file(eng, "complaint", raw.encode("cp1252"), file_name="quejas.csv")
    assert r.status == "cargado" and "cp1252" in r.fmt, r.report()
    with eng.connect() as conn:
        texts = conn.execute(select(Base.metadata.tables["complaint"].c.description)).scalars()
        assert any("ñ" in t for t in texts)
    assert after_xlsx["patron"] == dump(eng)["patron"]


def test_a_big_file_streams_in_chunks_with_progress(empty_db):
    load_examples(empty_db.engine, upto="patron")
    rows = [
        f"Z98{i:08d};;1439;6;S2;{i % 40};{1 + i % 5};{11 + i % 9}/03/2010;moral;0"
        for i in range(2500)
    ]
    seen: list[float] = []
    r = import_file(
        empty_db.engine,
        "patron",
        (PATRON_HEADER + "\n" + "\n".join(rows)).encode(),
        chunk_rows=400,
        progress=lambda f, _m: seen.append(f),
    )
    assert (r.status, r.rows_inserted) == ("cargado", 2500), r.report()
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 8


# ------------------------------------------------------------------------ property test


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def catalog_db(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('prop') / 'p.db'}"
    else:
        url = request.getfixturevalue("pg_database_factory")()
    engine = make_engine(url)
    upgrade_schema(engine)
    load_examples(engine, upto="interaction")
    yield engine
    engine.dispose()


CELL = st.one_of(
    st.text(max_size=14),
    st.sampled_from(["", "1439", "9999", "S2", "S9", "-3", "1e309", "31/02/2020", "sí", "NaN"]),
    st.integers(-10, 10**12).map(str),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(CELL, min_size=0, max_size=12), min_size=0, max_size=8),
    sep=st.sampled_from([",", ";", "|", "\t"]),
)
def test_random_malformed_rows_never_crash_nor_leave_partial_data(catalog_db, rows, sep):
    before = dump(catalog_db)
    header = PATRON_HEADER.split(";")
    good = GOOD_ROW.split(";")
    bad = good[:5] + ["no es número"] + good[6:]  # always at least one malformed row
    frame = pd.DataFrame(
        [bad] + [r + [""] * (len(header) - len(r)) for r in rows if len(r) <= len(header)]
    )
    buf = io.StringIO()
    frame.to_csv(buf, sep=sep, header=header, index=False)
    for r in rows:  # rows with too many cells break the CSV itself
        if len(r) > len(header):
            buf.write(sep.join(x.replace(sep, " ").replace("\n", " ") for x in r) + "\n")
    result = import_file(catalog_db, "patron", buf.getvalue().encode("utf-8", "replace"))
    assert result.status == "rechazado"
    assert result.problem_count >= 1
    assert dump(catalog_db) == before


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(min_size=0, max_size=400), name=st.sampled_from(["a.csv", "a.xlsx", "a"]))
def test_random_bytes_never_crash_the_loader(catalog_db, content, name):
    before = dump(catalog_db)
    result = import_file(catalog_db, "patron", content, file_name=name)
    assert result.status == "rechazado"
    assert result.problem_count >= 1 and result.problems["problema"].str.len().min() > 10
    assert dump(catalog_db) == before


# --------------------------------------------------------------------------- round trip


def test_round_trip_of_the_demo_gives_the_same_numbers(db, tmp_path, request):
    if db.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'copy.db'}"
    else:
        url = request.getfixturevalue("pg_database_factory")()
    empty = make_engine(url)
    upgrade_schema(empty)
    empty_db = Db(db.name, url, empty)
    for table in IMPORT_ORDER:
        export_table(db.engine, table, tmp_path / f"{table}.csv")
    for table in IMPORT_ORDER:
        r = import_file(
            empty_db.engine, table, tmp_path / f"{table}.csv", refresh=table == IMPORT_ORDER[-1]
        )
        assert r.status == "cargado", r.report()
    a, b = dump(db.engine), dump(empty_db.engine)
    for name in IMPORT_ORDER + [t.name for t in ROLLUP_TABLES]:
        assert a[name] == b[name], name
    f = Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 1))
    for fn, args in (
        (overview.monthly_indicators, (f,)),
        (overview.unit_indicators, (f,)),
        (channels.channel_sums, (f,)),
        (complaints.volumes, (f, "kind")),
        (complaints.timeliness, (f, dt.date(2026, 10, 31))),
    ):
        x, y = fn(db.engine, *args), fn(empty_db.engine, *args)
        if isinstance(x, dict):
            for k in x:
                pd.testing.assert_frame_equal(x[k], y[k]) if isinstance(
                    x[k], pd.DataFrame
                ) else None
        else:
            pd.testing.assert_frame_equal(x, y)
    empty.dispose()


# --------------------------------------------------------------------------------- CLI


def test_cli_prints_a_spanish_report_and_exits_non_zero_on_rejection(
    sqlite_tiny, tmp_path, monkeypatch, capsys
):
    # a private copy: even rejected and dry-run loads are recorded (import_load, audit), and
    # the shared tiny institute must not carry them into other tests
    shutil.copy(sqlite_tiny.removeprefix("sqlite:///"), tmp_path / "tiny.db")
    sqlite_tiny = f"sqlite:///{tmp_path / 'tiny.db'}"
    monkeypatch.setenv("MIRADOR_DATABASE_URL", sqlite_tiny)
    bad = tmp_path / "malo.csv"
    bad.write_text(PATRON_HEADER + "\n" + GOOD_ROW.replace(";1439;", ";9999;") + "\n")
    problems = tmp_path / "problemas.csv"
    assert main(["import", "patron", str(bad), "--problems", str(problems)]) == 1
    out = capsys.readouterr().out
    assert "Carga rechazada" in out and "fila 2, columna subdelegacion_id" in out
    assert pd.read_csv(problems)["fila"].tolist() == [2]
    assert main(["import", "patron", str(bad), "--dry-run", "--sep", ";"]) == 1
    assert main(["import", "no_existe", str(bad)]) == 2
    good = tmp_path / "bueno.csv"
    good.write_text(PATRON_HEADER + "\n" + GOOD_ROW + "\n")
    assert main(["import", "patron", str(good), "--dry-run"]) == 0
    assert "Prueba sin cambios" in capsys.readouterr().out
    exported = tmp_path / "canales.csv"
    assert main(["export", "channel", str(exported)]) == 0
    assert main(["import", "channel", str(exported), "--no-refresh"]) == 0
    assert "sin cambio 6" in capsys.readouterr().out
    engine = make_engine(sqlite_tiny)
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).where(
                    Base.metadata.tables["patron"].c.registro_patronal == "Z9900000001"
                )
            ).scalar_one()
            == 0
        )
    engine.dispose()


def test_the_data_contract_doc_lists_every_import_column_and_alias():
    doc = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    for spec in SPECS.values():
        assert f"### Import: `{spec.name}`" in doc
        for col in spec.columns:
            assert f"| `{col.name}` |" in doc, (spec.name, col.name)
            for alias in col.aliases:
                assert f"`{alias}`" in doc, (spec.name, alias)


def test_excel_problems_name_the_spreadsheet_row(db, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(PATRON_HEADER.split(";"))
    good = GOOD_ROW.split(";")
    ws.append(good)
    ws.append([None] * len(good))  # a blank row in the middle
    bad = [*good[:6], "9", *good[7:]]
    bad[0] = "Z9900000002"
    ws.append(bad)
    wb.save(tmp_path / "p.xlsx")
    r = import_file(db.engine, "patron", tmp_path / "p.xlsx", chunk_rows=1)
    assert r.status == "rechazado"
    assert r.problems[["fila", "columna"]].values.tolist() == [[4, "risk_class"]]


def test_the_text_report_masks_registros_and_the_problem_list_keeps_them(db):
    """The report is printed by the CLI (a terminal or a scheduler's log may keep it): a bad
    registro patronal appears masked there, in full only in the problems list."""
    bad = "Z9900000012X"  # 12 characters
    rows = [GOOD_ROW.replace("Z9900000001", bad)]
    r = import_file(db.engine, "patron", (PATRON_HEADER + "\n" + "\n".join(rows)).encode())
    assert r.status == "rechazado"
    assert bad in r.problems["valor"].tolist()
    report = r.report()
    assert "columna registro_patronal, valor «Z99••••••12X»" in report
    assert bad not in report


def test_files_loaded_into_the_demo_are_said_and_kept(own_tiny, monkeypatch):
    """Rows loaded into the demo institute: the pages say the data are mixed, and seeding
    refuses to wipe them without --force."""
    from lib.demo.seed import RealDataPresent, seed
    from lib.queries.meta import dataset_meta

    backend, engine = own_tiny
    assert not dataset_meta(engine).demo_with_imports
    dry = import_file(engine, "patron", (PATRON_HEADER + "\n" + GOOD_ROW).encode(), dry_run=True)
    assert dry.status == "prueba" and not dataset_meta(engine).demo_with_imports
    r = import_file(engine, "patron", (PATRON_HEADER + "\n" + GOOD_ROW).encode())
    assert (r.status, r.rows_inserted) == ("cargado", 1), r.report()
    meta = dataset_meta(engine)
    assert meta.is_demo and meta.demo_with_imports
    if backend == "sqlite":
        from streamlit.testing.v1 import AppTest

        monkeypatch.setenv("MIRADOR_DATABASE_URL", engine.url.render_as_string(False))
        at = AppTest.from_file(str(ROOT / "pages" / "1_resumen.py"), default_timeout=90).run()
        assert not at.exception
        assert any("con archivos cargados" in w.value for w in at.warning)
        data = AppTest.from_file(str(ROOT / "pages" / "9_datos.py"), default_timeout=90).run()
        assert not data.exception
        assert next(x.value for x in data.metric if x.label == "Origen") == "Mixto"
    with pytest.raises(RealDataPresent, match="archivos cargados"):
        seed(engine, "tiny", 3)
    seed(engine, "tiny", 3, force=True)
    assert not dataset_meta(engine).demo_with_imports


@pytest.mark.parametrize(
    "cells",
    [
        ["1", "2.5", None, "-3", "1e3", "nan", "inf", "+4", ".5", "5."],
        ["1,5", "2", "1.234,5", "$ 1 234"],
        ["abc", "1"],
        ["9007199254740993", "1"],
        [None, None],
    ],
)
def test_numbers_read_fast_equal_pandas_reading(cells):
    """The pyarrow cast for plain numbers gives what pandas' reading gives: the same values,
    the same cells unreadable; a column with any other text (or an integer a float would
    round) is left to pandas."""
    from lib.ingest import validate

    text = pd.Series(cells, dtype=object).astype("string")
    got = validate._numbers(text)
    values = pd.to_numeric(text, errors="coerce")
    if validate._plain_floats(text) is None:
        return  # read by pandas, as before
    expected = values.astype("Float64").astype(float)
    assert np.allclose(got.to_numpy(), expected.to_numpy(), equal_nan=True)
