"""Modulistica: the Order's ODT templates, rendered with secretary, and the documents generated from them."""
