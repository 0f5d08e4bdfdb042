"""Core feature: fees."""
