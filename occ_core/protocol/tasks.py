from occ_core.background import occ_task
from occ_core.clock import today
from occ_core.protocol import daily


@occ_task("protocol.produce_daily_registers")
def produce_daily_registers(env):
    """Every missing daily register of the Order up to yesterday (idempotent: a day is produced once)."""
    return len(daily.produce_missing(env, env.tenant, today()))
