"""Judging incidents: violation rules and the verification ladder."""
