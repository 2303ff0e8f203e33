"""AppTest sessions already signed in: the helper the access, masking and policy tests share."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.db.engine import make_engine
from lib.users import authenticate

ROOT = Path(__file__).resolve().parents[1]


def signed_in(
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    username: str,
    password: str,
    page: str = "Home.py",
    **params: str,
) -> AppTest:
    """``page`` run with the session signed in as ``username`` (authenticated for real, so the
    account's role and scope are the stored ones) and ``params`` in the URL. AppTest drops a
    click made through st.navigation's frame on its rerun, so the sign-in form itself is
    tested on a page file (tests/test_app_access.py)."""
    engine = make_engine(url)
    user = authenticate(engine, username, password)
    engine.dispose()
    monkeypatch.setenv("MIRADOR_DATABASE_URL", url)
    at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    at.session_state["_mirador_user"] = user
    at.session_state["_mirador_signed_in"] = "local"
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()
