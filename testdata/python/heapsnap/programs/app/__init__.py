"""Scenario programs for the Python heap snapshot fixtures (see ../../README.md)."""
