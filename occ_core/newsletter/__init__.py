"""Newsletters to registrants, gestori and custom lists."""
