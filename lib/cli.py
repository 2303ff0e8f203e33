"""Command line: ``python -m lib seed|refresh|migrate|import|export|train|score|bench|loadtest|user``."""

from __future__ import annotations

import argparse
import resource
import sys
import time

from lib.db.engine import DEFAULT_SQLITE_PATH, database_target, make_engine


def _bar(fraction: float, message: str) -> None:
    if not sys.stderr.isatty():  # logs: one line per step, no carriage returns
        sys.stderr.write(f"{fraction:4.0%} {message}\n")
        return
    width = 30
    filled = int(width * fraction)
    sys.stderr.write(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%} {message[:50]:<50}"
    )
    sys.stderr.flush()
    if fraction >= 1.0:
        sys.stderr.write("\n")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cmd_seed(args: argparse.Namespace) -> int:
    from lib.demo.seed import RealDataPresent, seed, seed_sqlite_file

    target = database_target()
    print(f"Base de datos: {target.display} ({target.source})")
    started = time.perf_counter()
    try:
        if target.is_default:
            print("Detenga la aplicación antes de sembrar la base integrada (la reemplaza).")
            counts = seed_sqlite_file(
                DEFAULT_SQLITE_PATH, args.scale, args.seed, _bar, force=args.force
            )
        else:
            engine = make_engine(target.url)
            counts = seed(engine, args.scale, args.seed, _bar, force=args.force)
    except RealDataPresent as exc:
        print(f"\nNo se sembró: {exc}", file=sys.stderr)
        return 1
    wall = time.perf_counter() - started
    for table, rows in sorted(counts.items()):
        if not table.startswith("_"):
            print(f"  {table:<22} {rows:>12,}")
    print(
        f"Escala {args.scale}, semilla {args.seed}: {wall:,.1f} s, memoria pico {_peak_mb():,.0f} MB"
    )
    return 0


def cmd_refresh(_args: argparse.Namespace) -> int:
    from lib.refresh import refresh_all

    engine = make_engine(database_target().url)
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    with engine.begin() as conn:
        counts = refresh_all(conn, _bar, seconds)
    if engine.dialect.name == "postgresql":
        # The refresh replaced every rollup row; reclaim the dead ones now rather than rely on
        # autovacuum (off on some servers). VACUUM cannot run inside a transaction.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in counts:
                conn.exec_driver_sql(f'VACUUM (ANALYZE) "{table}"')
    for table, rows in counts.items():
        print(f"  {table:<24} {rows:>10,}")
    print(
        f"Agregados y resultados de campañas recalculados en "
        f"{time.perf_counter() - started:,.1f} s (agregados {seconds['rollups']:,.1f} s, "
        f"campañas {seconds['campaign_results']:,.1f} s)"
    )
    return 0


def cmd_migrate(_args: argparse.Namespace) -> int:
    from lib.db.migrate import current_revision, upgrade_schema

    engine = make_engine(database_target().url)
    before = current_revision(engine)
    upgrade_schema(engine)
    after = current_revision(engine)
    print(f"Esquema en la revisión {after}")
    if before is not None and before != after:
        print(
            "El esquema cambió: recalcule los agregados con `python -m lib refresh` para que "
            "las páginas muestren las columnas y tablas nuevas."
        )
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    import datetime as dt

    from lib.audit import record_event
    from lib.filters import add_months
    from lib.model.features import HORIZON, features_as_of
    from lib.model.registry import save_run
    from lib.model.train import train

    engine = make_engine(database_target().url)
    test_cutoff = dt.date.fromisoformat(f"{args.test_cutoff}-01")
    train_cutoffs = [add_months(test_cutoff, -HORIZON * k) for k in (4, 3, 2)]
    started = time.perf_counter()
    frames = []
    for i, c in enumerate(train_cutoffs):
        _bar(i / 5, f"Variables al {c:%m/%Y}")
        frames.append(features_as_of(engine, c))
    _bar(3 / 5, f"Variables al {test_cutoff:%m/%Y} (evaluación)")
    test = features_as_of(engine, test_cutoff)
    _bar(4 / 5, "Entrenando y calibrando")
    result = train(frames, test)
    run_id = save_run(engine, result, author="línea de comandos")
    _bar(1.0, "Listo")
    record_event(engine, "cli", "train", f"model_run {run_id}", details={"model": result.chosen})
    for name in ("logistic", "boosting", "rule_late_last_month"):
        m = result.metrics[name]
        print(
            f"  {name:<22} ROC AUC {m['roc_auc']:.3f}  PR AUC {m['pr_auc']:.3f}  "
            f"Brier {m['brier']:.3f}  precisión@k {m['precision_at_k']:.3f}"
        )
    print(
        f"Modelo {run_id} ({result.chosen}) en {time.perf_counter() - started:,.1f} s, "
        f"memoria pico {_peak_mb():,.0f} MB"
    )
    return 0


def cmd_indicators(args: argparse.Namespace) -> int:
    from lib.dictionary import indicators_markdown

    sys.stdout.write(indicators_markdown())
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    import datetime as dt

    from lib.model.registry import score_all

    engine = make_engine(database_target().url)
    cutoff = dt.date.fromisoformat(f"{args.cutoff}-01")
    started = time.perf_counter()
    run_id, n = score_all(engine, cutoff, args.run)
    from lib.audit import record_event

    record_event(engine, "cli", "score", f"model_run {run_id}", rows=n)
    print(
        f"{n:,} patrones calificados con el modelo {run_id} en "
        f"{time.perf_counter() - started:,.1f} s, memoria pico {_peak_mb():,.0f} MB"
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from lib.access import SYSTEM_USER
    from lib.ingest.contract import SPECS
    from lib.ingest.limits import import_limits
    from lib.ingest.load import import_file
    from lib.sessions import SettingError

    if args.table not in SPECS:
        print(
            f"La tabla «{args.table}» no se importa. Tablas: {', '.join(SPECS)}",
            file=sys.stderr,
        )
        return 2
    try:
        open(args.file, "rb").close()
    except OSError as exc:
        print(f"No se puede abrir «{args.file}»: {exc.strerror}", file=sys.stderr)
        return 2
    as_of = None
    if args.as_of:
        import datetime as dt

        try:
            as_of = dt.date.fromisoformat(args.as_of)
        except ValueError:
            print(f"--as-of debe ser una fecha AAAA-MM-DD, no «{args.as_of}»", file=sys.stderr)
            return 2
    try:
        limits = import_limits()
    except SettingError as exc:
        print(f"Un ajuste de Mirador no es válido: {exc} (variable de entorno).", file=sys.stderr)
        return 2
    params = {}
    for item in args.param or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            print(f"--param debe ser nombre=valor, no «{item}»", file=sys.stderr)
            return 2
        params[name.strip()] = value.strip()
    if args.perfil:
        from lib.ingest.profiles import ProfileError, get_profile

        try:
            get_profile(args.perfil, args.table).resolve(params)
        except ProfileError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    elif params:
        print("--param sólo se usa con --perfil", file=sys.stderr)
        return 2
    target = database_target()
    print(f"Base de datos: {target.display} ({target.source})")
    engine = make_engine(target.url)
    result = import_file(
        engine,
        args.table,
        args.file,
        user=replace(SYSTEM_USER, username=args.user, display_name=args.user),
        dry_run=args.dry_run,
        encoding=args.encoding,
        sep={"tab": "\t", "\\t": "\t"}.get(args.sep, args.sep) if args.sep else None,
        progress=_bar,
        refresh=not args.no_refresh,
        as_of=as_of,
        limits=limits,
        date_order=args.orden_fechas,
        two_digit_years=args.anios_dos_cifras,
        profile=args.perfil,
        profile_params=params,
    )
    print(result.report())
    if result.status == "interrumpida":
        return 3
    if (
        args.no_refresh
        and result.status == "cargado"
        and (result.rows_inserted or result.rows_updated)
    ):
        print("Agregados sin recalcular: ejecute `python -m lib refresh` al terminar las cargas.")
    if args.problems and not result.problems.empty:
        result.problems.to_csv(args.problems, index=False, encoding="utf-8-sig")
        print(f"Lista de problemas: {args.problems}")
    if result.rows_read:
        print(
            f"{result.rows_read / max(result.seconds, 1e-9):,.0f} filas/s, "
            f"memoria pico {_peak_mb():,.0f} MB"
        )
    return 0 if result.ok else 1


def cmd_export(args: argparse.Namespace) -> int:
    from lib.ingest.contract import SPECS
    from lib.ingest.export import export_table

    if args.table not in SPECS:
        print(f"La tabla «{args.table}» no se exporta. Tablas: {', '.join(SPECS)}", file=sys.stderr)
        return 2
    engine = make_engine(database_target().url)
    n = export_table(engine, args.table, args.file)
    print(f"{n:,} filas de {args.table} en {args.file} (se importa con `python -m lib import`)")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bench.pages import BenchOptions, format_table, run_bench

    skip = frozenset(x.strip() for x in args.skip.split(",") if x.strip())
    unknown = skip - {"refresh", "model", "pages", "import"}
    if unknown:
        print(f"--skip no reconoce: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    opts = BenchOptions(
        scale=args.scale,
        database=args.database,
        results=Path(args.results),
        repeat=args.repeat,
        seed=args.seed,
        skip=skip,
        pages=tuple(x.strip() for x in args.pages.split(",") if x.strip()),
    )
    report = run_bench(opts, log=lambda m: print(m, file=sys.stderr, flush=True))
    print(format_table(report))
    print("\nResultados: " + ", ".join(report["files"].values()))
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    """Create or update an account; the password is read from standard input (never an
    argument: it would stay in the shell history and the process list)."""
    import getpass

    from lib.access import SYSTEM_USER
    from lib.users import UserError, save_user

    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif args.ask_password:
        password = getpass.getpass("Contraseña: ")
    engine = make_engine(database_target().url)
    try:
        save_user(
            engine,
            SYSTEM_USER,
            args.username,
            args.name or args.username,
            args.role,
            email=args.email,
            ooad_id=args.ooad,
            subdelegacion_id=args.subdelegacion,
            can_see_identifiers=args.identifiers,
            active=not args.inactive,
            password=password,
        )
    except UserError as exc:
        print(f"No se guardó el usuario: {exc}", file=sys.stderr)
        return 1
    print(f"Usuario {args.username} guardado (rol {args.role}).")
    return 0


def cmd_loadtest(args: argparse.Namespace) -> int:
    """The signed-in load test through the proxy (bench/loadtest.py; its own options)."""
    from bench.loadtest import main as loadtest

    return loadtest(args.options)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["loadtest"]:  # every option is the load test's own (argparse would eat --help)
        return cmd_loadtest(argparse.Namespace(options=argv[1:]))
    parser = argparse.ArgumentParser(prog="python -m lib", description="Mirador: tareas de datos")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("seed", help="llenar la base con el instituto de demostración")
    p.add_argument("--scale", choices=["tiny", "demo", "national"], default="demo")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--force", action="store_true", help="sustituir aunque haya datos reales")
    p.set_defaults(func=cmd_seed)
    sub.add_parser("refresh", help="recalcular las tablas agregadas").set_defaults(func=cmd_refresh)
    sub.add_parser("migrate", help="crear o actualizar el esquema").set_defaults(func=cmd_migrate)
    t = sub.add_parser("train", help="entrenar el modelo de orientación proactiva")
    t.add_argument("--test-cutoff", default="2026-04", help="mes de evaluación AAAA-MM")
    t.set_defaults(func=cmd_train)
    s = sub.add_parser("score", help="calificar a todos los patrones con el modelo en uso")
    s.add_argument("--cutoff", default="2026-10", help="mes de corte AAAA-MM")
    s.add_argument("--run", type=int, default=None, help="id del modelo (por omisión, en uso)")
    s.set_defaults(func=cmd_score)
    i = sub.add_parser("import", help="importar un archivo CSV, Excel o Parquet a una tabla")
    i.add_argument("table", help="tabla del contrato de datos (docs/data-contract.md)")
    i.add_argument("file", help="archivo .csv, .xlsx o .parquet")
    i.add_argument("--dry-run", action="store_true", help="validar sin guardar")
    i.add_argument("--encoding", default=None, help="codificación (por omisión, detectada)")
    i.add_argument("--sep", default=None, help="separador: , ; | tab (por omisión, detectado)")
    i.add_argument(
        "--no-refresh",
        action="store_true",
        help="no recalcular los agregados (para varias cargas seguidas; luego `refresh`)",
    )
    i.add_argument(
        "--as-of", default=None, help="fecha que describen los datos, AAAA-MM-DD (datos al)"
    )
    i.add_argument(
        "--orden-fechas",
        choices=("dmy", "mdy"),
        default=None,
        help="orden de las fechas d/m/a: dmy (día/mes) o mdy (mes/día); por omisión se "
        "detecta de todos los valores de cada columna y se rechaza si no se puede saber",
    )
    i.add_argument(
        "--anios-dos-cifras",
        action="store_true",
        help="aceptar años de dos cifras (9/10/13): el más reciente de 19aa y 20aa que no pase "
        "de la fecha de corte",
    )
    i.add_argument(
        "--perfil",
        default=None,
        help="perfil de columnas de un formato de origen conocido (llamadas_see, "
        "quejas_cfpb; docs/import.md)",
    )
    i.add_argument(
        "--param",
        action="append",
        metavar="NOMBRE=VALOR",
        help="valor que el perfil necesita para todas las filas (repetible), p. ej. "
        "subdelegacion_id=1439",
    )
    i.add_argument("--user", default="línea de comandos", help="quién carga (para la bitácora)")
    i.add_argument("--problems", default=None, help="guardar la lista de problemas en este CSV")
    i.set_defaults(func=cmd_import)
    x = sub.add_parser("export", help="exportar una tabla del contrato a CSV (importable)")
    x.add_argument("table")
    x.add_argument("file")
    x.set_defaults(func=cmd_export)
    sub.add_parser(
        "indicators", help="escribir la tabla de indicadores (docs/indicators.md) a stdout"
    ).set_defaults(func=cmd_indicators)
    b = sub.add_parser("bench", help="medir la velocidad de cada página a una escala")
    b.add_argument("--scale", choices=["tiny", "demo", "national"], default="tiny")
    b.add_argument(
        "--database", default=None, help="URL; por omisión data/bench-<escala>.db (SQLite)"
    )
    b.add_argument("--results", default="results", help="carpeta de resultados (JSON y CSV)")
    b.add_argument("--repeat", type=int, default=3, help="sesiones tibias por vista (mediana)")
    b.add_argument("--seed", type=int, default=7, help="semilla si hay que sembrar")
    b.add_argument("--skip", default="", help="omitir fases: refresh,model,pages,import")
    b.add_argument("--pages", default="", help="sólo estas páginas (rutas: resumen,canales…)")
    b.set_defaults(func=cmd_bench)
    lt = sub.add_parser(
        "loadtest",
        add_help=False,
        help="prueba de carga con sesiones firmadas a través del proxy (opciones: --help)",
    )
    lt.add_argument("options", nargs=argparse.REMAINDER)
    lt.set_defaults(func=cmd_loadtest)
    u = sub.add_parser("user", help="crear o actualizar un usuario (rol y ámbito)")
    u.add_argument("username")
    u.add_argument(
        "--role",
        required=True,
        choices=["titular", "analista", "planeador", "oficina", "administrador"],
    )
    u.add_argument("--name", help="nombre para mostrar")
    u.add_argument("--email", help="correo (para el inicio de sesión institucional, OIDC)")
    u.add_argument("--ooad", type=int, help="OOAD del ámbito")
    u.add_argument("--subdelegacion", type=int, help="subdelegación del ámbito")
    u.add_argument("--identifiers", action="store_true", help="puede ver registros completos")
    u.add_argument("--inactive", action="store_true", help="dar de baja")
    pw = u.add_mutually_exclusive_group()
    pw.add_argument("--password-stdin", action="store_true", help="leer la contraseña de stdin")
    pw.add_argument("--ask-password", action="store_true", help="pedir la contraseña")
    u.set_defaults(func=cmd_user)
    args = parser.parse_args(argv)
    return args.func(args)
