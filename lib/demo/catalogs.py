"""Catalog rows for the shared database, built from IMSS's own open-data dictionary.

The OOAD and subdelegación codes and names are IMSS's (data/catalogs/, copied from the
``asg`` dictionary); channel costs, procedure lists and complaint categories are the demo's
documented assumptions (docs/demo-data.md). Real deployments load these same catalogs.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd

CATALOG_DIR = Path(__file__).resolve().parents[2] / "data" / "catalogs"

REGIONAL_OOAD = {15, 16, 31, 32, 39, 40}

# id, name, kind, is_digital, unit cost MXN per contact (DOMAIN-FACTS §9, [E])
CHANNELS = [
    ("ventanilla", "Ventanilla única", "presencial", False, 185.0, 1),
    ("asistencia", "Asistencia personalizada", "presencial", False, 320.0, 2),
    ("en_linea", "Servicios en línea", "digital", True, 6.0, 3),
    ("contact_center", "Contact center", "telefónico", False, 55.0, 4),
    ("buzon", "Buzón IMSS", "digital", True, 3.0, 5),
    ("impresos", "Impresos", "impreso", False, 28.0, 6),
]

PROCEDURES = [
    ("alta_patronal", "Alta patronal", True),
    ("modificacion_datos", "Modificación de datos", True),
    ("aclaracion_pagos", "Aclaración de pagos", True),
    ("convenio_plazos", "Convenio de pago a plazos", False),
    ("correccion_emision", "Corrección de emisión", True),
    ("revocacion_certificado", "Revocación de certificado digital / e.firma", False),
    ("dictamen", "Dictamen", True),
    ("consulta_orientacion", "Consulta y orientación", True),
]

ECONOMIC_DIVISIONS = [
    (0, "Agricultura, ganadería, silvicultura, pesca y caza"),
    (1, "Industrias extractivas"),
    (3, "Industrias de transformación"),
    (4, "Industria de la construcción"),
    (5, "Industria eléctrica, captación y suministro de agua potable"),
    (6, "Comercio"),
    (7, "Transportes y comunicaciones"),
    (8, "Servicios para empresas, personas y el hogar"),
    (9, "Servicios sociales y comunales"),
]

SIZE_BANDS = [
    ("S1", "1 puesto de trabajo", 1, 1),
    ("S2", "2 a 5 puestos", 2, 5),
    ("S3", "6 a 50 puestos", 6, 50),
    ("S4", "51 a 250 puestos", 51, 250),
    ("S5", "251 a 500 puestos", 251, 500),
    ("S6", "501 a 1,000 puestos", 501, 1000),
    ("S7", "Más de 1,000 puestos", 1001, None),
]

# Control-tier clocks in working days (DOMAIN-FACTS §4 and §7; PRODECON and denuncia are [E]).
COMPLAINT_KINDS = [
    ("queja", "Queja", 50),
    ("denuncia", "Denuncia", 30),
    ("prodecon", "Recomendación / requerimiento PRODECON", 10),
    ("sugerencia", "Sugerencia", 20),
]

COMPLAINT_CATEGORIES = [
    (1, "Trato del personal"),
    (2, "Tiempo de espera"),
    (3, "Orientación incorrecta"),
    (4, "Falla de sistema (IDSE, SIPARE, Escritorio Virtual, Buzón)"),
    (5, "Rechazo de trámite"),
    (6, "Cobro o crédito improcedente"),
    (7, "Notificación o estrados"),
    (8, "Corrupción o gestores"),
]


def _clean_name(name: str) -> str:
    """Strip the catalog's trailing spaces and its stray capital Í inside words."""
    name = re.sub(r"\s+", " ", str(name)).strip()
    return re.sub(r"(?<=[a-záéíóúñ])Í", "í", name)


@cache
def ooad_and_subdelegaciones() -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = pd.read_csv(
        CATALOG_DIR / "imss_delegacion-subdelegacion.csv", skiprows=2, header=None, dtype=str
    ).iloc[:, 1:]
    raw.columns = ["ooad_id", "ooad_name", "code", "name"]
    raw = raw.dropna(subset=["code"])
    raw["ooad_id"] = raw["ooad_id"].astype(int)
    raw["code"] = raw["code"].astype(float).astype(int)
    raw["ooad_name"] = raw["ooad_name"].map(_clean_name)
    raw["name"] = raw["name"].map(_clean_name)
    ooad = (
        raw[["ooad_id", "ooad_name"]]
        .drop_duplicates("ooad_id")
        .rename(columns={"ooad_id": "id", "ooad_name": "name"})
        .sort_values("id")
        .reset_index(drop=True)
    )
    ooad["kind"] = ["regional" if i in REGIONAL_OOAD else "estatal" for i in ooad["id"]]
    sub = raw[["ooad_id", "code", "name"]].copy()
    sub.insert(0, "id", sub["ooad_id"] * 100 + sub["code"])
    return ooad, sub.sort_values("id").reset_index(drop=True)


def catalog_frames() -> dict[str, pd.DataFrame]:
    """All catalog tables, in foreign-key order."""
    ooad, sub = ooad_and_subdelegaciones()
    return {
        "ooad": ooad,
        "subdelegacion": sub,
        "channel": pd.DataFrame(
            CHANNELS, columns=["id", "name", "kind", "is_digital", "unit_cost", "sort_order"]
        ),
        "procedure": pd.DataFrame(PROCEDURES, columns=["id", "name", "online_capable"]),
        "economic_division": pd.DataFrame(ECONOMIC_DIVISIONS, columns=["id", "name"]),
        "size_band": pd.DataFrame(SIZE_BANDS, columns=["id", "name", "min_jobs", "max_jobs"]),
        "complaint_kind": pd.DataFrame(
            COMPLAINT_KINDS, columns=["id", "name", "deadline_working_days"]
        ),
        "complaint_category": pd.DataFrame(COMPLAINT_CATEGORIES, columns=["id", "name"]),
    }


# State (as in the insured-population file) -> OOAD ids sharing its weight.
_STATE_TO_OOAD = {
    "Aguascalientes": [1],
    "Baja California": [2],
    "Baja California Sur": [3],
    "Campeche": [4],
    "Coahuila de Zaragoza": [5],
    "Colima": [6],
    "Chiapas": [7],
    "Chihuahua": [8],
    "Durango": [10],
    "Guanajuato": [11],
    "Guerrero": [12],
    "Hidalgo": [13],
    "Jalisco": [14],
    "México": [15, 16],
    "Michoacán de Ocampo": [17],
    "Morelos": [18],
    "Nayarit": [19],
    "Nuevo León": [20],
    "Oaxaca": [21],
    "Puebla": [22],
    "Querétaro": [23],
    "Quintana Roo": [24],
    "San Luis Potosí": [25],
    "Sinaloa": [26],
    "Sonora": [27],
    "Tabasco": [28],
    "Tamaulipas": [29],
    "Tlaxcala": [30],
    "Veracruz de Ignacio de la Llave": [31, 32],
    "Yucatán": [33],
    "Zacatecas": [34],
    "Ciudad de México": [39, 40],
}


@cache
def ooad_weights() -> pd.Series:
    """Share of patrons per OOAD, from IMSS's insured population by state (January 2022)."""
    pop = pd.read_csv(CATALOG_DIR / "derechohabientes.txt", sep="\t")
    pop = pop[(pop["year"] == 2022) & (pop["month"] == 1)]
    weights: dict[int, float] = {}
    for state, total in zip(pop["ENT_NOM"], pop["TOT_CASOS"], strict=True):
        ids = _STATE_TO_OOAD[state]
        for i in ids:
            weights[i] = total / len(ids)
    s = pd.Series(weights).sort_index()
    return s / s.sum()
