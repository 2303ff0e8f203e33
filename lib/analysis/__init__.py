"""Pure computation on small DataFrames: no Streamlit, no SQL."""
