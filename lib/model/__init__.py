"""The patron-flagging model (issue 7, in progress): features as of a cut-off, built in SQL,
and time-honest training. No Streamlit here."""
