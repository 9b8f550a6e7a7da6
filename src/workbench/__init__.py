"""Retail intelligence workbench."""
