"""Parse text cells into typed columns and check them against the contract with pandera.

Two steps per chunk: parsing (Spanish formats: dd/mm/aaaa dates, decimal comma, «sí/no») turns
each cell into its type or records why it cannot; then a pandera schema built from the
contract (required values, ranges, allowed values, lengths) checks the typed frame with
``lazy=True`` so every failing cell is reported, not only the first. Both steps produce rows of
the problems table: ``fila``, ``columna``, ``valor``, ``problema`` (Spanish).
Checks that need the database (catalog codes, patrons, duplicated keys across chunks) run in
SQL on the staged rows (lib/ingest/load.py).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from lib.complaint_vocabulary import ComplaintStatus
from lib.ingest.contract import Col, TableSpec
from lib.ingest.dates import MDY, expand_two_digit_years

PROBLEM_COLUMNS = ["fila", "columna", "valor", "problema"]
TRUE = {"1", "true", "verdadero", "si", "s", "yes", "y", "x", "t", "v"}
FALSE = {"0", "false", "falso", "no", "n", "f", ""}
KIND_ES = {
    "int": "un número entero",
    "float": "un número",
    "bool": "sí o no (1/0, sí/no, verdadero/falso)",
    "date": "una fecha (dd/mm/aaaa o aaaa-mm-dd)",
    "datetime": "una fecha y hora (dd/mm/aaaa hh:mm o aaaa-mm-dd hh:mm:ss)",
    "month": "un mes (mm/aaaa, aaaa-mm o una fecha)",
}
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%Y")
MDY_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%m-%d-%Y", "%Y/%m/%d", "%m.%d.%Y")
TIME_FORMATS = ("", " %H:%M:%S.%f", " %H:%M:%S", " %H:%M", "T%H:%M:%S", "T%H:%M:%S.%f")
MONTH_FORMATS = ("%m/%Y", "%Y-%m", "%Y%m", "%m-%Y")


def problems_frame(rows: list[dict] | None = None) -> pd.DataFrame:
    return pd.DataFrame(rows or [], columns=PROBLEM_COLUMNS)


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _plain_floats(s: pd.Series) -> pd.Series | None:
    """Text that is all plain numbers («1234.5», «-3», «1e3»), read by pyarrow's cast (about
    20× pandas' to_numeric: 2.8 s of a national month's load); None when any cell is not."""
    import pyarrow as arrow
    import pyarrow.compute as pc

    try:
        cast = pc.cast(arrow.array(s.array, type=arrow.string()), arrow.float64())
    except (arrow.ArrowInvalid, arrow.ArrowTypeError, arrow.ArrowNotImplementedError):
        return None
    values = cast.to_numpy(zero_copy_only=False)
    if np.nanmax(np.abs(values), initial=0) >= 2**53:  # integers a float would round: pandas
        return None
    return pd.Series(values, index=s.index, dtype=float)


def _numbers(s: pd.Series) -> pd.Series:
    """Text to float: «1234.5» fast; then «1,234.5», «1.234,5», «1234,5», «$ 1 234», «-3»."""
    if (plain := _plain_floats(s)) is not None:
        return plain
    values = pd.to_numeric(s, errors="coerce")
    retry = s.notna() & values.isna()
    if not retry.any():
        return values.astype("Float64").astype(float) if values.dtype == object else values
    t = s[retry].str.replace(r"[\s$]", "", regex=True)
    has_comma = t.str.contains(",", regex=False)
    has_dot = t.str.contains(".", regex=False)
    t = t.where(~(has_comma & ~has_dot), t.str.replace(",", ".", regex=False))  # 12,5
    both = has_comma & has_dot
    if both.any():  # thousands separators: the last mark is the decimal one
        b = t[both].astype(object)
        t[both] = [
            x.replace(".", "").replace(",", ".")
            if x.rfind(",") > x.rfind(".")
            else x.replace(",", "")
            for x in b
        ]
    values = values.astype(float)
    values[retry] = pd.to_numeric(t, errors="coerce").astype(float)
    return values


def _dates(s: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """ISO dates first (fast path); then the format that fits a sample of what is left, on
    all of it; then every format on the few cells still unparsed."""
    out = pd.to_datetime(s, format="ISO8601", errors="coerce")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    out = out.astype("datetime64[us]")
    todo = s.notna() & out.isna()

    def fill(fmt: str) -> None:
        nonlocal todo
        parsed = pd.to_datetime(s[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        out.loc[ok[ok].index] = parsed[ok]
        todo &= out.isna()

    if todo.any():
        sample = s[todo].head(50)
        hits = {f: pd.to_datetime(sample, format=f, errors="coerce").notna().sum() for f in formats}
        best = max(formats, key=lambda f: hits[f])
        if hits[best]:
            fill(best)
    for fmt in formats:
        if not todo.any():
            break
        fill(fmt)
    return out


@dataclass(frozen=True)
class DateReading:
    """How to read the d/m/a dates of a file: each column's order (lib/ingest/dates.py;
    absent = day/month), and the year two-digit years are not after (None = not allowed)."""

    orders: dict[str, str] = field(default_factory=dict)
    two_digit_cutoff_year: int | None = None


def parse_column(
    col: Col, raw: pd.Series, reading: DateReading | None = None
) -> tuple[pd.Series, pd.Series]:
    """(typed values, mask of cells that were given but could not be parsed)."""
    text = raw.astype("string").str.strip()
    text = text.mask(text == "")
    given = text.notna()
    dates = DATE_FORMATS
    if col.kind in ("date", "datetime", "month") and reading is not None:
        if reading.orders.get(col.name) == MDY:
            dates = MDY_FORMATS
        if reading.two_digit_cutoff_year is not None:
            text = expand_two_digit_years(text, reading.two_digit_cutoff_year)
    if col.kind == "str":
        return text.astype(object).where(given, None), pd.Series(False, index=raw.index)
    if col.kind in ("int", "float"):
        values = _numbers(text)
        bad = given & values.isna()
        if col.kind == "int":
            frac = values.notna() & (values != np.floor(values.fillna(0)))
            bad |= frac
            values = values.where(~frac & (values.abs() < 2**62))
            bad |= given & values.isna()
            values = values.round().astype("Int64")
        return values, bad
    if col.kind == "bool":
        uniq = text.dropna().unique()
        table = {
            u: True if _plain(u) in TRUE else False if _plain(u) in FALSE else None for u in uniq
        }
        values = text.astype(object).map(table).astype(object)
        values = values.where(given & values.notna(), None)
        bad = given & values.isna()
        return values, bad
    if col.kind == "date":
        values = _dates(text, dates).dt.normalize()
        return values, given & values.isna()
    if col.kind == "datetime":
        fmts = tuple(d + t for t in TIME_FORMATS for d in dates)
        values = _dates(text, fmts)
        return values, given & values.isna()
    if col.kind == "month":
        values = _dates(text, MONTH_FORMATS + dates)
        values = values.dt.to_period("M").dt.to_timestamp()
        return values, given & values.isna()
    raise ValueError(col.kind)


@dataclass(frozen=True)
class _Rule:
    check: pa.Check
    message: str


def _rules(col: Col) -> list[_Rule]:
    out: list[_Rule] = []
    if col.min is not None and col.max is not None:
        out.append(
            _Rule(
                pa.Check.in_range(col.min, col.max),
                f"fuera de rango: debe estar entre {col.min:g} y {col.max:g}",
            )
        )
    elif col.min is not None:
        out.append(_Rule(pa.Check.ge(col.min), f"debe ser mayor o igual que {col.min:g}"))
    if col.choices:
        out.append(
            _Rule(
                pa.Check.isin(list(col.choices)),
                "valor no permitido; se aceptan: " + ", ".join(col.choices),
            )
        )
    if col.max_len:
        out.append(
            _Rule(
                pa.Check.str_length(max_value=col.max_len),
                f"demasiado largo: más de {col.max_len} caracteres",
            )
        )
    if col.exact_len:
        lengths = col.exact_len
        out.append(
            _Rule(
                pa.Check(lambda s, n=lengths: s.str.len().isin(n), element_wise=False),
                "debe tener " + " o ".join(str(n) for n in lengths) + " caracteres",
            )
        )
    return out


def schema_for(spec: TableSpec, present: list[str]) -> tuple[pa.DataFrameSchema, dict]:
    """The pandera schema of the columns present, and (column, check number) → message."""
    columns = {}
    messages: dict[tuple[str, int], str] = {}
    for col in spec.columns:
        if col.name not in present:
            continue
        rules = _rules(col)
        for i, r in enumerate(rules):
            messages[(col.name, i)] = r.message
        columns[col.name] = pa.Column(
            None, checks=[r.check for r in rules], nullable=col.nullable, required=False
        )
    return pa.DataFrameSchema(columns, strict=False), messages


def _normalise_choices(spec: TableSpec, typed: pd.DataFrame) -> None:
    """Allowed values are compared without accents or case (Física = fisica), except where
    the catalog itself has an accent (telefónico)."""
    for col in spec.columns:
        if col.choices and col.name in typed:
            canon = {_plain(c): c for c in col.choices}
            uniq = typed[col.name].dropna().unique()
            table = {u: canon.get(_plain(u), u) for u in uniq}
            typed[col.name] = typed[col.name].map(table).astype(object)
            typed[col.name] = typed[col.name].where(typed[col.name].notna(), None)


def _kind_es(col: Col, reading: DateReading | None) -> str:
    """What the cell should be, in Spanish; a month-first column says mm/dd/aaaa."""
    text = KIND_ES[col.kind]
    if reading is not None and reading.orders.get(col.name) == MDY:
        text = text.replace("dd/mm/aaaa", "mm/dd/aaaa")
    return text


def _as_written(
    raw: pd.DataFrame, rows: Iterable[Any], columns: Iterable[Any], fallback: Iterable[Any]
) -> list[str]:
    """The cells as the file wrote them (never a parsed value: «2015-06-17 00:00:00»)."""
    out = []
    for r, c, v in zip(rows, columns, fallback, strict=True):
        cell = raw.at[r, c] if c in raw and r in raw.index else None
        out.append(
            str(cell) if cell is not None and not pd.isna(cell) else "" if pd.isna(v) else str(v)
        )
    return out


def validate_chunk(
    spec: TableSpec, raw: pd.DataFrame, reading: DateReading | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed rows (all rows, bad cells empty) and the problems found in this chunk."""
    problems: list[pd.DataFrame] = []
    typed = pd.DataFrame(index=raw.index)
    for col in spec.columns:
        if col.name not in raw:
            continue
        values, bad = parse_column(col, raw[col.name], reading)
        typed[col.name] = values
        if bad.any():
            problems.append(
                pd.DataFrame(
                    {
                        "fila": raw.index[bad.to_numpy()],
                        "columna": col.name,
                        "valor": raw[col.name][bad].astype(str).to_numpy(),
                        "problema": f"no es {_kind_es(col, reading)}",
                    }
                )
            )
    _normalise_choices(spec, typed)
    schema, messages = schema_for(spec, list(typed.columns))
    try:
        schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        fc = fc[fc["index"].notna()]
        if not fc.empty:
            msg = [
                "falta el valor (la columna es obligatoria)"
                if chk == "not_nullable"
                else messages.get((c, int(n)) if pd.notna(n) else (c, -1), str(chk))
                for c, chk, n in zip(fc["column"], fc["check"], fc["check_number"], strict=True)
            ]
            problems.append(
                pd.DataFrame(
                    {
                        "fila": fc["index"].astype(int).to_numpy(),
                        "columna": fc["column"].to_numpy(),
                        "valor": _as_written(
                            raw,
                            fc["index"].astype(int).to_numpy(),
                            fc["column"].to_numpy(),
                            fc["failure_case"].to_numpy(),
                        ),
                        "problema": msg,
                    }
                )
            )
    if not problems:
        return typed, problems_frame()
    out = pd.concat(problems, ignore_index=True)
    # a cell that could not be parsed is empty afterwards: report it once, as a parse problem
    out = out.drop_duplicates(["fila", "columna"], keep="first")
    return typed, out.sort_values(["fila", "columna"], kind="stable").reset_index(drop=True)


def derive(spec: TableSpec, typed: pd.DataFrame) -> pd.DataFrame:
    """Columns the database stores but files do not carry: date buckets and derived counts."""
    df = typed
    if spec.name == "interaction":
        start = pd.to_datetime(df["started_at"])
        df["day"] = start.dt.normalize()
        df["month"] = start.dt.to_period("M").dt.to_timestamp()
        iso = start.dt.isocalendar()
        df["iso_week"] = iso["year"].astype("Int64") * 100 + iso["week"].astype("Int64")
        _contact_times(df)
    elif spec.name == "survey_response":
        resp = pd.to_datetime(df["responded_on"]).dt.to_period("M").dt.to_timestamp()
        df["month"] = df["month"].where(df["month"].notna(), resp) if "month" in df else resp
    elif spec.name == "complaint":
        rec = pd.to_datetime(df["received_on"])
        df["month"] = rec.dt.to_period("M").dt.to_timestamp()
        iso = rec.dt.isocalendar()
        df["iso_week"] = iso["year"].astype("Int64") * 100 + iso["week"].astype("Int64")
        closed = (
            pd.to_datetime(df["closed_on"])
            if "closed_on" in df
            else pd.Series(pd.NaT, index=df.index)
        )
        df["closed_on"] = closed
        df["days_to_close"] = (closed - rec).dt.days.astype("Int64")
        status = np.where(closed.notna(), ComplaintStatus.CERRADA, ComplaintStatus.ABIERTA)
        df["status"] = (
            df["status"].where(df["status"].notna(), pd.Series(status, index=df.index))
            if "status" in df
            else status
        )
    elif spec.name == "orientation":
        df["month"] = pd.to_datetime(df["oriented_on"]).dt.to_period("M").dt.to_timestamp()
    return df


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df:
        return pd.to_numeric(df[name], errors="coerce").astype("float64")
    return pd.Series(np.nan, index=df.index, dtype="float64")


def _contact_times(df: pd.DataFrame) -> None:
    """Seconds are the truth; minutes are derived from them (0 when absent) for the rollups
    built on minutes. When the file has a seconds column it rules (an empty cell: never
    queued, not attended). A file with minutes only gives seconds = minutes × 60 where the
    wait is above zero: a zero there cannot tell "answered at once" from "no queue" (an online
    channel), so it is not counted as queued (the same rule as migration 0012). The outcome
    defaults to atendido (what every contact was before outcomes existed) and the caller to
    patron when a registro patronal is given."""
    if "wait_seconds" in df:  # a file with seconds: they rule, empty = never queued
        wait_s = _column(df, "wait_seconds")
    else:
        wait_m = _column(df, "wait_minutes")
        wait_s = (wait_m * 60).where(wait_m > 0)
    if "handle_seconds" in df:
        handle_s = _column(df, "handle_seconds")
    else:
        handle_s = _column(df, "handle_minutes") * 60
    df["wait_seconds"], df["handle_seconds"] = wait_s, handle_s
    df["wait_minutes"] = (wait_s / 60).fillna(0.0)
    df["handle_minutes"] = (handle_s / 60).fillna(0.0)
    df["menu_seconds"] = _column(df, "menu_seconds")
    outcome = df["outcome"] if "outcome" in df else pd.Series(None, index=df.index, dtype=object)
    df["outcome"] = outcome.where(outcome.notna(), "atendido").astype(object)
    known = (
        df["registro_patronal"].notna()
        if "registro_patronal" in df
        else pd.Series(False, index=df.index)
    )
    kind = (
        df["caller_kind"] if "caller_kind" in df else pd.Series(None, index=df.index, dtype=object)
    )
    df["caller_kind"] = kind.where(kind.notna() | ~known, "patron").astype(object)
    for name in ("agent", "resolved_first_contact", "cost"):
        if name not in df:
            df[name] = None


def after_cutoff(
    spec: TableSpec, typed: pd.DataFrame, raw: pd.DataFrame, cutoff: dt.date, stated: bool
) -> pd.DataFrame:
    """Dates after the data date (``--as-of``, or today when not stated) are problems, except
    in columns that may look ahead (a complaint's due date, a campaign's months). A month
    column is after it when its month is a later month."""
    shown = cutoff.strftime("%d/%m/%Y")
    when = f"la fecha de corte {shown}" if stated else f"la fecha de corte {shown} (hoy)"
    rows = []
    day_after = pd.Timestamp(cutoff) + pd.Timedelta(days=1)
    next_month = pd.Timestamp(cutoff).to_period("M").to_timestamp() + pd.offsets.MonthBegin(1)
    for col in spec.columns:
        if col.future_ok or col.name not in typed or col.kind not in ("date", "datetime", "month"):
            continue
        values = pd.to_datetime(typed[col.name])
        late = values >= (next_month if col.kind == "month" else day_after)
        late = late.fillna(False)
        if not late.any():
            continue
        what = "mes posterior a" if col.kind == "month" else "fecha posterior a"
        for i in typed.index[late.to_numpy()]:
            rows.append(
                {
                    "fila": i,
                    "columna": col.name,
                    "valor": str(raw.at[i, col.name]),
                    "problema": f"{what} {when}",
                }
            )
    return problems_frame(rows)


def consistency(
    spec: TableSpec, typed: pd.DataFrame, raw: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Checks across columns of one row (dates in order, amounts that add up); the value
    quoted is the cell as written in ``raw`` when given."""
    rows = []

    def flag(mask: pd.Series, column: str, message: str) -> None:
        mask = mask.fillna(False)
        for i in typed.index[mask.to_numpy()]:
            cell = raw.at[i, column] if raw is not None and column in raw else None
            rows.append(
                {
                    "fila": i,
                    "columna": column,
                    "valor": str(cell) if cell is not None else str(typed.at[i, column]),
                    "problema": message,
                }
            )

    if spec.name == "complaint" and "closed_on" in typed:
        flag(
            typed["closed_on"] < typed["received_on"],
            "closed_on",
            "la fecha de cierre es anterior a la de recepción",
        )
        flag(
            typed["due_on"] < typed["received_on"],
            "due_on",
            "la fecha límite es anterior a la de recepción",
        )
    if spec.name == "complaint" and "closed_on" in typed and "status" in typed:
        # status and closing date must agree: «abierta» with a closing date is one or the other
        flag(
            (typed["status"] == ComplaintStatus.ABIERTA) & typed["closed_on"].notna(),
            "status",
            "estado abierta pero con fecha de cierre: corrija el estado o la fecha",
        )
    if spec.name == "interaction" and "caller_kind" in typed and "registro_patronal" in typed:
        flag(
            typed["registro_patronal"].notna()
            & typed["caller_kind"].notna()
            & (typed["caller_kind"] != "patron"),
            "caller_kind",
            "el contacto trae registro patronal pero el tipo de contacto no es patron",
        )
    if spec.name == "campaign":
        flag(
            typed["end_month"] < typed["start_month"],
            "end_month",
            "el mes de fin es anterior al de inicio",
        )
    if spec.name == "size_band" and "max_jobs" in typed:
        flag(typed["max_jobs"] < typed["min_jobs"], "max_jobs", "el máximo es menor que el mínimo")
    return problems_frame(rows)
