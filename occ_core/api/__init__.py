"""JSON API: bearer tokens and the OpenAPI description."""
