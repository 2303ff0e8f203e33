"""Every page on a database holding any subset of the facts (issue 18): the catalogs only, or
one fact table with what its rows cite. Each page renders without an exception or an
unexpected error; a page whose facts are missing names the import that would fill it; the
overview shows the cards it can compute and lists the imports still missing.

Fast on purpose: one migrated database per backend, the catalogs imported once from
data/examples, each case's facts deleted and the next case imported; one AppTest session per
backend switching through every page."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import delete
from streamlit.testing.v1 import AppTest

from lib.db.engine import make_engine
from lib.db.migrate import upgrade_schema
from lib.db.schema import Base
from lib.filters import add_months
from lib.ingest.contract import IMPORT_ORDER
from lib.ingest.load import import_file
from lib.refresh import refresh_all
from lib.ui.nav import PAGE_PERMISSION

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
CATALOGS = IMPORT_ORDER[: IMPORT_ORDER.index("patron")]
# each case: the fact tables loaded (what the case's table cites comes with it: survey rows
# cite contacts, contacts and payments cite patrons; the example complaints cite no patron)
CASES = {
    "catálogos": (),
    "interaction": ("patron", "interaction"),
    "survey_response": ("patron", "interaction", "survey_response"),
    "complaint": ("complaint",),
    "collection_monthly": ("patron", "collection_monthly"),
    "campaign": ("patron", "campaign", "campaign_assignment"),
    "orientation": ("patron", "orientation"),
}
FACTS_AND_DERIVED = [
    "campaign_result",
    "patron_flag",
    "orientation",
    "survey_response",
    "interaction",
    "complaint",
    "collection_monthly",
    "campaign_assignment",
    "campaign",
    "patron",
]
# what each page needs (lib/ui/context.py PAGE_NEEDS: all of them; the explorer: any one);
# without it, the page names the import that would fill it
NEEDS = {
    "pages/2_canales.py": {"interaction"},
    "pages/3_evaluacion.py": {"survey_response"},
    "pages/4_campanas.py": {"campaign", "campaign_assignment", "collection_monthly"},
    "pages/5_quejas.py": {"complaint"},
    "pages/6_orientacion.py": {"patron", "collection_monthly"},
    "pages/7_programa.py": {"interaction"},
    "pages/8_explorador.py": {
        "interaction",
        "survey_response",
        "complaint",
        "collection_monthly",
        "campaign",
        "campaign_assignment",
        "orientation",
    },
}


@pytest.fixture(params=["sqlite", "postgresql"])
def catalogs_db(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'partial.db'}"
    else:
        url = request.getfixturevalue("pg_database_factory")()
    engine = make_engine(url)
    upgrade_schema(engine)
    for table in CATALOGS:
        r = import_file(engine, table, EXAMPLES / f"{table}.csv", refresh=False)
        assert r.status == "cargado", r.report()
    yield url, engine
    engine.dispose()


def _only(engine, tables: tuple[str, ...]) -> None:
    """The catalogs plus ``tables``, freshly imported; everything else emptied and rolled up."""
    with engine.begin() as conn:
        for name in FACTS_AND_DERIVED:
            conn.execute(delete(Base.metadata.tables[name]))
        refresh_all(conn)  # a load's own refresh rebuilds only the months it touched
    for i, table in enumerate(tables):
        last = i == len(tables) - 1
        r = import_file(engine, table, EXAMPLES / f"{table}.csv", refresh=last)
        assert r.status == "cargado", r.report()
    st.cache_data.clear()  # loaded_at has one-second resolution: two cases may share it


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in (at.info, at.caption, at.markdown, at.warning) for e in kind]
    return "\n".join(str(p) for p in parts)


def _complaints_in_default_period() -> int:
    """Hand count over the raw file: the default period is the last 12 months of data."""
    df = pd.read_csv(EXAMPLES / "complaint.csv", sep=";", encoding="utf-8-sig", dtype=str)
    month = pd.to_datetime(df["fecha_recepcion"], format="%d/%m/%Y").dt.to_period("M")
    last = month.max().to_timestamp().date()
    first = pd.Period(add_months(last, -11), "M")
    return int(((month >= first) & (month <= month.max())).sum())


def test_every_page_renders_on_any_subset_of_the_facts(catalogs_db, monkeypatch):
    url, engine = catalogs_db
    monkeypatch.setenv("MIRADOR_DATABASE_URL", url)
    at = None
    for case, tables in CASES.items():
        _only(engine, tables)
        if at is None:
            at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
        for page in PAGE_PERMISSION:
            at.switch_page(page).run()
            where = f"{case} · {page}"
            assert not at.exception, (where, at.exception)
            errors = [e.value for e in at.error]
            assert not errors, (where, errors)
            text = _texts(at)
            needs = NEEDS.get(page)
            lacking = needs and (
                not needs & set(tables) if page == "pages/8_explorador.py" else needs - set(tables)
            )
            if lacking:
                assert "Esta página no tiene datos todavía" in text, where
                assert "python -m lib import" in text and "Importar datos" in text, where
                missing = sorted(needs - set(tables))
                assert all(f"`{t}`" in text for t in missing), (where, missing)
        # the overview of this case, on its default period (the session kept the last case's
        # choice): the cards it can compute, "—" for the others, the imports still missing
        for key in ("desde", "hasta", "_mirador_filters"):
            if key in at.session_state:
                del at.session_state[key]
            at.query_params.pop(key, None)
        at.switch_page("pages/1_resumen.py").run()
        cards = {m.label: m.value for m in at.metric}
        text = _texts(at)
        assert "Sin importar todavía" in text, case
        if "interaction" not in tables:
            assert cards["Contactos"] == "—", (case, cards)
            assert "`interaction`" in text
        if case == "complaint":
            assert cards["Quejas recibidas"] == str(_complaints_in_default_period())
            assert "`patron`" in text and "`survey_response`" in text
