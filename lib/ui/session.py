"""The signed-in user of this browser session (the demo user until sign-in is configured)."""

from __future__ import annotations

import streamlit as st

from lib.access import DEMO_USER, User

_KEY = "_mirador_user"


def current_user() -> User:
    user = session_user()
    return DEMO_USER if user is None else user


def session_user() -> User | None:
    """The user this browser session signed in as, or None (not yet, or no sign-in)."""
    user = st.session_state.get(_KEY)
    return user if isinstance(user, User) else None


def set_current_user(user: User | None) -> None:
    if user is None:
        st.session_state.pop(_KEY, None)
    else:
        st.session_state[_KEY] = user
