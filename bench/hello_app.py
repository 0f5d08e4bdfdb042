"""Baseline: a bare Pyramid "hello" application, served by the same waitress as the platform."""
import sys

from pyramid.config import Configurator
from pyramid.response import Response
from waitress import serve


def hello(request):
    return Response("hello")


if __name__ == "__main__":
    with Configurator() as config:
        config.add_route("hello", "/")
        config.add_view(hello, route_name="hello")
        app = config.make_wsgi_app()
    serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=8, _quiet=True)
