"""Registrant registry screens and API (the data lives in shared_registry)."""
