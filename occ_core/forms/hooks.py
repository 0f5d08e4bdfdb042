"""Hooks of the feature (filled in by the feature)."""
