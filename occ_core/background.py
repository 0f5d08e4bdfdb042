"""Background work with Celery: tasks run inside a transaction bound to their Order.

Tasks are sent only after the transaction that asked for them commits (``send_after_commit``); they
carry the tenant id and do nothing when their module is no longer active for that Order."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import transaction
from celery import Celery

from occ_core.db import transactional_session
from occ_core.settings import as_bool

celery_app = Celery("occ")
celery_app.occ_registry = None


@dataclass(frozen=True)
class PeriodicTask:
    """A task run on a schedule once for every Order where ``module`` is active (every Order if None);
    with ``per_tenant=False`` it runs once for the whole platform (tenant id None)."""

    name: str
    task: str
    schedule: object  # seconds, timedelta or celery crontab
    module: str | None = None
    per_tenant: bool = True


@dataclass
class TaskEnv:
    """What a task body gets: the registry, a session bound to the tenant, the tenant's hook relay."""

    registry: object
    dbsession: object
    tm: object
    tenant: object
    active_modules: frozenset
    task: object

    @property
    def settings(self):
        return self.registry.settings

    @property
    def hooks(self):
        return self.registry.occ_plugins.relay(self.active_modules)


def configure_celery(registry) -> Celery:
    settings = registry.settings
    broker = settings["celery.broker_url"]
    conf = {
        "broker_url": broker,
        "task_always_eager": as_bool(settings["celery.task_always_eager"]),
        "task_ignore_result": True,
        "task_acks_late": True,
        "worker_prefetch_multiplier": 1,
        "timezone": "Europe/Rome",
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
    }
    if broker.startswith("filesystem://"):
        folder = Path(settings["occ.var_dir"]) / "broker"
        for sub in ("queue", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        conf["broker_transport_options"] = {
            "control_folder": str(folder / "control"),
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "store_processed": False,
        }
    schedule = {}
    for entries in registry.occ_plugins.hook.occ_periodic_tasks():
        for entry in entries or ():
            if entry.per_tenant:
                schedule[entry.name] = {"task": "occ.fan_out", "schedule": entry.schedule,
                                        "args": (entry.task, entry.module)}
            else:
                schedule[entry.name] = {"task": entry.task, "schedule": entry.schedule, "args": (None,)}
    conf["beat_schedule"] = schedule
    conf["beat_schedule_filename"] = str(Path(settings["occ.var_dir"]) / "celerybeat-schedule")
    celery_app.conf.update(conf)
    celery_app.occ_registry = registry
    registry.occ_plugins.hook.occ_celery_configure(celery_app=celery_app)
    return celery_app


def occ_task(name: str, module: str | None = None, **options):
    """Declare a task ``fn(env, *args)``: called as ``task.delay(tenant_id, *args)``."""

    def decorator(fn):
        @celery_app.task(name=name, bind=True, **options)
        @functools.wraps(fn)
        def run(self, tenant_id, *args, **kwargs):
            registry = celery_app.occ_registry
            if registry is None:
                raise RuntimeError("Celery is not configured: start it with `occ worker`.")
            return run_in_tenant(registry, tenant_id, module, fn, self, *args, **kwargs)

        return run

    return decorator


def run_in_tenant(registry, tenant_id, module, fn, task, *args, **kwargs):
    from occ_core.tenants.models import Tenant
    from occ_core.tenants.services import active_modules

    tm = transaction.TransactionManager(explicit=True)
    with tm:
        db = transactional_session(registry["db.session_factory"], tm, tenant_id)
        tenant = db.get(Tenant, tenant_id) if tenant_id is not None else None
        active = active_modules(db, registry.occ_plugins, tenant) if tenant is not None else frozenset()
        if module is not None and module not in active:
            return "module not active"
        env = TaskEnv(registry=registry, dbsession=db, tm=tm, tenant=tenant, active_modules=active, task=task)
        return fn(env, *args, **kwargs)


@celery_app.task(name="occ.fan_out")
def fan_out(task_name: str, module: str | None):
    """Send ``task_name`` once per active Order where ``module`` is active."""
    from sqlalchemy import select

    from occ_core.tenants.models import Tenant
    from occ_core.tenants.services import active_modules

    registry = celery_app.occ_registry
    tm = transaction.TransactionManager(explicit=True)
    with tm:
        db = transactional_session(registry["db.session_factory"], tm)
        targets = [tenant.id for tenant in db.scalars(select(Tenant).where(Tenant.active.is_(True)))
                   if module is None or module in active_modules(db, registry.occ_plugins, tenant)]
    for tenant_id in targets:
        celery_app.tasks[task_name].apply_async(args=(tenant_id,))
    return len(targets)


def send_after_commit(transaction_manager, task, *args, **kwargs):
    """Queue ``task`` once the current transaction has committed (never for a rolled-back one)."""

    def hook(committed):
        if committed:
            task.apply_async(args=args, kwargs=kwargs)

    transaction_manager.get().addAfterCommitHook(hook)
