"""The electronic file (fascicolo elettronico) of each dossier: documents, versions, storage."""
