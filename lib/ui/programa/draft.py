"""The planner's working copy of a draft (kept in the session under ``pat_work``): the draft
chooser, the editable grids that fold edits into it, the table of changes between versions
and the save panel under the tabs.

A role without the identifiers grant (``clear`` False) sees the draft's free text (title,
notes, target notes) with identifiers masked, on screen and in the files; its edits apply to
the original text, so a cell or box it does not change keeps what was saved (lib.masking)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from lib.access import may
from lib.masking import mask_frame, shown_text
from lib.planning import baseline as bl
from lib.planning import drafts as dr
from lib.planning import export as ex
from lib.planning.editor import SPECS, Col, fold_edits, working_copy
from lib.planning.validation import DraftInvalid
from lib.policy import NotPermitted, Permission
from lib.ui import urlstate
from lib.ui.layout import data_table
from lib.ui.programa.plan import (
    SELF_SERVICE,
    Plan,
    baseline,
    capacity_now,
    handling_minutes,
    measured,
    plan_now,
)

WORK = "pat_work"


def _work_from(plan: Plan, draft: dr.Draft | None) -> dict[str, Any]:
    """What the planner edits: the loaded draft, or a new one built from the baseline."""
    minutes = {c: 0.0 if c in SELF_SERVICE else float(v) for c, v in handling_minutes(plan).items()}
    base = baseline(plan)
    initial = None if draft is not None else bl.initial_targets(base)
    last12 = dict(zip(base["key"], base["last12"].astype(float).round(2), strict=True))
    return working_copy(
        plan.year, plan.channel_names, minutes, measured(plan), initial, draft, last12
    )


def working_draft(plan: Plan, clear: bool) -> dict[str, Any]:
    """The draft chooser (its choice in the URL as ``?borrador=<id>``) and the working copy of
    the chosen draft, kept across reruns; a caption says which version it is."""
    ctx = plan.ctx
    drafts = ctx.store.drafts(plan.year)
    labels = {
        int(r.id): f"#{r.id} · {shown_text(r.title, clear)} · v{r.version} · "
        f"{dr.STATUSES.get(r.status, r.status)}"
        for r in drafts.itertuples()
    }
    # the chosen draft is in the URL by id (?borrador=12): its label changes with each version
    missing = urlstate.follow("borrador", "pat_draft", labels, int)
    if missing:
        st.warning(missing, icon=":material/link_off:")
    choice = st.selectbox(
        "Borrador",
        [None, *labels],
        format_func=lambda i: "Nuevo borrador" if i is None else labels[i],
        key="pat_draft",
        help="Los borradores se guardan en la base compartida; cada guardado es una versión.",
        placeholder="Elija una opción",
    )
    urlstate.publish("borrador", choice)
    stored: dict[str, Any] | None = st.session_state.get(WORK)
    stale = (  # a new, untouched draft follows the filters' place; an edited one keeps its numbers
        stored is not None
        and stored["draft_id"] is None
        and stored["rev"] == 0
        and stored["scope"] != ctx.scope
    )
    if stored is None or stored["draft_id"] != choice or stale:
        work = _work_from(plan, None if choice is None else ctx.store.draft(choice))
        work["scope"] = ctx.scope
        st.session_state[WORK] = work
        st.session_state.pop("pat_message", None)  # it spoke of the draft shown before
    else:
        work = stored
    if work["draft_id"] is None:
        st.caption(
            f"Borrador nuevo para {plan.year}, partiendo de la línea base. Aún no se ha guardado."
        )
    else:
        st.caption(
            f"Versión {work['version']} · {dr.STATUSES.get(work['status'], work['status'])} · "
            f"guardada por {work['author']}"
        )
    return work


# ------------------------------------------------------------------------ the grids


def _edit(work: dict[str, Any], part: str) -> None:
    """on_change of an editor: fold the valid edits into the working copy (each cell checked
    at edit time, lib.planning.editor.apply_edits), start a fresh widget."""
    fold_edits(work, part, st.session_state.get(f"pat_{part}_{work['rev']}"))
    st.session_state.pop("pat_message", None)  # an old "saved" note no longer describes it


def _column(spec: Col, options: list[str] | None = None) -> Any:
    """The grid column for a spec. Numbers get their step and format but no bounds: the
    grid would drop a typed minus sign or clamp silently; apply_edits refuses out-of-range
    values with a message instead. A select column offers ``options``."""
    if spec.kind == "select":
        return st.column_config.SelectboxColumn(
            spec.label, options=options or [], required=spec.required
        )
    if spec.kind == "number":
        return st.column_config.NumberColumn(
            spec.label + (" 🔒" if spec.locked else ""),
            step=spec.step,
            format="localized",
            disabled=spec.locked,
        )
    if spec.kind == "date":
        return st.column_config.DateColumn(spec.label, format="DD/MM/YYYY")
    if spec.kind == "bool":
        return st.column_config.CheckboxColumn(spec.label)
    return st.column_config.TextColumn(
        spec.label + (" 🔒" if spec.locked else ""),
        max_chars=spec.max_chars,
        required=spec.required,
        disabled=spec.locked,
    )


def editor(
    work: dict[str, Any], part: str, clear: bool, hidden: tuple[str, ...] = (), **kwargs: Any
) -> None:
    """The working copy's ``part`` in an editor with its typed, bounded columns; locked
    columns are read-only; empty cells read "—". The edits (positions and columns) are
    folded into the working copy itself, so the masked view never overwrites the text it
    hides; what was refused is listed under the grid."""
    spec = SPECS[part]
    options = work.get("options", {}).get(part, {})
    st.data_editor(
        work[part] if clear else mask_frame(work[part]),
        key=f"pat_{part}_{work['rev']}",
        on_change=_edit,
        args=(work, part),
        hide_index=True,
        width="stretch",
        placeholder="—",
        disabled=[c for c, s in spec.items() if s.locked],
        column_config={
            c: None if c in hidden else _column(s, options.get(c)) for c, s in spec.items()
        },
        **kwargs,
    )
    problems = work.get("edit_problems", {}).get(part)
    if problems:
        st.error(
            "**Estos cambios no se aplicaron:**\n\n" + "\n".join(f"- {p}" for p in problems),
            icon=":material/error:",
        )


def show_changes(changes: list[dict], clear: bool) -> None:
    """The differences between two versions (lib.planning.drafts.diff_content), one per row."""
    if not changes:
        st.write("Sin cambios.")
        return
    table = pd.DataFrame(changes)
    for col in ("before", "after"):
        table[col] = [shown_text(ex.show_value(v), clear) for v in table[col]]
    data_table(
        table.rename(
            columns={
                "section": "Sección",
                "item": "Elemento",
                "field": "Campo",
                "before": "Antes",
                "after": "Después",
            }
        ),
    )


# ------------------------------------------------------------------------- saving


def _save(plan: Plan, work: dict[str, Any]) -> None:
    """on_click of «Guardar versión»: a new draft or a new version of the loaded one; the
    outcome is left in ``pat_message`` for the panel to say."""
    ctx = plan.ctx
    user = ctx.user
    try:
        cap_table = capacity_now(plan, work)
        cap_rows = cap_table[cap_table["channel_id"] != "total"].drop(columns=["coverage"])
        content = dr.prepare_content(
            plan.year,
            work["title"],
            work["status"],
            work["notes"],
            work["targets"],
            cap_rows,
            plan_now(plan, work),
            keys=work.get("indicators"),
        )
        saved = (
            ctx.store.create_draft(content)
            if work["draft_id"] is None
            else ctx.store.save_draft(work["draft_id"], content, work["version"])
        )
    except DraftInvalid as exc:
        st.session_state["pat_message"] = ("invalid", exc.problems)
        return
    except dr.DraftConflict as exc:
        st.session_state["pat_message"] = ("conflict", (str(exc), exc.changes, exc.current))
        return
    except NotPermitted as exc:  # the role changed since the button was drawn
        st.session_state["pat_message"] = ("invalid", [str(exc)])
        return
    work.update(draft_id=saved.id, version=saved.version, author=saved.author)
    st.session_state["pat_draft"] = saved.id
    st.session_state["pat_message"] = (
        "saved",
        f"Guardado: versión {saved.version} del borrador #{saved.id}, por {user.display_name}.",
    )


def _reload_current() -> None:
    st.session_state.pop(WORK, None)
    st.session_state.pop("pat_message", None)


def save_panel(plan: Plan, work: dict[str, Any], clear: bool) -> None:
    """Under the tabs, always shown: title, status and notes of the working copy, the save
    button (for a role that may save drafts) and what the last save said."""
    st.divider()
    st.subheader("Guardar")
    left, mid = st.columns([3, 1])
    shown_title = shown_text(work["title"], clear)
    typed = left.text_input("Título del programa", value=shown_title, key=None)
    if typed != shown_title:  # typed by the user: replaces the text (masked or not)
        work["title"] = typed
    statuses = list(dr.STATUSES)
    work["status"] = mid.selectbox(
        "Estado",
        statuses,
        index=statuses.index(work["status"]),
        format_func=dr.STATUSES.__getitem__,
        placeholder="Elija una opción",
    )
    shown_notes = shown_text(work["notes"], clear)
    typed = st.text_area("Notas generales", value=shown_notes, height=80)
    if typed != shown_notes:
        work["notes"] = typed

    if may(plan.ctx.user, Permission.DRAFT_SAVE):
        st.button(
            "Guardar versión",
            type="primary",
            on_click=_save,
            args=(plan, work),
            icon=":material/save:",
        )
    else:
        st.caption(
            ":material/lock: Consulta: su rol puede ver los borradores y descargarlos, no "
            "guardarlos (los redacta planeación)."
        )
    kind, payload = st.session_state.get("pat_message", (None, None))
    if kind == "saved":
        st.success(payload, icon=":material/check_circle:")
    elif kind == "invalid":
        st.error(
            "**No se guardó nada.** Corrija lo siguiente:\n\n"
            + "\n".join(f"- {p}" for p in payload),
            icon=":material/error:",
        )
    elif kind == "conflict":
        text, changes, current = payload
        st.error(text, icon=":material/sync_problem:")
        st.markdown(f"**Lo que cambió en la versión {current}** (frente a la que usted abrió):")
        show_changes(changes, clear)
        st.button(
            f"Cargar la versión {current} (descarta mis cambios sin guardar)",
            on_click=_reload_current,
        )
