"""Usuarios y roles: who may sign in, with which role and office scope (administrators only)."""

import streamlit as st

from lib.access import ROLES
from lib.policy import Permission
from lib.ui.context import page_setup
from lib.ui.layout import data_table
from lib.users import UserError

ctx = page_setup(
    "Usuarios y roles",
    Permission.PAGE_USUARIOS,
    caption="Quién entra a Mirador, con qué rol y sobre qué oficinas",
    show_filters=False,
)

users = ctx.store.users()
ooad_names = dict(zip(ctx.ooads["id"].astype(int), ctx.ooads["name"], strict=True))
sub_names = dict(
    zip(ctx.subdelegaciones["id"].astype(int), ctx.subdelegaciones["name"], strict=True)
)

data_table(
    users.assign(
        role=users["role"].map(ROLES),
        ooad_id=users["ooad_id"].map(lambda v: ooad_names.get(int(v)) if v == v and v else ""),
        subdelegacion_id=users["subdelegacion_id"].map(
            lambda v: sub_names.get(int(v)) if v == v and v else ""
        ),
    ),
    column_config={
        "username": "Usuario",
        "display_name": "Nombre",
        "email": "Correo",
        "role": "Rol",
        "ooad_id": "OOAD",
        "subdelegacion_id": "Subdelegación",
        "can_see_identifiers": st.column_config.CheckboxColumn("Ve identificadores"),
        "active": st.column_config.CheckboxColumn("Activo"),
        "has_password": st.column_config.CheckboxColumn("Contraseña local"),
        "created_at": st.column_config.DatetimeColumn("Alta", format="DD/MM/YYYY HH:mm"),
        "updated_at": st.column_config.DatetimeColumn("Último cambio", format="DD/MM/YYYY HH:mm"),
    },
    empty="Todavía no hay cuentas en esta base de datos.",
)
st.caption(
    f"{len(users)} usuarios. Sin usuarios con contraseña (ni proveedor de identidad "
    "configurado), Mirador corre como demostración sin inicio de sesión; al dar de alta el "
    "primero con contraseña, todas las páginas la piden. Las contraseñas se guardan con Argon2."
)

st.subheader("Alta o cambio")
existing = ["(nuevo)", *users["username"]]
pick = st.selectbox("Usuario a editar", existing, key="editar", placeholder="Elija una opción")
row = users[users["username"] == pick].iloc[0] if pick != "(nuevo)" else None
role_keys = list(ROLES)
with st.form("usuario"):
    username = st.text_input(
        "Usuario", value="" if row is None else row["username"], disabled=row is not None
    )
    name = st.text_input("Nombre", value="" if row is None else row["display_name"])
    email = st.text_input(
        "Correo institucional (para OIDC)", value="" if row is None else (row["email"] or "")
    )
    role = st.selectbox(
        "Rol",
        role_keys,
        index=0 if row is None else role_keys.index(row["role"]),
        format_func=ROLES.__getitem__,
        placeholder="Elija una opción",
    )
    ooad_opts = [None, *ooad_names]
    ooad = st.selectbox(
        "OOAD (oficina)",
        ooad_opts,
        index=0
        if row is None or row["ooad_id"] != row["ooad_id"] or not row["ooad_id"]
        else ooad_opts.index(int(row["ooad_id"])),
        format_func=lambda v: "Todo el instituto" if v is None else ooad_names[v],
        placeholder="Elija una opción",
    )
    sub_opts = [None, *sub_names]
    sub = st.selectbox(
        "Subdelegación (opcional; debe pertenecer a la OOAD)",
        sub_opts,
        index=0
        if row is None
        or row["subdelegacion_id"] != row["subdelegacion_id"]
        or not row["subdelegacion_id"]
        else sub_opts.index(int(row["subdelegacion_id"])),
        format_func=lambda v: "Toda la OOAD" if v is None else sub_names[v],
        placeholder="Elija una opción",
    )
    identifiers = st.checkbox(
        "Puede ver registros patronales completos",
        value=False if row is None else bool(row["can_see_identifiers"]),
    )
    active = st.checkbox("Activo", value=True if row is None else bool(row["active"]))
    password = st.text_input(
        "Contraseña nueva (vacía: sin cambio)", type="password", help="Al menos 10 caracteres."
    )
    sent = st.form_submit_button("Guardar", icon=":material/save:")
if sent:
    try:
        ctx.store.save_user(
            username if row is None else row["username"],
            name,
            role,
            email=email,
            ooad_id=ooad,
            subdelegacion_id=sub,
            can_see_identifiers=identifiers,
            active=active,
            password=password or None,
        )
    except UserError as exc:
        st.error(f"No se guardó: {exc}.", icon=":material/error:")
    else:
        st.success(
            f"Usuario «{username if row is None else row['username']}» guardado; el cambio "
            "quedó en la bitácora."
        )
