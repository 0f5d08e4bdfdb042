"""Test support shared by the core's and the modules' test suites (pytest plugin and factories)."""
