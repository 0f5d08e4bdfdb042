"""Core feature: compensation."""
