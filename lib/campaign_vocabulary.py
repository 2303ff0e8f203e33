"""Campaign vocabulary: how a campaign was assigned, what it was, and how strong the evidence
of its effect is. Neutral (no analysis, no database), so the data contract, the schema, the
analysis and the pages share the words; the method each design allows is in
lib/analysis/campaign_designs.py."""

from __future__ import annotations

from enum import StrEnum


class Design(StrEnum):
    ALEATORIA = "aleatoria"  # a randomised trial: treated and control drawn by lot
    DIRIGIDA = "dirigida"  # targeted patrons against a comparison group of patrons
    SIN_CONTROL = "sin_control"  # whole offices exposed: no control group of patrons


class CampaignKind(StrEnum):
    DIFUSION = "difusion"
    REGULARIZACION = "regularizacion"


class Evidence(StrEnum):
    FUERTE = "fuerte"
    MODERADA = "moderada"
    DEBIL = "débil"
