"""Write a large interaction file for the import benchmark (docs/import.md).

``python -m bench.import_file DB_URL OUT.csv [ROWS]`` writes ROWS (default 1,000,000) contacts
of the patrons already in the database, as an analyst's export: Spanish headers, ``;``,
dd/mm/aaaa hh:mm dates and decimal commas, ids above the demo's so they are all new rows.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from sqlalchemy import select

from lib.db.engine import make_engine
from lib.db.schema import Channel, Patron, Procedure


def write_interactions(url: str, path: str, rows: int = 1_000_000, chunk: int = 200_000) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        patrons = pd.read_sql(select(Patron.registro_patronal, Patron.subdelegacion_id), conn)
        channels = conn.execute(select(Channel.id)).scalars().all()
        procedures = conn.execute(select(Procedure.id)).scalars().all()
    rng = np.random.default_rng(9)
    header = True
    with open(path, "w", encoding="utf-8") as out:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            p = patrons.iloc[rng.integers(0, len(patrons), n)]
            minutes = rng.integers(0, 365 * 24 * 60, n)
            when = pd.Timestamp("2025-11-01") + pd.to_timedelta(minutes, unit="min")
            df = pd.DataFrame(
                {
                    "folio": np.arange(50_000_000 + start, 50_000_000 + start + n),
                    "registro patronal": p["registro_patronal"].to_numpy(),
                    "subdelegación": p["subdelegacion_id"].to_numpy(),
                    "canal": rng.choice(channels, n),
                    "trámite": rng.choice(procedures, n),
                    "fecha y hora": when.strftime("%d/%m/%Y %H:%M"),
                    "espera": np.round(rng.exponential(12, n), 1),
                    "atención": np.round(rng.exponential(8, n), 1),
                    "resuelto al primer contacto": rng.choice(["sí", "no"], n),
                    "costo": np.round(rng.uniform(3, 320, n), 2),
                }
            )
            for c in ("espera", "atención", "costo"):
                df[c] = df[c].map(lambda v: f"{v}".replace(".", ","))
            df.to_csv(out, sep=";", index=False, header=header)
            header = False


if __name__ == "__main__":
    write_interactions(
        sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
    )
