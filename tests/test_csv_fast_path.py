"""The fast CSV path (pyarrow's parser) reads exactly what the guarded csv-module reader reads:
the same cells, None for empty ones, the same spreadsheet row numbers, in the same chunks;
and a file it does not read as regular (a short record deep in the file, a line break inside
quotes, bytes that are not UTF-8, a blank-looking line) is handed to the guarded reader at
that point, with nothing read twice or lost. The oracle is the guarded reader itself, forced."""

from __future__ import annotations

import pandas as pd
import pytest

from lib.ingest import readers
from lib.ingest.limits import ImportLimits


def _read(content: bytes, monkeypatch=None, *, guarded: bool = False, chunk_rows: int = 7):
    if guarded:
        monkeypatch.setattr(readers, "_arrow_csv_chunks", _refusing)
    table = readers.open_table(content, "f.csv", chunk_rows=chunk_rows)
    return [df for df in table.chunks()]


def _same(content: bytes, monkeypatch, chunk_rows: int = 7) -> list[pd.DataFrame]:
    fast = _read(content, chunk_rows=chunk_rows)
    with monkeypatch.context() as m:
        slow = _read(content, m, guarded=True, chunk_rows=chunk_rows)
    assert [len(df) for df in fast] == [len(df) for df in slow]
    for a, b in zip(fast, slow, strict=True):
        assert list(a.index) == list(b.index)
        assert list(a.columns) == list(b.columns)
        assert a.to_numpy().tolist() == b.to_numpy().tolist()
    return fast


def _rows(n: int, sep: str = ",") -> list[str]:
    return [sep.join([str(i), f"nombre {i}", "" if i % 3 else "x", f"{i * 1.5}"]) for i in range(n)]


@pytest.mark.parametrize("sep", [",", ";", "|", "\t"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_regular_files_read_alike(monkeypatch, sep, newline):
    header = sep.join(["id", "nombre", "vacio", "monto"])
    text = newline.join([header, *_rows(30, sep)]) + newline
    chunks = _same(text.encode(), monkeypatch)
    assert chunks[0].index[0] == 2 and chunks[-1].index[-1] == 31
    assert chunks[0].loc[3, "vacio"] is None and chunks[0].loc[2, "vacio"] == "x"


def test_quotes_bom_and_blank_lines_read_alike(monkeypatch):
    text = (
        '\ufeffid,texto,otro\n1,"con, coma",a\n\n2,"comillas ""dobles""",\n3,"",c\n'
        "4,  espacios  ,d\n5,ñandú acentuado,é\n"
    )
    chunks = _same(text.encode("utf-8"), monkeypatch, chunk_rows=2)
    frame = pd.concat(chunks)
    assert list(frame.columns) == ["id", "texto", "otro"]
    assert frame.loc[3, "texto"] == 'comillas "dobles"' and frame.loc[4, "texto"] is None
    assert frame.loc[6, "texto"] == "ñandú acentuado"


@pytest.mark.parametrize(
    "bad",
    [
        "99,corto",  # fewer fields: the guarded reader fills them empty
        '99,"salto\nde línea",z,1',  # a line break inside quotes
        "   ",  # a blank-looking line: skipped by the guarded reader
    ],
)
def test_an_irregular_record_deep_in_the_file_hands_over_without_loss(monkeypatch, bad):
    lines = ["id,nombre,vacio,monto", *_rows(40), bad, *_rows(5)]
    chunks = _same(("\n".join(lines) + "\n").encode(), monkeypatch, chunk_rows=8)
    assert sum(map(len, chunks)) == 45 + (bad.strip() != "")


def test_errors_are_the_guarded_readers(monkeypatch):
    """A record with more fields than the header, or bytes that are not UTF-8 past the
    first megabyte (the encoding is detected from it), deep in the file: the same Spanish
    error, naming the same row."""
    for content in (
        ("id,a\n" + "1,x\n" * 30 + "2,x,extra\n").encode(),
        ("id,a\n" + "1,x\n" * 300_000).encode() + b"2,\xff\xfe\n",
    ):
        errors = []
        for guarded in (False, True):
            with monkeypatch.context() as m, pytest.raises(readers.ReadError) as info:
                _read(content, m, guarded=guarded)
            errors.append((str(info.value), info.value.row))
        assert errors[0] == errors[1]


def test_a_long_cell_is_refused_with_its_row_and_column(monkeypatch):
    limits = ImportLimits(max_cell_chars=50)
    content = ("id,texto\n" + "1,corto\n" * 20 + "2," + "x" * 60 + "\n").encode()
    messages = []
    for guarded in (False, True):
        with monkeypatch.context() as m:
            if guarded:
                m.setattr(readers, "_arrow_csv_chunks", _refusing)
            with pytest.raises(readers.ReadError) as info:
                list(readers.open_table(content, "f.csv", limits=limits).chunks())
        messages.append((str(info.value), info.value.row, info.value.column))
    assert messages[0] == messages[1] and messages[0][1:] == (22, "texto")


def _refusing(*_a, **_k):
    raise readers._NotRegular
    yield  # a generator, as the real one
