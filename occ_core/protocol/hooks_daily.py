"""Core feature: the daily protocol register (registro giornaliero), its page and its periodic production;
and the demo Order's protocol."""
from celery.schedules import crontab

from occ_core.background import PeriodicTask
from occ_core.hookspecs import hookimpl


@hookimpl
def occ_settings_defaults():
    from occ_core.protocol.daily import SOFFICE_SETTING

    # The program is looked up on the PATH; an empty value always writes plain PDFs instead of PDF/A.
    return {SOFFICE_SETTING: "soffice"}


@hookimpl
def occ_celery_configure(celery_app):
    import occ_core.protocol.tasks  # noqa: F401  (registers the task)


@hookimpl
def occ_periodic_tasks():
    # Hourly, a quarter past: the night's run makes yesterday's register, and a run that failed or never ran
    # (database unavailable, worker stopped) is caught up within the hour, well before the next working day.
    return [PeriodicTask("protocol-daily-registers", "protocol.produce_daily_registers", crontab(minute=15))]


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.protocol.daily_views")


@hookimpl
def occ_demo_data(dbsession, tenant, registry):
    from occ_core.demo import DEMO_USERS
    from occ_core.protocol.demo import load_demo_protocol

    return load_demo_protocol(dbsession, registry, tenant, DEMO_USERS["segreteria"][0],
                              DEMO_USERS["amministratore"][0])
