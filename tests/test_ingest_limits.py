"""Import limits (issue 16): ZIP bombs, oversized cells and lines, too many rows and formula
cells are refused before the content is held in memory, with a Spanish message that says
what and where; and fuzzing (random bytes, CSV shapes, xlsx-ish ZIPs) never gets past the
importer's own report. Memory is measured with tracemalloc (peak of Python allocations, which
include openpyxl's, pandas' object cells and the csv module's); elapsed time is printed, not
asserted (speed is the benchmarks' business, docs/performance.md)."""

from __future__ import annotations

import base64
import io
import os
import time
import tracemalloc
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from lib.db.engine import make_engine
from lib.db.migrate import upgrade_schema
from lib.ingest.limits import ImportLimits, import_limits
from lib.ingest.load import import_file
from lib.ingest.readers import ReadError, open_table
from lib.sessions import SettingError
from tests.test_ingest import GOOD_ROW, PATRON_HEADER, dump, load_examples

HEADER = PATRON_HEADER.split(";")
PEAK_MB = 300


@pytest.fixture(scope="module")
def sqlite_catalogs(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'f.db'}")
    upgrade_schema(engine)
    load_examples(engine, upto="patron")
    yield engine
    engine.dispose()


def _measured(fn):
    """(result, elapsed seconds, peak MB of Python allocations) of ``fn()``."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        out = fn()
    finally:
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out, elapsed, peak


def _template_xlsx() -> dict[str, bytes]:
    """The members of a one-sheet workbook with the patron header, written by openpyxl."""
    wb = Workbook()
    wb.active.append(HEADER)
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as z:
        return {n: z.read(n) for n in z.namelist()}


def _xlsx_with_sheet(path: Path, sheet_parts, compresslevel: int = 6, zip64: bool = True) -> Path:
    """A workbook whose sheet XML is streamed from ``sheet_parts`` (an iterable of bytes), so
    the test writes hundreds of MB of XML without holding them."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as out:
        for name, data in _template_xlsx().items():
            if name != "xl/worksheets/sheet1.xml":
                out.writestr(name, data)
        with out.open("xl/worksheets/sheet1.xml", "w", force_zip64=zip64) as sheet:
            for part in sheet_parts:
                sheet.write(part)
    return path


SHEET_HEAD = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1">'
    + b"".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'.encode()
        for i, h in enumerate(HEADER)
    )
    + b"</row>"
)
SHEET_TAIL = b"</sheetData></worksheet>"


def _bomb_parts(megabytes: int):
    yield SHEET_HEAD + b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
    block = b"x" * (1 << 20)
    for _ in range(megabytes):
        yield block
    yield b"</t></is></c></row>" + SHEET_TAIL


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """300 MB of sheet XML (one cell) in a file of a few hundred KB, written in 1 MB blocks."""
    path = tmp_path_factory.mktemp("bomb") / "bomba.xlsx"
    t0 = time.perf_counter()
    _xlsx_with_sheet(path, _bomb_parts(300), compresslevel=1)
    print(
        f"\nbomb: {path.stat().st_size / 1024:,.0f} KB on disk, built in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    return path


# ------------------------------------------------------------------------- bombs, limits


def test_a_zip_bomb_xlsx_is_refused_before_openpyxl_parses_it(catalogs, bomb):
    with zipfile.ZipFile(bomb) as z:  # the oracle: what the archive itself declares
        sheet = z.getinfo("xl/worksheets/sheet1.xml")
    assert sheet.file_size > 300 * 2**20 and bomb.stat().st_size < 2 * 2**20
    before = dump(catalogs)
    r, elapsed, peak = _measured(lambda: import_file(catalogs, "patron", bomb, dry_run=True))
    print(f"zip bomb refused in {elapsed:.2f} s, peak {peak:.1f} MB (tracemalloc)")
    assert r.status == "rechazado", r.report()
    assert "se descomprime" in r.problems["problema"][0]
    assert "se puede cargar" not in r.report()
    assert peak < PEAK_MB
    assert dump(catalogs) == before


def test_the_streaming_guard_stops_a_bomb_that_passes_the_ratio_check(catalogs, bomb):
    """Were the ratio allowed, the byte scan still refuses the cell after one block or so."""
    limits = ImportLimits(max_ratio=10**9)
    r, elapsed, peak = _measured(lambda: import_file(catalogs, "patron", bomb, limits=limits))
    print(f"\nbomb cell refused by the byte scan in {elapsed:.2f} s, peak {peak:.1f} MB")
    assert r.status == "rechazado"
    p = r.problems.iloc[0]
    assert (p["fila"], p["columna"]) == (2, "A")
    assert "La celda A2 (fila 2) tiene más de 32,767 caracteres" in p["problema"]
    assert "MIRADOR_IMPORT_MAX_CELL_CHARS" in p["problema"]
    assert peak < PEAK_MB
    small = ImportLimits(max_bytes=100 * 2**20)  # and the declared total is checked first
    r = import_file(catalogs, "patron", bomb, limits=small)
    assert "MIRADOR_IMPORT_MAX_BYTES" in r.problems["problema"][0]


def test_a_zip_directory_that_understates_a_size_inflates_no_more_than_it_says(catalogs, tmp_path):
    """The checks trust the declared sizes because Python's zipfile stops a member at its
    declared size: a directory claiming 1 MB for 50 MB of XML gets 1 MB read, then refused."""
    path = _xlsx_with_sheet(tmp_path / "miente.xlsx", _bomb_parts(50), 1, zip64=False)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    entry = data.index(b"PK\x01\x02")  # the central directory's entries
    while data[entry + 46 : entry + 46 + len(name)] != name:
        entry = data.index(b"PK\x01\x02", entry + 4)
    data[entry + 24 : entry + 28] = (2**20).to_bytes(4, "little")  # uncompressed size: 1 MB
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        assert z.getinfo(name.decode()).file_size == 2**20
    r, elapsed, peak = _measured(lambda: import_file(catalogs, "patron", bytes(data)))
    print(f"\nunderstated size: refused in {elapsed:.2f} s, peak {peak:.1f} MB")
    assert r.status == "rechazado" and peak < PEAK_MB
    assert r.problems["problema"][0].startswith(("La celda A2", "El archivo parece"))


def _random_text(n: int) -> str:
    """Incompressible letters and digits: a 5 MB cell that no ratio check catches."""
    return base64.b32encode(os.urandom(n * 5 // 8 + 5)).decode()[:n]


def test_a_5mb_cell_is_refused_in_xlsx_csv_and_parquet(catalogs, tmp_path):
    big = _random_text(5 * 2**20)
    good = GOOD_ROW.split(";")
    row = [*good[:1], big, *good[2:]]  # rfc_patron, column B
    cells = "".join(
        f'<c r="{chr(65 + i)}2" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(row)
    )  # openpyxl would cut a cell at 32,767 characters: the XML is written here
    _xlsx_with_sheet(
        tmp_path / "grande.xlsx", [SHEET_HEAD, f'<row r="2">{cells}</row>'.encode(), SHEET_TAIL]
    )
    (tmp_path / "grande.csv").write_text(
        PATRON_HEADER + "\n" + GOOD_ROW + "\n" + ";".join(row) + "\n", encoding="utf-8"
    )
    pd.DataFrame([good, row], columns=HEADER).to_parquet(tmp_path / "grande.parquet")
    before = dump(catalogs)
    for name, where in (
        ("grande.xlsx", (2, "B")),
        ("grande.csv", (3, "rfc_patron")),
        ("grande.parquet", (3, "rfc_patron")),
    ):
        r, elapsed, peak = _measured(
            lambda name=name: import_file(catalogs, "patron", tmp_path / name)
        )
        print(f"\n{name}: 5 MB cell refused in {elapsed:.2f} s, peak {peak:.1f} MB")
        assert r.status == "rechazado", r.report()
        p = r.problems.iloc[0]
        assert (p["fila"], p["columna"]) == where, r.report()
        assert "más de 32,767 caracteres" in p["problema"]
        assert peak < PEAK_MB
    assert dump(catalogs) == before


def test_a_huge_csv_line_is_refused_after_reading_its_start(tmp_path):
    """50 MB on one line: only the first line-limit's worth is read."""
    path = tmp_path / "linea.csv"
    with path.open("w") as f:
        f.write(PATRON_HEADER + "\n" + "Z9900000001;")
        chunk = "y" * 2**20
        for _ in range(50):
            f.write(chunk)
        f.write("\n")
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(ReadError) as err:
        list(open_table(path).chunks())
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"\n50 MB line refused in {elapsed:.2f} s, peak {peak:.1f} MB")
    assert (err.value.row, err.value.column) == (2, "rfc_patron")
    assert peak < 50


def test_a_quoted_cell_spanning_many_lines_meets_the_cell_limit():
    cell = '"' + "\n".join(["z" * 1000] * 200) + '"'  # 200 KB inside quotes
    data = (PATRON_HEADER + "\n" + GOOD_ROW.replace(";;", f";{cell};", 1) + "\n").encode()
    with pytest.raises(ReadError, match="más de 32,767 caracteres") as err:
        list(open_table(data).chunks())
    assert err.value.row == 2


def test_a_cell_just_over_the_limit_is_named_on_a_short_line():
    """A line within the line limit but with one cell over the cell limit: found when the
    chunk's cells are measured (only files with such long lines pay for it)."""
    row = GOOD_ROW.replace(";;", ";" + "w" * 40_000 + ";", 1)
    data = (PATRON_HEADER + "\n" + GOOD_ROW + "\n" + row + "\n").encode()
    with pytest.raises(ReadError) as err:
        list(open_table(data).chunks())
    assert (err.value.row, err.value.column) == (3, "rfc_patron")
    with pytest.raises(ReadError) as err:  # a tiny limit: an 11-character registro is over it
        list(open_table(data, limits=ImportLimits(max_cell_chars=5)).chunks())
    assert (err.value.row, err.value.column) == (2, "registro")


def test_row_limit_and_bad_settings(catalogs, monkeypatch):
    rows = [GOOD_ROW.replace("Z9900000001", f"Z99{i:08d}") for i in range(1, 6)]
    content = (PATRON_HEADER + "\n" + "\n".join(rows) + "\n").encode()
    monkeypatch.setenv("MIRADOR_IMPORT_MAX_ROWS", "3")
    r = import_file(catalogs, "patron", content, file_name="cinco.csv")
    assert r.status == "rechazado"
    assert r.problems["fila"][0] == 5  # the fourth data row, below the header
    assert "más de 3 filas" in r.problems["problema"][0]
    monkeypatch.setenv("MIRADOR_IMPORT_MAX_ROWS", "muchas")
    with pytest.raises(SettingError, match="MIRADOR_IMPORT_MAX_ROWS debe ser un número entero"):
        import_limits()
    monkeypatch.setenv("MIRADOR_IMPORT_MAX_ROWS", "0")
    with pytest.raises(SettingError, match="MIRADOR_IMPORT_MAX_ROWS"):
        import_file(catalogs, "patron", content)
    monkeypatch.setenv("MIRADOR_IMPORT_MAX_ROWS", "1_000")
    assert import_limits().max_rows == 1000


def test_xlsx_formulas_are_named_or_read_as_their_stored_result(catalogs, tmp_path):
    good = GOOD_ROW.split(";")
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(good)
    ws.append(["Z9900000002", None, "=1400+39", *good[3:]])  # C3: no stored result
    wb.save(tmp_path / "formula.xlsx")
    r = import_file(catalogs, "patron", tmp_path / "formula.xlsx", dry_run=True)
    assert r.status == "rechazado"
    p = r.problems.iloc[0]
    assert (p["fila"], p["columna"]) == (3, "subdelegacion")
    assert p["problema"].startswith("La celda C3 contiene una fórmula")
    assert "guarde el archivo con valores" in p["problema"]
    assert "falta el valor" not in r.report()
    # the same formula with the result Excel stores next to it: read as that result
    with zipfile.ZipFile(tmp_path / "formula.xlsx") as z:
        members = {n: z.read(n) for n in z.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    assert b"<f>1400+39</f><v></v>" in sheet
    members["xl/worksheets/sheet1.xml"] = sheet.replace(
        b"<f>1400+39</f><v></v>", b"<f>1400+39</f><v>1439</v>"
    )
    with zipfile.ZipFile(tmp_path / "calculada.xlsx", "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    r = import_file(catalogs, "patron", tmp_path / "calculada.xlsx", dry_run=True)
    assert (r.status, r.rows_read, r.rows_inserted) == ("prueba", 2, 2), r.report()
    assert "1 celda(s) con fórmula" in r.report()


# -------------------------------------------------------------------------------- fuzzing

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _refused_cleanly(engine, content: bytes, name: str, before) -> None:
    """The importer's own outcome: a Spanish report, never an exception; a refusal changes
    no table (the load log and audit trail aside)."""
    r = import_file(engine, "patron", content, file_name=name, refresh=False)
    text = " ".join(r.problems["problema"])
    assert "Traceback" not in text and "Error inesperado" not in text, text
    assert "La base de datos rechazó" not in text, text  # a reader bug would surface here
    if r.status == "rechazado":
        assert r.problem_count >= 1 and r.problems["problema"].str.len().min() > 10
        assert dump(engine) == before


@FUZZ
@given(content=st.binary(max_size=2000), name=st.sampled_from(["a.csv", "a.xlsx", "a"]))
def test_fuzz_random_bytes(sqlite_catalogs, content, name):
    _refused_cleanly(sqlite_catalogs, content, name, dump(sqlite_catalogs))


CSV_TEXT = st.lists(
    st.sampled_from(list(';,|\t"\r\n xZ90é\x00') + ["Z9900000001", "1439", "S2", GOOD_ROW]),
    max_size=60,
).map("".join)


@FUZZ
@given(
    body=CSV_TEXT,
    header=st.sampled_from([PATRON_HEADER, PATRON_HEADER.replace(";", ","), "a;b", ""]),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
)
def test_fuzz_csv_shapes(sqlite_catalogs, body, header, encoding):
    content = (header + "\n" + body).encode(encoding, "replace")
    _refused_cleanly(sqlite_catalogs, content, "f.csv", dump(sqlite_catalogs))


XML_BITS = st.sampled_from(
    [
        b"<row>",
        b'<row r="2">',
        b"</row>",
        b'<c r="A2" t="inlineStr"><is><t>',
        b"</t></is></c>",
        b"<c><f>1+1</f><v></v></c>",
        b'<c r="B2" t="s"><v>7</v></c>',
        b"<v>x</v>",
        b"\x00\xff",
        b"Z9900000001",
        b"&amp;",
        b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
    ]
)


@FUZZ
@given(
    parts=st.lists(XML_BITS, max_size=30),
    close=st.booleans(),
    drop=st.sampled_from(
        [None, "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"]
    ),
)
def test_fuzz_xlsx_like_zips(sqlite_catalogs, parts, close, drop):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in _template_xlsx().items():
            if name == "xl/worksheets/sheet1.xml":
                data = SHEET_HEAD + b"".join(parts) + (SHEET_TAIL if close else b"")
            if name != drop:
                z.writestr(name, data)
    _refused_cleanly(sqlite_catalogs, buf.getvalue(), "f.xlsx", dump(sqlite_catalogs))
