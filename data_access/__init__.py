"""Data access: models, engine factory and per-domain queries/commands."""
