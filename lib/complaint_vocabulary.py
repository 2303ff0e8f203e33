"""Complaint vocabulary: a complaint's status as the data contract stores it. Neutral (no
analysis, no database), so the contract, the validation, the import profiles and the rollups
share the words. A complaint is closed when it has a closing date or its status says
``cerrada`` (an export may close a case without its date; lib/db/rollups.py)."""

from __future__ import annotations

from enum import StrEnum


class ComplaintStatus(StrEnum):
    ABIERTA = "abierta"
    CERRADA = "cerrada"
