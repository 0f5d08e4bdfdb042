"""Pages of the newsletter: archive and composition, custom lists, unsubscribes, the Order's setting."""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.renderers import get_renderer
from sqlalchemy import select

TEMPLATES = "occ_core:newsletter/templates/"
ID = r"{id:\d{1,9}}"


def row_or_404(request, model, key: str = "id"):
    """The row of the Order named by the URL (the session's scoping hides other Orders' rows)."""
    found = request.dbsession.scalar(select(model).where(model.id == int(request.matchdict[key])))
    if found is None:
        raise HTTPNotFound()
    return found


def macro(template: str, name: str):
    """A macro of one of the feature's templates, which also render alone as htmx fragments."""
    return get_renderer(TEMPLATES + template).implementation().macros[name]


def includeme(config):
    config.include("occ_core.newsletter.views.newsletters")
    config.include("occ_core.newsletter.views.lists")
    config.include("occ_core.newsletter.views.subscriptions")
