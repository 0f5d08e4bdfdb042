"""Registrant registry (anagrafica degli iscritti) shared by the OCC, the Albo and Formazione systems.

It depends on SQLAlchemy only: the platform, a module or another system of the Order can use it."""
