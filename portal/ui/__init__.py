"""Reusable Streamlit pieces. Everything Streamlit-specific in the library lives here."""
