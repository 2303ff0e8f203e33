"""Contact-centre vocabulary: what became of a contact, who made it, and which contacts count
as queued and answered. One place, so the contract, the rollups, the demo and the metrics
agree on the words (docs/data-contract.md, «interaction»).

Definitions (the usual contact-centre ones, chosen so that a real call log can be checked
against them row by row):

- **queued** (en cola, "offered" to agents): a contact with a queue wait recorded,
  zero included (answered at once). A call that hung up in the phone menu before reaching
  the queue has no wait and is not queued.
- **answered** (atendido): outcome ``atendido`` or ``transferido`` (an agent took it).
- **abandoned** (abandonado): outcome ``abandonado`` among queued contacts.
- **service level**: answered within T seconds (wait ≤ T) among queued contacts.
- **average speed of answer** (ASA): mean wait of the answered.
"""

from __future__ import annotations

import math
from enum import StrEnum


class Outcome(StrEnum):
    """How a contact ended. ``otro`` holds what a source cannot tell (e.g. a log's phantom
    calls)."""

    ATENDIDO = "atendido"
    ABANDONADO = "abandonado"
    TRANSFERIDO = "transferido"
    DEVOLUCION_LLAMADA = "devolucion_llamada"
    OTRO = "otro"


class CallerKind(StrEnum):
    """Who made the contact, when known. ``identificado``: a caller the source identifies
    (a client number) who is not in the patron register."""

    PATRON = "patron"
    IDENTIFICADO = "identificado"
    ANONIMO = "anonimo"


class ChannelKind(StrEnum):
    PRESENCIAL = "presencial"
    DIGITAL = "digital"
    TELEFONICO = "telefónico"
    IMPRESO = "impreso"
    OTRO = "otro"  # e.g. a referral from another authority


ANSWERED: tuple[str, ...] = (Outcome.ATENDIDO.value, Outcome.TRANSFERIDO.value)
OUTCOME_LABELS: dict[str, str] = {
    Outcome.ATENDIDO: "Atendido",
    Outcome.ABANDONADO: "Abandonado",
    Outcome.TRANSFERIDO: "Transferido",
    Outcome.DEVOLUCION_LLAMADA: "Devolución de llamada",
    Outcome.OTRO: "Otro",
}
DEFAULT_SERVICE_SECONDS = 20

# Queue waits are stored per second up to EXACT_WAIT_S; above it in WAIT_COARSE_S-second
# bins (labelled by their lower edge) up to WAIT_CAP_S, and everything longer in one bin at
# WAIT_CAP_S. A median or P90 under 20 minutes is therefore exact to the second; above, to
# the minute (docs/data-contract.md, agg_queue_wait_month).
EXACT_WAIT_S = 1200
WAIT_COARSE_S = 60
WAIT_CAP_S = 7200


def wait_bin_seconds(seconds: float) -> int:
    """The stored bin of a wait in seconds (Python twin of the rollup's SQL, for tests)."""
    s = math.floor(seconds + 0.5)  # halves up, as the SQL does on every backend
    if s < EXACT_WAIT_S:
        return s
    if s >= WAIT_CAP_S:
        return WAIT_CAP_S
    return s - s % WAIT_COARSE_S
