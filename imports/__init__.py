"""Excel/CSV import and export for every register."""
