"""Dates read honestly (issue 18 item 3): the day/month order of each date column is decided
from all its values, an undecidable column is refused unless the order is stated, dates after
the data date are problems, and problems quote the cell as the file wrote it. Expected dates
are written by hand; the database cases run on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from lib.cli import main
from lib.db.engine import make_engine
from lib.db.schema import Patron
from lib.ingest.contract import SPECS
from lib.ingest.dates import DMY, MDY, ColumnScan, decide, detect_order
from lib.ingest.load import import_file
from lib.ingest.validate import DateReading, consistency, parse_column, validate_chunk
from tests.test_ingest import PATRON_HEADER

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
CFPB = ROOT.parent / "shared" / "data" / "public"
CFPB = CFPB / "cfpb_complaints_2013_slice.csv"


def patrons(prefix: str, dates: list[str]) -> bytes:
    """A patron file whose registration dates are ``dates``; registros ``prefix`` + number."""
    rows = [f"{prefix}{i:08d};;1439;6;S2;3;1;{d};fisica;no" for i, d in enumerate(dates, 1)]
    return (PATRON_HEADER + "\n" + "\n".join(rows) + "\n").encode()


def stored(engine, prefix: str) -> dict[str, dt.date]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Patron.registro_patronal, Patron.registered_on).where(
                Patron.registro_patronal.like(f"{prefix}%")
            )
        ).all()
    return {r: d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)[:10]) for r, d in rows}


def problems(result) -> str:
    return " | ".join(result.problems["problema"])


def test_month_first_dates_with_small_days_are_refused_then_read_as_stated(
    catalogs,
    tmp_path,
    monkeypatch,
    capsys,
):
    content = patrons("Z91", ["9/10/2013", "1/2/2013", "12/11/2010"])
    r = import_file(catalogs, "patron", content, file_name="us.csv")
    assert r.status == "rechazado"
    text = problems(r)
    assert "«registered_on»" in text and "--orden-fechas" in text and "«9/10/2013»" in text
    assert stored(catalogs, "Z91") == {}

    path = tmp_path / "us.csv"
    path.write_bytes(content)
    monkeypatch.setenv("MIRADOR_DATABASE_URL", catalogs.url.render_as_string(hide_password=False))
    assert main(["import", "patron", str(path), "--no-refresh"]) == 1
    assert "No se puede saber el orden de las fechas" in capsys.readouterr().out
    assert stored(catalogs, "Z91") == {}

    assert main(["import", "patron", str(path), "--no-refresh", "--orden-fechas", "mdy"]) == 0
    assert stored(catalogs, "Z91") == {
        "Z9100000001": dt.date(2013, 9, 10),
        "Z9100000002": dt.date(2013, 1, 2),
        "Z9100000003": dt.date(2010, 12, 11),
    }


def test_a_proof_in_a_later_chunk_decides_the_whole_column(catalogs):
    dates = ["9/10/2013"] * 60 + ["3/4/2012"] * 60 + ["10/25/2013"]  # the proof at row 122
    r = import_file(catalogs, "patron", patrons("Z92", dates), chunk_rows=50, refresh=False)
    assert r.status == "cargado", r.report()
    assert "registered_on mes/día" in " ".join(r.notes)
    got = stored(catalogs, "Z92")
    assert got["Z9200000001"] == dt.date(2013, 9, 10)  # first chunk, read month first
    assert got["Z9200000061"] == dt.date(2012, 3, 4)
    assert got["Z9200000121"] == dt.date(2013, 10, 25)


def test_proofs_both_ways_are_refused_naming_rows(catalogs):
    r = import_file(
        catalogs, "patron", patrons("Z93", ["25/10/2013", "1/1/2013", "10/25/2013"]), refresh=False
    )
    assert r.status == "rechazado"
    text = problems(r)
    assert "mezcla dos órdenes" in text and "fila 2: «25/10/2013»" in text
    assert "fila 4: «10/25/2013»" in text
    assert stored(catalogs, "Z93") == {}


def test_iso_and_day_first_dates_mix(catalogs):
    dates = ["2013-09-10", "25/10/2013", "9/10/2013", "2011-01-05 00:00:00"]
    r = import_file(catalogs, "patron", patrons("Z94", dates), refresh=False)
    assert r.status == "cargado", r.report()
    assert stored(catalogs, "Z94") == {
        "Z9400000001": dt.date(2013, 9, 10),
        "Z9400000002": dt.date(2013, 10, 25),
        "Z9400000003": dt.date(2013, 10, 9),
        "Z9400000004": dt.date(2011, 1, 5),
    }


def test_a_date_after_the_data_date_is_a_problem_quoted_as_written(catalogs):
    content = patrons("Z95", ["25/10/2026", "15/11/2026", "31/10/2026"])
    r = import_file(catalogs, "patron", content, as_of=dt.date(2026, 10, 31), refresh=False)
    assert r.status == "rechazado"
    assert r.problems[["fila", "columna", "valor", "problema"]].values.tolist() == [
        [3, "registered_on", "15/11/2026", "fecha posterior a la fecha de corte 31/10/2026"]
    ]
    assert "valor «15/11/2026»: fecha posterior a la fecha de corte 31/10/2026" in r.report()
    assert stored(catalogs, "Z95") == {}  # nothing half-loaded
    # without --as-of the cut-off is today
    later = (dt.date.today() + dt.timedelta(days=40)).strftime("%d/%m/%Y")
    r = import_file(catalogs, "patron", patrons("Z95", ["25/10/2013", later]), dry_run=True)
    assert r.status == "rechazado" and r.problems["valor"].tolist() == [later]


def test_two_digit_years_only_when_stated(catalogs):
    content = patrons("Z96", ["25/10/13", "9/10/85"])
    r = import_file(catalogs, "patron", content, refresh=False)
    assert r.status == "rechazado" and "años son de dos cifras" in problems(r)
    r = import_file(
        catalogs,
        "patron",
        content,
        two_digit_years=True,
        as_of=dt.date(2026, 10, 31),
        refresh=False,
    )
    assert r.status == "cargado", r.report()
    assert stored(catalogs, "Z96") == {
        "Z9600000001": dt.date(2013, 10, 25),
        "Z9600000002": dt.date(1985, 10, 9),
    }


def test_a_stated_order_that_the_values_contradict_is_refused():
    scan = ColumnScan("received_on")
    scan.add(pd.Series(["25/10/2013", "1/2/2013"], index=[2, 3], dtype=object))
    assert decide(scan, DMY, False).order == DMY
    message, row = decide(scan, MDY, False).error
    assert row == 2 and "«25/10/2013»" in message and "mes/día" in message


def test_problems_quote_the_cell_not_a_timestamp():
    """A closing date before the reception date, written d/m: the report shows «17/06/2015»,
    not «2015-06-17 00:00:00»."""
    spec = SPECS["complaint"]
    raw = pd.DataFrame(
        {"received_on": ["20/06/2015"], "due_on": ["01/08/2015"], "closed_on": ["17/06/2015"]},
        index=[2],
        dtype=object,
    )
    typed, _ = validate_chunk(spec, raw, DateReading({"received_on": DMY}))
    found = consistency(spec, typed, raw)
    assert found["valor"].tolist() == ["17/06/2015"]


@pytest.mark.skipif(not CFPB.exists(), reason=f"the public CFPB slice is not at {CFPB}")
def test_the_cfpb_slice_is_month_first():
    """The CFPB slice's date_received is m/d/yyyy; mapping it to the complaint contract would
    need catalogs it does not have, so the detector reads the column read with the csv module."""
    with CFPB.open(newline="", encoding="utf-8") as fh:
        values = [row["date_received"] for row in csv.DictReader(fh)]
    assert len(values) == 1000
    assert detect_order(values, "date_received").order == MDY
    reading = DateReading({"received_on": MDY})
    parsed = parse_column(SPECS["complaint"].col("received_on"), pd.Series(values), reading)[0]
    assert values[0] == "8/30/2013" and parsed[0] == pd.Timestamp(2013, 8, 30)
    # dates whose day is 12 or less, read by hand from the file (row 16 = values[14])
    assert values[14] == "9/10/2013" and parsed[14] == pd.Timestamp(2013, 9, 10)
    by_value = dict(zip(values, parsed, strict=True))
    assert by_value["9/1/2013"] == pd.Timestamp(2013, 9, 1)
    assert by_value["10/15/2013"] == pd.Timestamp(2013, 10, 15)


def test_a_repeated_month_key_is_quoted_as_written(catalogs):
    assert import_file(catalogs, "patron", patrons("Z97", ["21/03/2010"]), refresh=False).ok
    header = "registro;mes;subdelegacion;emitido;pagado_a_tiempo;pagado_tarde;saldo_vencido"
    rows = ["Z9700000001;11/2023;1439;10;10;0;0", "Z9700000001;2023-11;1439;12;12;0;0"]
    r = import_file(
        catalogs, "collection_monthly", "\n".join([header, *rows]).encode(), refresh=False
    )
    assert r.status == "rechazado"
    assert r.problems[["fila", "valor", "problema"]].values.tolist() == [
        [3, "Z9700000001 / 2023-11", "clave repetida: ya aparece en la fila 2"]
    ]


def test_the_import_page_states_the_order(sqlite_tiny, tmp_path, monkeypatch):
    """«Orden de las fechas»: Detectar refuses a month-first file with small days; «mes-día»
    loads it (SQLite; the page calls the same import_file as above)."""
    from streamlit.testing.v1 import AppTest

    url = f"sqlite:///{tmp_path / 'copia.db'}"
    shutil.copy(sqlite_tiny.removeprefix("sqlite:///"), tmp_path / "copia.db")
    example = (EXAMPLES / "patron.csv").read_text(encoding="utf-8-sig").splitlines()
    head, rows = example[0], [r.split(";") for r in example[1:3]]
    for i, (r, d) in enumerate(zip(rows, ["9/10/2013", "1/2/2013"], strict=True), 1):
        r[0], r[7] = f"Y98{i:08d}", d
    content = "\n".join([head] + [";".join(r) for r in rows]).encode()
    monkeypatch.setenv("MIRADOR_DATABASE_URL", url)
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=90)
    at.run()
    at = at.switch_page("pages/92_importar.py").run()
    at.selectbox(key="imp_tabla").set_value("patron").run()
    at.file_uploader(key="imp_archivo").set_value(("us.csv", content, "text/csv")).run()
    at.toggle(key="imp_prueba").set_value(False).run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.error[0].value.startswith("Carga rechazada")
    assert "No se puede saber el orden" in at.dataframe[1].value.iloc[0]["Problema"]
    at.selectbox(key="imp_orden_fechas").set_value("mes-día").run()
    at.button[0].click().run()
    assert at.success[0].value.startswith("Carga aceptada")
    engine = make_engine(url)
    assert stored(engine, "Y98") == {
        "Y9800000001": dt.date(2013, 9, 10),
        "Y9800000002": dt.date(2013, 1, 2),
    }
    engine.dispose()


def test_an_impossible_month_first_date_says_the_order():
    raw = pd.Series(["2/30/2013", "10/25/2013"], index=[2, 3], dtype=object)
    col = SPECS["patron"].col("registered_on")
    values, bad = parse_column(col, raw, DateReading({"registered_on": MDY}))
    assert bad.tolist() == [True, False] and values[3] == pd.Timestamp(2013, 10, 25)
    frame = pd.DataFrame({"registered_on": raw})
    _, found = validate_chunk(SPECS["patron"], frame, DateReading({"registered_on": MDY}))
    assert found.loc[found["columna"] == "registered_on", "problema"].tolist() == [
        "no es una fecha (mm/dd/aaaa o aaaa-mm-dd)"
    ]
