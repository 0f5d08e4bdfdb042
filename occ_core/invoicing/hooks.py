"""Core feature: invoicing."""
