"""The Streamlit screen: the only package that calls `st.*` (entry point `app.py`)."""
