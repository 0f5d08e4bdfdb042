"""The list of gestori della crisi and their appointment to dossiers."""
