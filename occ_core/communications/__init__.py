"""Communications to the parties of a dossier and the automatic notices (avvisi)."""
