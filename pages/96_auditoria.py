"""Bitácora de auditoría: who signed in, exported, imported or trained, when, and how much.

Filters run in SQL over the whole log (lib.audit.audit_page), a page of PAGE_SIZE events at a
time, so a flood of failed sign-ins cannot push older events out of reach. The sections are in
lib/ui/auditoria.py."""

from lib.policy import Permission
from lib.ui import auditoria as log
from lib.ui.context import page_setup

ctx = page_setup(
    "Bitácora de auditoría",
    Permission.PAGE_AUDITORIA,
    caption="Inicios de sesión, descargas, importaciones y cambios",
    show_filters=False,
)

search, asked = log.search()
events, total, page_no = log.events_page(ctx, search, asked)
log.events_table(events, total, page_no)
log.export_totals(ctx, search)
log.download(ctx, search, total)
