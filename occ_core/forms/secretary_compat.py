"""What secretary 0.2.19 needs from Jinja2 and Jinja2 3.1 no longer has, put back before secretary is imported.

secretary imports ``jinja2.Markup`` (moved to markupsafe) and decorates one method with
``jinja2.evalcontextfilter`` (replaced by ``pass_eval_context``). The decorated method is the renderer's
``finalize``, which Jinja2 3.1 calls with the value alone: a decorator that changes nothing is right.
Import ``secretary`` only through this module (``from occ_core.forms.secretary_compat import secretary``)."""
import jinja2
import markupsafe

if not hasattr(jinja2, "Markup"):
    jinja2.Markup = markupsafe.Markup
if not hasattr(jinja2, "evalcontextfilter"):
    jinja2.evalcontextfilter = lambda function: function

import secretary  # noqa: E402  (needs the two names above)

__all__ = ["secretary"]
