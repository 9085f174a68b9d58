"""Placing reports against the agreement: the vectorised geometry engine and the gazetteer."""
