"""Real public files through the public import path (issue 18), checked against figures
computed here, independently, from the raw rows (csv module and pandas, not Mirador's code):

- two weeks of a bank call centre's call log (../shared/data/public/bank_call_centre_…tsv),
  imported with the CLI (``python -m lib import interaction … --perfil llamadas_see``): calls
  per day, share abandoned among queued, mean and median wait of served calls, and the
  Canales page's abandonment, service level and median wait, to 0.1 pp and to the second;
- a slice of the CFPB complaint database, imported through the Importar datos page with the
  ``quejas_cfpb`` profile: complaints per channel and per product, closed without a date.

The files are not in the repository (SOURCE.md there says why and where they come from);
without ../shared the tests skip, saying so.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from lib.analysis import queue
from lib.db.engine import make_engine
from lib.db.migrate import upgrade_schema
from lib.filters import Filters
from lib.ingest.contract import IMPORT_ORDER
from lib.ingest.load import import_file
from lib.queries import channels as cq
from lib.queries.explorer import explore

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = ROOT.parent / "shared" / "data" / "public"
CALLS = PUBLIC / "bank_call_centre_1999-02-01_14.tsv"
CFPB = PUBLIC / "cfpb_complaints_2013_slice.csv"
EXAMPLES = ROOT / "data" / "examples"
OFFICE = "1439"
pytestmark = pytest.mark.skipif(
    not (CALLS.exists() and CFPB.exists()),
    reason=f"the real public files are not at {PUBLIC} (CI has ../shared beside the clone; "
    "they are not copied into the repository)",
)

# the CFPB channels and products, as a division would first load them into its catalogs
CFPB_CHANNELS = """clave;nombre;tipo;digital;costo_unitario;orden
web;Portal web;digital;sí;0;11
referencia;Referencia de otra autoridad;otro;no;0;12
telefono;Teléfono;telefónico;no;0;13
correo_postal;Correo postal;impreso;no;0;14
fax;Fax;impreso;no;0;15
correo_electronico;Correo electrónico;digital;sí;0;16
"""
PRODUCTS = [
    "Mortgage",
    "Debt collection",
    "Credit reporting",
    "Credit card",
    "Bank account or service",
    "Student loan",
    "Consumer Loan",
    "Money transfers",
]
VIA = {
    "Web": "web",
    "Referral": "referencia",
    "Phone": "telefono",
    "Postal mail": "correo_postal",
    "Fax": "fax",
    "Email": "correo_electronico",
}


# ------------------------------------------------------------------------ raw oracles


def raw_calls() -> list[dict[str, str]]:
    with open(CALLS, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def call_figures() -> dict:
    """Straight from the rows: a call queued when it has a queue entry time or was served
    (an AGENT call without one was answered at once); abandoned = HANG after entering the
    queue; served = AGENT, whose wait is q_time."""
    rows = raw_calls()
    queued = [r for r in rows if r["q_start"] != "0:00:00" or r["outcome"] == "AGENT"]
    abandoned = [r for r in queued if r["outcome"] == "HANG"]
    served = sorted(int(r["q_time"]) for r in rows if r["outcome"] == "AGENT")
    n = len(served)
    return {
        "rows": len(rows),
        "per_day": Counter(
            dt.date(1900 + int(r["date"][:2]), int(r["date"][2:4]), int(r["date"][4:]))
            for r in rows
        ),
        "queued": len(queued),
        "abandoned": len(abandoned),
        "served": n,
        "mean_wait": sum(served) / n,
        # nearest rank: the wait of the ceil(n/2)-th served call, a wait somebody had
        "median_wait": served[-(-n // 2) - 1],
        "p90_wait": served[-(-9 * n // 10) - 1],
        "within_20": sum(1 for w in served if w <= 20),
    }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def public_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Catalogs from data/examples, then the call log through the CLI."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('public') / 'public.db'}"
    else:
        url = request.getfixturevalue("pg_database_factory")()
    engine = make_engine(url)
    upgrade_schema(engine)
    for table in IMPORT_ORDER[: IMPORT_ORDER.index("patron")]:
        assert import_file(engine, table, EXAMPLES / f"{table}.csv", refresh=False).ok
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "lib",
            "import",
            "interaction",
            str(CALLS),
            "--perfil",
            "llamadas_see",
            "--param",
            f"subdelegacion_id={OFFICE}",
        ],
        cwd=ROOT,
        env={**os.environ, "MIRADOR_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "Carga aceptada" in cli.stdout, cli.stdout
    yield url, engine
    engine.dispose()


FEB_1999 = Filters(dt.date(1999, 2, 1), dt.date(1999, 2, 1))


def test_call_log_loads_every_row_with_its_day(public_db):
    url, engine = public_db
    raw = call_figures()
    with engine.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM interaction")).scalar_one()
        per_day = dict(
            tuple(r)
            for r in conn.execute(text("SELECT day, COUNT(*) FROM interaction GROUP BY day"))
        )
        anonymous = conn.execute(
            text("SELECT COUNT(*) FROM interaction WHERE caller_kind = 'anonimo'")
        ).scalar_one()
    assert n == raw["rows"] == 17_456
    assert {pd.Timestamp(d).date(): c for d, c in per_day.items()} == raw["per_day"]
    assert anonymous == sum(1 for r in raw_calls() if r["customer_id"] == "0")


def test_queue_figures_equal_the_raw_rows(public_db):
    url, engine = public_db
    raw = call_figures()
    table = queue.queue_table(cq.queue_waits(engine, FEB_1999), 20)
    r = table.loc["contact_center"]
    assert (r["queued"], r["abandoned"], r["answered"]) == (
        raw["queued"],
        raw["abandoned"],
        raw["served"],
    )
    assert r["abandonment"] == pytest.approx(raw["abandoned"] / raw["queued"], abs=1e-12)
    assert r["service_level"] == pytest.approx(raw["within_20"] / raw["queued"], abs=1e-12)
    assert r["asa"] == pytest.approx(raw["mean_wait"], rel=1e-12)
    assert (r["wait_median"], r["wait_p90"]) == (raw["median_wait"], raw["p90_wait"])
    # the same nearest-rank quantiles as numpy's inverted CDF on the raw waits; pandas's
    # median (the mean of the two middle waits for an even count) is within half a second
    waits = pd.read_csv(CALLS, sep="\t", usecols=["outcome", "q_time"])
    served = waits.loc[waits["outcome"] == "AGENT", "q_time"]
    assert r["wait_median"] == np.quantile(served, 0.5, method="inverted_cdf")
    assert abs(r["wait_median"] - served.median()) <= 0.5
    assert served.mean() == pytest.approx(r["asa"], rel=1e-12)


def test_canales_page_shows_the_raw_figures(public_db, monkeypatch):
    url, _engine = public_db
    raw = call_figures()
    monkeypatch.setenv("MIRADOR_DATABASE_URL", url)
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    at.query_params["vista"] = "Colas y abandono"
    at.query_params["desde"] = "1999-02"
    at.query_params["hasta"] = "1999-02"
    at.run()
    at.switch_page("pages/2_canales.py").run()
    assert not at.exception, at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Abandono"] == f"{100 * raw['abandoned'] / raw['queued']:.1f}%"
    assert values["Nivel de servicio (20 s)"] == f"{100 * raw['within_20'] / raw['queued']:.1f}%"
    assert values["Espera mediana"] == f"{raw['median_wait']} s"
    assert values["Velocidad media de respuesta"] == f"{round(raw['mean_wait'])} s"
    p90 = raw["p90_wait"]
    assert values["Espera P90"] == (f"{p90} s" if p90 < 60 else f"{p90 // 60} min {p90 % 60:02d} s")
    # the threshold is the user's: 60 s
    at.number_input(key="umbral_servicio").set_value(60).run()
    within = sum(1 for r in raw_calls() if r["outcome"] == "AGENT" and int(r["q_time"]) <= 60)
    values = {m.label: m.value for m in at.metric}
    assert values["Nivel de servicio (60 s)"] == f"{100 * within / raw['queued']:.1f}%"


def test_cfpb_complaints_through_the_import_page(public_db, monkeypatch, tmp_path):
    url, engine = public_db
    assert import_file(engine, "channel", CFPB_CHANNELS.encode(), file_name="c.csv").ok
    cats = "clave;nombre\n" + "".join(f"{200 + i};{p}\n" for i, p in enumerate(PRODUCTS))
    assert import_file(engine, "complaint_category", cats.encode(), file_name="p.csv").ok
    monkeypatch.setenv("MIRADOR_DATABASE_URL", url)
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
    at.switch_page("pages/92_importar.py").run()
    at.selectbox(key="imp_tabla").set_value("complaint").run()
    at.selectbox(key="imp_perfil").set_value("quejas_cfpb").run()
    at.text_input(key="imp_param_subdelegacion_id").set_value(OFFICE).run()
    at.file_uploader(key="imp_archivo").set_value((CFPB.name, CFPB.read_bytes(), "text/csv")).run()
    at.toggle(key="imp_prueba").set_value(False).run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.success and at.success[0].value.startswith("Carga aceptada"), [
        e.value for e in at.error
    ]
    raw = pd.read_csv(CFPB, dtype=str)
    period = Filters(dt.date(2013, 8, 1), dt.date(2013, 10, 1))
    by_channel = explore(engine, period, "complaints", ("channel",)).set_index("channel")["value"]
    assert by_channel.to_dict() == {
        VIA[k]: v for k, v in raw["submitted_via"].value_counts().to_dict().items()
    }
    by_product = explore(engine, period, "complaints", ("category",))
    assert dict(zip(by_product["category_label"], by_product["value"], strict=True)) == (
        raw["product"].value_counts().to_dict()
    )
    closed = raw["company_response_to_consumer"].str.startswith("Closed").sum()
    with engine.connect() as conn:
        status = dict(
            tuple(r)
            for r in conn.execute(text("SELECT status, COUNT(*) FROM complaint GROUP BY status"))
        )
        no_date = conn.execute(
            text("SELECT SUM(closed_no_date) FROM agg_complaint_month")
        ).scalar_one()
    assert status == {"cerrada": closed, "abierta": len(raw) - closed}
    assert int(no_date) == int(closed)  # closed without a date: closed, never open
