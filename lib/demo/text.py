"""Spanish phrase banks for synthetic survey comments and complaint descriptions.

Each complaint category has its own vocabulary, with shared filler, so a TF-IDF model can
learn the categories but not trivially (some phrases are deliberately ambiguous).
"""

from __future__ import annotations

import numpy as np

OPENERS = [
    "El patrón manifiesta que",
    "La persona usuaria refiere que",
    "Se recibe inconformidad porque",
    "El representante legal indica que",
    "Contador externo señala que",
    "Se reporta que",
]

# category id -> phrases (see lib/demo/catalogs.py COMPLAINT_CATEGORIES)
CATEGORY_PHRASES: dict[int, list[str]] = {
    1: [
        "el personal de ventanilla lo atendió de forma grosera",
        "el asesor fue descortés y no quiso escuchar su planteamiento",
        "recibió un trato prepotente por parte del servidor público",
        "la persona que atendía le habló de mala manera",
        "el trato del personal fue irrespetuoso durante la atención",
    ],
    2: [
        "esperó más de tres horas en la fila para ser atendido",
        "la espera en la subdelegación fue excesiva y no había turnos",
        "no alcanzó turno a pesar de llegar temprano, la fila era muy larga",
        "la cita se retrasó y tuvo que esperar toda la mañana",
        "en el contact center lo dejaron en espera durante mucho tiempo",
    ],
    3: [
        "le dieron información incorrecta sobre los requisitos del trámite",
        "la orientación recibida fue equivocada y tuvo que regresar",
        "cada asesor le indicó requisitos distintos",
        "le informaron mal el plazo para presentar el aviso",
        "la asesoría telefónica le indicó un procedimiento que no aplicaba",
    ],
    4: [
        "el sistema IDSE no permite enviar los movimientos afiliatorios",
        "SIPARE marca error al generar la línea de captura",
        "el Escritorio Virtual no carga y no puede firmar con su e.firma",
        "el Buzón IMSS presenta fallas y no muestra las notificaciones",
        "la página se cae constantemente al intentar concluir el trámite",
    ],
    5: [
        "rechazaron su trámite sin explicar el motivo",
        "le negaron la recepción de documentos aunque estaban completos",
        "su solicitud fue rechazada por un supuesto error en el formato",
        "no le aceptaron el trámite por falta de un requisito no publicado",
        "el trámite fue improcedente sin fundamentación",
    ],
    6: [
        "le determinaron un crédito fiscal que ya había sido pagado",
        "le cobran cuotas de trabajadores dados de baja",
        "la cédula de liquidación contiene montos improcedentes",
        "le aplicaron recargos y actualización sobre un pago hecho a tiempo",
        "la emisión incluye diferencias que no corresponden",
    ],
    7: [
        "no recibió la notificación y se enteró por estrados",
        "la notificación llegó a un domicilio equivocado",
        "el notificador no se identificó correctamente",
        "le notificaron fuera de plazo un requerimiento",
        "el acto fue publicado en estrados sin aviso previo en el Buzón",
    ],
    8: [
        "un gestor le ofreció agilizar el trámite a cambio de dinero",
        "le solicitaron una dádiva para liberar su trámite",
        "hay coyotes afuera de la subdelegación que ofrecen citas",
        "un servidor público le pidió un pago indebido",
        "le sugirieron acudir con un gestor para resolver más rápido",
    ],
}

CLOSERS = [
    "Solicita que se revise su caso.",
    "Pide una respuesta por escrito.",
    "Requiere que se atienda a la brevedad.",
    "",
    "Solicita la intervención de la subdelegación.",
]

COMMENTS_POSITIVE = [
    "Muy buena atención, resolvieron mi trámite rápido.",
    "El asesor fue amable y claro.",
    "Excelente servicio, sin filas.",
    "Todo en línea, muy sencillo.",
    "Me explicaron bien los pasos a seguir.",
]
COMMENTS_NEUTRAL = [
    "La atención fue correcta pero tardada.",
    "Resolvieron, aunque tuve que volver.",
    "Falta información en la página.",
    "Regular, nada especial.",
]
COMMENTS_NEGATIVE = [
    "Demasiado tiempo de espera.",
    "No resolvieron mi problema.",
    "Me dieron información contradictoria.",
    "El sistema falla todo el tiempo.",
    "Nadie contesta en el teléfono.",
    "Tuve que ir varias veces para lo mismo.",
]


def complaint_descriptions(rng: np.random.Generator, categories: np.ndarray) -> np.ndarray:
    """One description per complaint; ``categories`` are the true category ids (1-8)."""
    n = len(categories)
    if n == 0:
        return np.array([], dtype=str)
    openers = np.array(OPENERS)[rng.integers(0, len(OPENERS), n)]
    closers = np.array(CLOSERS)[rng.integers(0, len(CLOSERS), n)]
    # 15 % of texts borrow a phrase from another category: real descriptions are messy.
    phrase_cat = np.where(rng.random(n) < 0.15, rng.integers(1, 9, n), categories)
    picks = rng.integers(0, 5, n)
    phrases = np.array(
        [CATEGORY_PHRASES[int(c)][int(k)] for c, k in zip(phrase_cat, picks, strict=True)]
    )
    main = np.array(
        [CATEGORY_PHRASES[int(c)][int(k)] for c, k in zip(categories, (picks + 1) % 5, strict=True)]
    )
    body = np.char.add(np.char.add(openers, " "), main)
    extra = np.where(phrase_cat != categories, np.char.add("; además, ", phrases), "")
    out = np.char.add(np.char.add(np.char.add(body, extra), ". "), closers)
    return np.char.strip(out.astype(str))


def survey_comments(rng: np.random.Generator, csat: np.ndarray) -> np.ndarray:
    """A comment for each response (caller decides which responses carry one)."""
    n = len(csat)
    pos = np.array(COMMENTS_POSITIVE)[rng.integers(0, len(COMMENTS_POSITIVE), n)]
    neu = np.array(COMMENTS_NEUTRAL)[rng.integers(0, len(COMMENTS_NEUTRAL), n)]
    neg = np.array(COMMENTS_NEGATIVE)[rng.integers(0, len(COMMENTS_NEGATIVE), n)]
    return np.where(csat >= 4, pos, np.where(csat == 3, neu, neg))
