# Fixtures come from occ_core.testing.pytest_plugin (see setup.cfg).
