"""Core feature: the JSON API (token endpoint and OpenAPI document)."""
from occ_core.hookspecs import hookimpl


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.api.views")
