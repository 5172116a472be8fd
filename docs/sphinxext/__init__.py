"""Sphinx helpers for skae's docs, imported by ``docs/conf.py``."""
