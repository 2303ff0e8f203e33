"""Column-mapping profiles: a known export layout turned into the import contract's columns.

Real exports do not come in the contract's shape: a call-centre switch writes one row per
call with its own codes and clock times, a complaints system its own channels and statuses.
A profile says, once and in one place, how each source column maps (docs/import.md lists
them), and the import then runs exactly as for a contract file: the same validation, dates
read honestly, problems, audit and transaction (lib/ingest/load.py). A profile only renames,
recodes and combines columns, row by row; it never drops or invents a row, and what the
source does not carry stays empty (never a made-up value). Values every row shares and the
source cannot know (which office's call centre this is, which procedure) are given by the
user as parameters (``--param subdelegacion_id=1439``), and the import says so.

Problem reports quote the cell as the profile passed it on (e.g. an ISO date built from the
source's YYMMDD and clock columns), with the file's row number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from lib.complaint_vocabulary import ComplaintStatus
from lib.contact import CallerKind, Outcome
from lib.ingest.contract import normalise_header


class ProfileError(ValueError):
    """A profile cannot be applied: unknown name, missing parameter or source column (Spanish)."""


@dataclass(frozen=True)
class Param:
    name: str  # contract column it fills
    label: str  # Spanish
    default: str | None = None


@dataclass(frozen=True)
class Profile:
    key: str
    table: str
    label: str  # Spanish, for the import page
    source: str  # the layout it reads, in a sentence (Spanish)
    columns: tuple[str, ...]  # source columns it needs (as the source writes them)
    params: tuple[Param, ...]
    transform: Callable[[pd.DataFrame, dict[str, str]], pd.DataFrame]
    mapping: tuple[tuple[str, str], ...]  # (contract column, from what), for docs/import.md
    date_order: str | None = None  # the day/month order the source's documentation states
    # (column, catalog table): values written as a catalog entry's name become its id
    by_name: tuple[tuple[str, str], ...] = ()

    def resolve(self, given: dict[str, str] | None) -> dict[str, str]:
        """The parameters with their defaults; ProfileError naming the missing ones."""
        given = dict(given or {})
        unknown = sorted(set(given) - {p.name for p in self.params})
        if unknown:
            raise ProfileError(
                f"El perfil «{self.key}» no tiene los parámetros {', '.join(unknown)}; "
                f"acepta: {', '.join(p.name for p in self.params) or 'ninguno'}."
            )
        out = {p.name: given.get(p.name, p.default) for p in self.params}
        missing = [p for p in self.params if not out[p.name]]
        if missing:
            raise ProfileError(
                f"El perfil «{self.key}» necesita "
                + "; ".join(f"{p.name} ({p.label})" for p in missing)
                + ": dé cada uno como --param nombre=valor."
            )
        return out  # type: ignore[return-value]

    def source_mapping(self, headers: list[str]) -> dict[str, str]:
        """Source header as written → the name the profile uses; ProfileError if one lacks."""
        found = {normalise_header(h): h for h in headers}
        missing = [c for c in self.columns if normalise_header(c) not in found]
        if missing:
            raise ProfileError(
                f"El archivo no tiene el formato del perfil «{self.key}» ({self.source}): "
                f"faltan las columnas {', '.join(missing)}."
            )
        return {found[normalise_header(c)]: c for c in self.columns}


# ----------------------------------------------------------------- call log (Technion SEE)


def _clock_seconds(s: pd.Series) -> pd.Series:
    parts = s.astype(str).str.extract(r"^\s*(\d+):(\d\d):(\d\d)\s*$").astype(float)
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


def _see_call_log(raw: pd.DataFrame, params: dict[str, str]) -> pd.DataFrame:
    """One row per call of the SEE call-centre layout (Guedj & Mandelbaum's "Anonymous
    Bank"). A call queued when it has a queue entry time (``q_start`` ≠ 0:00:00); a call
    served (AGENT) without one was answered at once: queued with 0 s. A hang-up (HANG) in the
    queue is abandoned; one before the queue hung up in the menu: abandoned, never queued.
    PHANTOM calls (the source cannot say what happened) are ``otro``."""
    out = pd.DataFrame(index=raw.index)
    line = pd.to_numeric(raw["vru+line"].str.replace(r"\D", "", regex=True), errors="coerce")
    call = pd.to_numeric(raw["call_id"], errors="coerce")
    ok = line.notna() & call.notna() & (call < 1_000_000)
    folio = (line * 1_000_000 + call).astype("Int64").astype(str)
    out["id"] = folio.where(ok, raw["call_id"])  # a bad call id is reported as written
    anonymous = raw["customer_id"].str.strip() == "0"
    out["caller_kind"] = anonymous.map(
        {True: CallerKind.ANONIMO.value, False: CallerKind.IDENTIFICADO.value}
    )
    for name in ("subdelegacion_id", "channel_id", "procedure_id"):
        out[name] = params[name]
    # YYMMDD: the century is the profile's statement (the SEE logs are of 1999)
    day = pd.to_datetime("19" + raw["date"].str.strip(), format="%Y%m%d", errors="coerce")
    start = day + pd.to_timedelta(_clock_seconds(raw["vru_entry"]), unit="s")
    out["started_at"] = start.dt.strftime("%Y-%m-%d %H:%M:%S").where(
        start.notna(), raw["date"] + " " + raw["vru_entry"]
    )
    queued = raw["q_start"].str.strip() != "0:00:00"
    served = raw["outcome"].str.strip() == "AGENT"
    outcome = (
        raw["outcome"]
        .str.strip()
        .map({"AGENT": Outcome.ATENDIDO.value, "HANG": Outcome.ABANDONADO.value})
    )
    out["outcome"] = outcome.fillna(Outcome.OTRO.value).where(
        raw["outcome"].str.strip().isin(["AGENT", "HANG", "PHANTOM"]), raw["outcome"]
    )
    wait = raw["q_time"].where(queued, "0").where(queued | served, "")
    out["wait_seconds"] = wait
    out["handle_seconds"] = raw["ser_time"].where(served, "")
    # 17 rows of February 1999 have the menu exit clocked before its entry (vru_time < 0):
    # the source's clocks disagree, so the menu time is not known (empty), the rest is kept
    menu = pd.to_numeric(raw["vru_time"], errors="coerce")
    out["menu_seconds"] = raw["vru_time"].where(~(menu < 0), "")
    agent = raw["server"].str.strip()
    out["agent"] = agent.where(agent != "NO_SERVER", "")
    return out


# ------------------------------------------------------------- CFPB complaint database


CFPB_CHANNELS = {
    "web": "web",
    "referral": "referencia",
    "phone": "telefono",
    "postal mail": "correo_postal",
    "fax": "fax",
    "email": "correo_electronico",
}
CFPB_RESPONSE_DAYS = 15  # the CFPB asks companies to respond within 15 calendar days


def _cfpb(raw: pd.DataFrame, params: dict[str, str]) -> pd.DataFrame:
    """One row per complaint of the CFPB public export. ``company_response_to_consumer``
    «Closed…» is a closed case whose closing date the export does not give (cerrada, date
    unknown: counted closed, never open); «In progress» and «Untimely response» are open.
    The product is the category, looked up by name in complaint_category (import the
    products there first). The deadline is the CFPB's 15 days after receipt."""
    out = pd.DataFrame(index=raw.index)
    out["folio"] = raw["complaint_id"]
    out["kind_id"] = params["kind_id"]
    out["subdelegacion_id"] = params["subdelegacion_id"]
    via = raw["submitted_via"].str.strip().str.lower()
    out["channel_id"] = via.map(CFPB_CHANNELS).fillna(raw["submitted_via"])
    out["category_id"] = raw["product"].str.strip()
    out["received_on"] = raw["date_received"]
    received = pd.to_datetime(raw["date_received"], format="%m/%d/%Y", errors="coerce")
    due = received + pd.Timedelta(days=CFPB_RESPONSE_DAYS)
    out["due_on"] = due.dt.strftime("%m/%d/%Y").where(due.notna(), raw["date_received"])
    response = raw["company_response_to_consumer"].fillna("").str.strip()
    out["status"] = response.str.startswith("Closed").map(
        {True: ComplaintStatus.CERRADA.value, False: ComplaintStatus.ABIERTA.value}
    )
    out["description"] = raw.get("consumer_complaint_narrative")
    return out


PROFILES: dict[str, Profile] = {
    p.key: p
    for p in (
        Profile(
            key="llamadas_see",
            table="interaction",
            label="Registro de llamadas de un conmutador (formato SEE / «Anonymous Bank»)",
            source="una fila por llamada, separada por tabuladores, con vru+line, call_id, "
            "customer_id, date (AAMMDD), vru_entry, vru_time, q_start, q_time, outcome, "
            "ser_time y server",
            columns=(
                "vru+line",
                "call_id",
                "customer_id",
                "date",
                "vru_entry",
                "vru_time",
                "q_start",
                "q_time",
                "outcome",
                "ser_time",
                "server",
            ),
            params=(
                Param("subdelegacion_id", "subdelegación a la que pertenece el conmutador"),
                Param("channel_id", "canal", "contact_center"),
                Param("procedure_id", "trámite", "consulta_orientacion"),
            ),
            transform=_see_call_log,
            mapping=(
                ("id", "digits of `vru+line` × 1,000,000 + `call_id` (`call_id` alone repeats)"),
                ("registro_patronal", "empty: the callers are not in the patron register"),
                (
                    "caller_kind",
                    "`customer_id` 0 → `anonimo`, any other → `identificado`",
                ),
                ("subdelegacion_id, channel_id, procedure_id", "parameters (the same for all)"),
                (
                    "started_at",
                    "`date` (AAMMDD, read as 19AA: the profile states the century) + `vru_entry`",
                ),
                (
                    "outcome",
                    "`outcome` AGENT → `atendido`, HANG → `abandonado`, PHANTOM → `otro`",
                ),
                (
                    "wait_seconds",
                    "`q_time` when `q_start` ≠ 0:00:00 (queued); 0 for an AGENT call "
                    "without a queue entry (answered at once); empty otherwise (hung up or "
                    "vanished in the menu: never queued)",
                ),
                ("handle_seconds", "`ser_time` of AGENT calls; empty otherwise"),
                (
                    "menu_seconds",
                    "`vru_time`; empty when negative (17 rows of 1–14 Feb 1999 clock the "
                    "menu's exit before its entry: not known)",
                ),
                ("agent", "`server`; NO_SERVER → empty"),
                (
                    "resolved_first_contact, cost",
                    "empty (not in the log): not known, never invented",
                ),
                (
                    "not used",
                    "`priority`, `type` (service line), `vru_exit`, `q_exit`, `ser_start`, "
                    "`ser_exit`",
                ),
            ),
        ),
        Profile(
            key="quejas_cfpb",
            table="complaint",
            label="Quejas de la base pública de la CFPB (EUA)",
            source="export CSV de la Consumer Complaint Database con date_received (m/d/aaaa), "
            "product, submitted_via, company_response_to_consumer y complaint_id",
            columns=(
                "date_received",
                "product",
                "submitted_via",
                "company_response_to_consumer",
                "complaint_id",
            ),
            params=(
                Param("subdelegacion_id", "subdelegación a la que se atribuyen"),
                Param("kind_id", "tipo de queja", "queja"),
            ),
            transform=_cfpb,
            by_name=(("category_id", "complaint_category"),),
            mapping=(
                ("folio", "`complaint_id`"),
                ("kind_id, subdelegacion_id", "parameters (default kind `queja`)"),
                (
                    "channel_id",
                    "`submitted_via`: Web → `web`, Referral → `referencia` (a channel of "
                    "kind `otro`), Phone → `telefono`, Postal mail → `correo_postal`, Fax → "
                    "`fax`, Email → `correo_electronico` (import these channels first)",
                ),
                (
                    "category_id",
                    "`product`, looked up by name in `complaint_category` (import the "
                    "products as categories first)",
                ),
                ("received_on", "`date_received`, m/d/aaaa (the order the source states)"),
                ("due_on", "`date_received` + 15 calendar days (the CFPB's response clock)"),
                (
                    "status",
                    "`company_response_to_consumer` «Closed…» → `cerrada` (closing date "
                    "unknown: counted closed, never open); «In progress», «Untimely "
                    "response» → `abierta`",
                ),
                ("closed_on", "empty: the export gives no closing date"),
                ("description", "`consumer_complaint_narrative` (empty in the 2013 slice)"),
                (
                    "not used",
                    "`sub_product`, `issue`, `sub_issue`, `company`, `state`, `zipcode`, "
                    "`tags`, `date_sent_to_company`, `timely_response`, "
                    "`consumer_disputed?` and the consent and public-response columns",
                ),
            ),
            date_order="mdy",
        ),
    )
}


def get_profile(key: str, table: str) -> Profile:
    profile = PROFILES.get(key)
    if profile is None:
        raise ProfileError(
            f"No hay un perfil «{key}»; perfiles disponibles: {', '.join(PROFILES)}."
        )
    if profile.table != table:
        raise ProfileError(f"El perfil «{key}» es para la tabla {profile.table}, no para {table}.")
    return profile


def profiles_markdown() -> str:
    """Each profile's mapping, as docs/import.md shows it."""
    lines = []
    for p in PROFILES.values():
        lines += [
            f"### Profile `{p.key}` → `{p.table}`",
            "",
            f"{p.label}. Reads {p.source}. Parameters: "
            + ", ".join(
                f"`{x.name}` ({x.label}" + (f"; default `{x.default}`" if x.default else "") + ")"
                for x in p.params
            )
            + "."
            + (f" Dates: `{p.date_order}` (stated by the source)." if p.date_order else ""),
            "",
            "| Contract column | From |",
            "|---|---|",
            *[
                f"| `{c}` | {how} |" if c != "not used" else f"| not used | {how} |"
                for c, how in p.mapping
            ],
            "",
        ]
    return "\n".join(lines)


__all__ = ["PROFILES", "Param", "Profile", "ProfileError", "get_profile", "profiles_markdown"]
