"""Streamlit pages, registered explicitly by app.py through st.navigation."""
