"""Dossiers (pratiche): the register of affairs, parties, creditors and the lifecycle of each procedure."""
