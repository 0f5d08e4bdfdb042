"""Settings: ini file values, overridden by environment variables, completed by plugin defaults."""
from __future__ import annotations

import os
from pathlib import Path

# Environment variables that override ini settings, so that containers and CI configure the
# application without editing files.
ENVIRONMENT_OVERRIDES = {
    "OCC_DATABASE_URL": "sqlalchemy.url",
    "DATABASE_URL": "sqlalchemy.url",
    "OCC_BROKER_URL": "celery.broker_url",
    "OCC_SECRET": "occ.secret",
    "OCC_VAR_DIR": "occ.var_dir",
    "OCC_BASE_URL": "occ.base_url",
    "OCC_SMTP_HOST": "mail.smtp_host",
    "OCC_SMTP_PORT": "mail.smtp_port",
    "OCC_SMTP_USER": "mail.smtp_user",
    "OCC_SMTP_PASSWORD": "mail.smtp_password",
    "OCC_SMTP_TLS": "mail.smtp_tls",
    "OCC_MAIL_SENDER": "mail.sender",
    "OCC_CELERY_EAGER": "celery.task_always_eager",
    "OCC_FATTURAPA_SCHEMA_DIR": "occ.fatturapa_schema_dir",
}

DEFAULTS = {
    "occ.var_dir": "var",
    "occ.base_url": "http://127.0.0.1:6543",
    "occ.secure_cookies": "false",
    "occ.session_max_age": str(8 * 3600),
    "occ.login_throttle_attempts": "5",
    "occ.login_throttle_minutes": "15",
    "occ.api_token_minutes": "60",
    "occ.upload_max_bytes": str(10 * 1024 * 1024),
    "mail.smtp_host": "",
    "mail.smtp_port": "25",
    "mail.smtp_user": "",
    "mail.smtp_password": "",
    "mail.smtp_tls": "false",
    "mail.sender": "OCC <noreply@occ.localhost>",
    "celery.broker_url": "",
    "celery.task_always_eager": "false",
}


def as_bool(value) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on", "si", "sì"}


def build_settings(settings: dict | None = None, environ=os.environ) -> dict:
    result = dict(DEFAULTS)
    result.update(settings or {})
    for variable, key in ENVIRONMENT_OVERRIDES.items():
        if environ.get(variable):
            result[key] = environ[variable]
    var_dir = Path(result["occ.var_dir"]).resolve()
    result["occ.var_dir"] = str(var_dir)
    result.setdefault("sqlalchemy.url", f"sqlite:///{var_dir / 'occ.sqlite'}")
    if not result.get("celery.broker_url"):
        # Embedded default: a broker made of folders, so `occ serve` needs no extra service.
        result["celery.broker_url"] = "filesystem://"
    if not result.get("occ.secret"):
        result["occ.secret"] = _local_secret(var_dir)
    return result


def _local_secret(var_dir: Path) -> str:
    """A per-installation secret kept in var/, so an embedded install is safe without configuration."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret.key"
    if not path.exists():
        path.write_text(os.urandom(32).hex())
        path.chmod(0o600)
    return path.read_text().strip()
