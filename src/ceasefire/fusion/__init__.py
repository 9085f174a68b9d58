"""Fusing reports into incidents: bulk and incremental linking, the incident estimates."""
