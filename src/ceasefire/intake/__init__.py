"""Taking reports in: the report model, files (JSON Lines, CSV, GeoJSON), signatures."""
