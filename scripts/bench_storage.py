"""What history costs in bytes, for scripts/bench-storage.sh (BENCHMARKS.md, "Storage").

Part 1, the benchmark workload (shared/design/PERFORMANCE.md) on SQLite and PostgreSQL, each
variant on a fresh database, alternating over rounds, medians:
  * swift-continuum's defaults (Fluent worker of Benchmarks/),
  * swift-continuum with SQLAlchemy-Continuum's four other indexes
    (VersioningConfiguration.createsContinuumIndexes),
  * SQLAlchemy-Continuum 2.0.0 (Benchmarks/continuum/bench_continuum.py).
After the workload the database is compacted (VACUUM, VACUUM FULL) and every table is measured
with its indexes (and TOAST): SQLite dbstat, PostgreSQL pg_total_relation_size.

Part 2, PostgreSQL TOAST compression, pglz (the default) against lz4: 2,000 documents of about
1,200 words (about 9.6 KB each), five rounds of updates that leave the body alone, one that
edits it; versioned by the command line's `init` and `enable`. The database's
default_toast_compression decides the method: PostgreSQL copies an already compressed value
into the version row as it is, so the live table's method is history's method.

Prints Markdown tables on stdout; progress on stderr.
"""

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

import psycopg2

VARIANTS = [
    ("swift-continuum (defaults)", "fluent-versioned", {}),
    ("swift-continuum + Continuum's 4 other indexes", "fluent-versioned", {"CONTINUUM_BENCH_CONTINUUM_INDEXES": "1"}),
    ("SQLAlchemy-Continuum 2.0.0", "continuum", {}),
]
VERSION_TABLES = ("article_version", "tag_version")
TRANSACTION_TABLES = ("transaction", "transaction_changes", "transaction_meta")


def log(message):
    print("bench-storage: " + message, file=sys.stderr, flush=True)


def pg_url(args, database):
    return f"postgresql://postgres@127.0.0.1:{args.pg_port}/{database}"


def pg_admin(args, *statements):
    connection = psycopg2.connect(pg_url(args, "postgres"))
    connection.autocommit = True
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    connection.close()


def run_worker(args, config, environment, backend, location):
    if config == "continuum":
        command = [args.python, args.python_script, "--config", "continuum", "--backend", backend]
    else:
        command = [args.bench, "worker", "--config", config, "--backend", backend]
    command += ["--n", str(args.n), "--seed", "1"]
    if backend == "sqlite":
        command += ["--sqlite-path", location]
    else:
        command += ["--pg-url", location.replace("postgresql://", "postgresql+psycopg2://") if config == "continuum" else location]
    result = subprocess.run(command, env={**os.environ, **environment}, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"bench-storage: {' '.join(command)} failed:\n{result.stderr}")
    return json.loads(result.stdout)


def sizes_sqlite(path):
    connection = sqlite3.connect(path)
    connection.execute("VACUUM")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    rows = connection.execute(
        "SELECT m.tbl_name, SUM(d.pgsize) FROM dbstat AS d JOIN sqlite_master AS m ON m.name = d.name GROUP BY m.tbl_name"
    ).fetchall()
    counts = {table: connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in VERSION_TABLES}
    connection.close()
    return dict(rows), counts


def sizes_pg(url):
    connection = psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM FULL")
        cursor.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r'"
        )
        sizes = dict(cursor.fetchall())
        counts = {}
        for table in VERSION_TABLES:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    connection.close()
    return sizes, counts


def part_one(args, backend):
    measured = {name: [] for name, _, _ in VARIANTS}
    for round_number in range(1, args.rounds + 1):
        order = VARIANTS if round_number % 2 == 1 else list(reversed(VARIANTS))
        for name, config, environment in order:
            if backend == "sqlite":
                folder = tempfile.mkdtemp(prefix="bench-storage-")
                location = os.path.join(folder, "bench.sqlite")
                result = run_worker(args, config, environment, backend, location)
                sizes, counts = sizes_sqlite(location)
            else:
                pg_admin(args, 'DROP DATABASE IF EXISTS "bench_storage" WITH (FORCE)', 'CREATE DATABASE "bench_storage"')
                location = pg_url(args, "bench_storage")
                result = run_worker(args, config, environment, backend, location)
                sizes, counts = sizes_pg(location)
            versions = sum(counts.values())
            version_bytes = sum(sizes.get(table, 0) for table in VERSION_TABLES)
            transaction_bytes = sum(sizes.get(table, 0) for table in TRANSACTION_TABLES)
            engine_bytes = sum(size for table, size in sizes.items() if table.startswith("_continuum"))
            live_bytes = sizes.get("article", 0) + sizes.get("tag", 0)
            phases = result["phases"]
            measured[name].append(
                {
                    "versions": versions,
                    "version_bytes": version_bytes,
                    "transaction_bytes": transaction_bytes,
                    "engine_bytes": engine_bytes,
                    "live_bytes": live_bytes,
                    "insert": phases["insert"]["ops"] / phases["insert"]["seconds"],
                    "update": phases["update"]["ops"] / phases["update"]["seconds"],
                    "read": phases["read"]["ops"] / phases["read"]["seconds"],
                }
            )
            log(f"{backend} round {round_number} {name}: {versions} versions, {version_bytes} version bytes")
    return measured


def median(runs, key):
    return statistics.median(run[key] for run in runs)


def print_part_one(backend, measured):
    reference = measured["SQLAlchemy-Continuum 2.0.0"]
    reference_total = median(reference, "version_bytes") + median(reference, "transaction_bytes")
    print(f"\n#### {backend}\n")
    print("| variant | version rows | version tables (with indexes) | bytes per version row | transaction tables | "
          "history bytes per version (all) | history ÷ Continuum's | insert ops/s | update ops/s | read ops/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, _, _ in VARIANTS:
        runs = measured[name]
        versions = median(runs, "versions")
        version_bytes = median(runs, "version_bytes")
        transaction_bytes = median(runs, "transaction_bytes")
        total = version_bytes + transaction_bytes + median(runs, "engine_bytes")
        print(
            f"| {name} | {versions:,.0f} | {version_bytes / 1024:,.0f} KiB | {version_bytes / versions:,.0f} | "
            f"{transaction_bytes / 1024:,.0f} KiB | {total / versions:,.0f} | {total / reference_total:.2f} | "
            f"{median(runs, 'insert'):,.0f} | {median(runs, 'update'):,.0f} | {median(runs, 'read'):,.0f} |"
        )


TOAST_SCRIPT = """
DO $$ BEGIN FOR b IN 0..19 LOOP
  INSERT INTO doc (title, views, body) SELECT 't' || i, 0,
    (SELECT string_agg((string_to_array('{vocabulary}', ' '))[1 + floor(random() * 32)::int], ' ') FROM generate_series(1, {words}) AS g WHERE i > 0)
  FROM generate_series(b * 100 + 1, b * 100 + 100) AS i;
  COMMIT; END LOOP; END $$
"""
VOCABULARY = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna "
    "aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex commodo"
)


def part_two_once(args, method):
    database = f"bench_toast_{method}"
    pg_admin(args, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', f'CREATE DATABASE "{database}"',
             f"ALTER DATABASE \"{database}\" SET default_toast_compression = '{method}'")
    connection = psycopg2.connect(pg_url(args, database))
    connection.autocommit = True
    cursor = connection.cursor()
    cursor.execute("CREATE TABLE doc (id SERIAL PRIMARY KEY, title TEXT, views INTEGER, body TEXT)")
    url = f"postgres://postgres@127.0.0.1:{args.pg_port}/{database}?sslmode=disable"
    for command in (["init"], ["enable", "doc"]):
        subprocess.run([args.cli, "--database", url, *command], check=True, capture_output=True)

    def timed(statement):
        start = time.perf_counter()
        cursor.execute(statement)
        return time.perf_counter() - start

    result = {"insert": timed(TOAST_SCRIPT.format(vocabulary=VOCABULARY, words=1200))}
    result["update (body unchanged), 5 rounds"] = timed(
        "DO $$ BEGIN FOR r IN 1..5 LOOP FOR b IN 0..19 LOOP UPDATE doc SET title = title || 'x', views = views + 1 "
        "WHERE id > b * 100 AND id <= b * 100 + 100; COMMIT; END LOOP; END LOOP; END $$")
    result["update (body edited)"] = timed(
        "DO $$ BEGIN FOR b IN 0..19 LOOP UPDATE doc SET body = body || ' edited' WHERE id > b * 100 AND id <= b * 100 + 100; "
        "COMMIT; END LOOP; END $$")
    cursor.execute("SELECT pg_column_compression(body), COUNT(*) FROM doc_version GROUP BY 1 ORDER BY 2 DESC LIMIT 1")
    result["method"] = cursor.fetchone()[0]
    timed("SELECT SUM(length(body)) FROM doc_version")  # warm the cache
    result["read every version's body"] = timed("SELECT SUM(length(body)) FROM doc_version")
    result["read 500 documents' histories"] = timed(
        "SELECT SUM(length(body)) FROM (SELECT body FROM doc_version WHERE id = ANY (ARRAY(SELECT 1 + (i * 7919) % 2000 "
        "FROM generate_series(1, 500) AS i)) ORDER BY id, transaction_id) AS s")
    cursor.execute("VACUUM FULL")
    cursor.execute("SELECT pg_total_relation_size('doc'), pg_total_relation_size('doc_version'), (SELECT COUNT(*) FROM doc_version)")
    live, history, versions = cursor.fetchone()
    result.update({"live bytes": live, "version bytes": history, "versions": versions})
    connection.close()
    pg_admin(args, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return result


def part_two(args):
    methods = ["pglz", "lz4"]
    measured = {method: [] for method in methods}
    for round_number in range(1, args.rounds + 1):
        for method in methods if round_number % 2 == 1 else reversed(methods):
            measured[method].append(part_two_once(args, method))
            log(f"toast round {round_number} {method}: {measured[method][-1]['version bytes']} version bytes")
    print("\n#### PostgreSQL TOAST compression (2,000 documents of about 9.6 KB, 14,000 versions)\n")
    print("| method | stored as | live table | version table | bytes per version | insert s | update (body unchanged, 5 rounds) s | "
          "update (body edited) s | read every version's body s | read 500 histories s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for method in methods:
        runs = measured[method]
        print(
            f"| {method} | {runs[0]['method']} | {median(runs, 'live bytes') / 1048576:.1f} MiB | "
            f"{median(runs, 'version bytes') / 1048576:.1f} MiB | {median(runs, 'version bytes') / median(runs, 'versions'):,.0f} | "
            f"{median(runs, 'insert'):.2f} | {median(runs, 'update (body unchanged), 5 rounds'):.2f} | {median(runs, 'update (body edited)'):.2f} | "
            f"{median(runs, 'read every version' + chr(39) + 's body'):.3f} | {median(runs, 'read 500 documents' + chr(39) + ' histories'):.3f} |"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", required=True, help="continuum-bench binary (release)")
    parser.add_argument("--cli", required=True, help="continuum command line binary")
    parser.add_argument("--python", required=True, help="Python with SQLAlchemy-Continuum 2.0.0")
    parser.add_argument("--python-script", required=True, help="Benchmarks/continuum/bench_continuum.py")
    parser.add_argument("--pg-port", required=True, type=int)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"N = {args.n} articles, {args.rounds} rounds, medians; sizes after VACUUM (FULL), indexes and TOAST included.")
    for backend in ("sqlite", "postgres"):
        print_part_one("SQLite (WAL)" if backend == "sqlite" else "PostgreSQL 15", part_one(args, backend))
    part_two(args)


if __name__ == "__main__":
    main()
