"""Core feature: ledger."""
