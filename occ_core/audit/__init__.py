"""Audit log: who did what, when and from where (append-only)."""
