"""SQLAlchemy / SQLAlchemy-Continuum benchmark worker for swift-continuum.

Protocol
--------
A Swift orchestrator starts this script once per (configuration, backend,
round) as a child process, on a fresh, empty database, and reads exactly one
JSON object from its stdout. Nothing else is printed to stdout; diagnostics go
to stderr, and any error ends the process with a non-zero exit status and a
message on stderr.

    python bench_continuum.py --config sqlalchemy|continuum
        --backend sqlite|postgres --n N --seed S
        [--sqlite-path PATH] [--pg-url URL] [--plugins changes|none]

Configurations
--------------
* ``sqlalchemy``: plain SQLAlchemy ORM, no versioning.
* ``continuum``: the same models with ``__versioned__ = {}`` under
  SQLAlchemy-Continuum, with the TransactionChangesPlugin by default (the Swift
  library always writes transaction_changes); ``--plugins none`` drops it.

Workload (see shared/design/PERFORMANCE.md)
-------------------------------------------
Models ``Article(id, title, body, status, views)`` and
``Tag(id, article_id -> article.id, name)``. One op is one article; write
phases commit every 100 ops (one transaction per batch). Phases, each timed
with ``time.perf_counter``:

1. insert: N articles, each with one tag.
2. update: every article gets a new title and ``views + 1``.
3. noop:   2000 Core UPDATEs that set ``status`` to its current value.
4. delete: the last 1000 articles, with their tags (ORM cascade).
5. read:   1000 random articles; versioned: the full version list and the
           changeset of the last version; unversioned: the article's tags.
6. revert: 500 random articles back to their first (insert-time) state.

All random data comes from one SplitMix64 generator seeded with ``--seed``
and drawn in a fixed order (insert bodies, then read ids, then revert ids), so
that the Swift side produces byte-identical data. Everything is drawn before
the first phase starts, so no phase times the generator.
"""

import argparse
import json
import os
import resource
import sys
import time
from importlib.metadata import version as package_version

import sqlalchemy as sa
from sqlalchemy import ForeignKey, Integer, String, Text, event, func, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

BATCH = 100  # ops per write transaction
NOOP_OPS = 2000  # no-op updates on ids 1...2000
DELETE_OPS = 1000  # the last 1000 ids are deleted
READ_OPS = 1000
REVERT_OPS = 500

MASK64 = (1 << 64) - 1

VOCAB = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod "
    "tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam "
    "quis nostrud exercitation ullamco laboris nisi aliquip ex commodo"
).split()
assert len(VOCAB) == 32


class SplitMix64:
    """SplitMix64 PRNG over unsigned 64-bit integers (same as the Swift side)."""

    def __init__(self, seed: int):
        self.state = seed & MASK64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


def generate_data(n: int, seed: int):
    """Draw all random data in the protocol's order.

    Returns (bodies, read_ids, revert_ids); ``bodies[k]`` is article k's body
    (index 0 unused, so that article k, which gets id k, maps to bodies[k]).
    """
    rng = SplitMix64(seed)
    bodies = [""]
    for _ in range(n):
        count = 40 + rng.next() % 51
        bodies.append(" ".join(VOCAB[rng.next() % 32] for _ in range(count)))
    # Ids in 1...N-1000: articles that survive the delete phase.
    read_ids = [1 + rng.next() % (n - DELETE_OPS) for _ in range(READ_OPS)]
    revert_ids = [1 + rng.next() % (n - DELETE_OPS) for _ in range(REVERT_OPS)]
    return bodies, read_ids, revert_ids


def define_models(versioned: bool):
    """Declare Article and Tag, versioned by Continuum when ``versioned``.

    For Continuum, make_versioned() must have been called before this.
    """

    class Base(DeclarativeBase):
        pass

    class Article(Base):
        __tablename__ = "article"
        if versioned:
            __versioned__ = {}

        id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
        title: Mapped[str] = mapped_column(String(200), nullable=True)
        body: Mapped[str] = mapped_column(Text, nullable=True)
        status: Mapped[str] = mapped_column(String(20), nullable=True)
        views: Mapped[int] = mapped_column(Integer, nullable=True)
        tags: Mapped[list["Tag"]] = relationship(
            back_populates="article", cascade="all, delete-orphan"
        )

    class Tag(Base):
        __tablename__ = "tag"
        if versioned:
            __versioned__ = {}

        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        # Indexed (ix_tag_article_id), as on the Swift side: the cascade's
        # lazy load of an article's tags and SQLite's foreign-key check on
        # DELETE FROM article would otherwise scan the whole tag table.
        article_id: Mapped[int] = mapped_column(
            Integer, ForeignKey("article.id"), nullable=False, index=True
        )
        name: Mapped[str] = mapped_column(String(50), nullable=True)
        article: Mapped[Article] = relationship(back_populates="tags")

    return Base, Article, Tag


def make_engine(args) -> sa.Engine:
    if args.backend == "sqlite":
        if os.path.exists(args.sqlite_path):
            raise RuntimeError(f"SQLite database {args.sqlite_path} already exists; expected a fresh path")
        engine = sa.create_engine(f"sqlite:///{args.sqlite_path}")

        @event.listens_for(engine, "connect")
        def set_sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            mode = cursor.fetchone()[0]
            if mode.lower() != "wal":
                raise RuntimeError(f"could not enable WAL (journal_mode={mode})")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return sa.create_engine(args.pg_url)


def batches(ids, size=BATCH):
    """Split a list of ids into consecutive batches of ``size``."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def timed(phases: dict, name: str, ops: int, work) -> None:
    """Run ``work()`` and record its wall time under ``phases[name]``."""
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    phases[name] = {"ops": ops, "seconds": round(seconds, 6)}
    print(f"{name}: {ops} ops in {seconds:.3f} s ({ops / seconds:.0f} ops/s)", file=sys.stderr)


def run_workload(session: Session, Article, Tag, versioned: bool, n: int, bodies, read_ids, revert_ids) -> dict:
    phases = {}

    def insert_phase():
        for batch in batches(list(range(1, n + 1))):
            for k in batch:
                article = Article(title=f"Article {k}", body=bodies[k], status="draft", views=0)
                tag = Tag(name=f"tag{k % 20}", article=article)
                session.add(article)
                session.add(tag)
            session.commit()

    def update_phase():
        for batch in batches(list(range(1, n + 1))):
            articles = session.scalars(select(Article).where(Article.id.in_(batch))).all()
            if len(articles) != len(batch):
                raise RuntimeError(f"update: loaded {len(articles)} of {len(batch)} articles")
            for article in articles:
                article.title = f"Article {article.id} v2"
                article.views = article.views + 1
            session.commit()

    def noop_phase():
        # A Core-style statement: it reaches the database but changes nothing.
        # (Setting an ORM attribute to its current value would be skipped by
        # the unit of work, so nothing would be measured.)
        for batch in batches(list(range(1, NOOP_OPS + 1))):
            for i in batch:
                session.execute(update(Article).where(Article.id == i).values(status="draft"))
            session.commit()

    def delete_phase():
        for batch in batches(list(range(n - DELETE_OPS + 1, n + 1))):
            for i in batch:
                article = session.get(Article, i)
                if article is None:
                    raise RuntimeError(f"delete: article {i} not found")
                session.delete(article)  # cascades to its tag
            session.commit()

    def read_phase():
        for i in read_ids:
            article = session.execute(select(Article).where(Article.id == i)).scalar_one()
            if versioned:
                versions = article.versions.all()  # full history, in transaction order
                _ = versions[-1].changeset  # forces its evaluation (and its queries)
            else:
                list(article.tags)  # a relation read, the unversioned stand-in
            # Empty the identity map so the next op loads everything anew.
            session.expunge_all()
        session.commit()

    def revert_phase():
        for batch in batches(revert_ids):
            for i in batch:
                article = session.get(Article, i)
                if article is None:
                    raise RuntimeError(f"revert: article {i} not found")
                if versioned:
                    article.versions[0].revert()  # the first version: the insert
                else:
                    article.title = f"Article {i}"
                    article.body = bodies[i]
                    article.status = "draft"
                    article.views = 0
            session.commit()

    timed(phases, "insert", n, insert_phase)
    timed(phases, "update", n, update_phase)
    timed(phases, "noop", NOOP_OPS, noop_phase)
    timed(phases, "delete", DELETE_OPS, delete_phase)
    timed(phases, "read", READ_OPS, read_phase)
    timed(phases, "revert", REVERT_OPS, revert_phase)
    return phases


def count_rows(engine: sa.Engine) -> dict:
    """Row counts of the workload's tables that exist in this configuration."""
    inspector = sa.inspect(engine)
    rows = {}
    with engine.connect() as conn:
        for name in ("article", "tag", "article_version", "tag_version", "transaction", "transaction_changes"):
            if inspector.has_table(name):
                rows[name] = conn.scalar(select(func.count()).select_from(sa.table(name)))
    return rows


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", choices=("sqlalchemy", "continuum"), required=True)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--n", type=int, required=True, help="number of articles (> 1000; the Swift side requires >= 2000 so that all no-op ids exist)")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--sqlite-path", help="path of the SQLite file to create (sqlite backend)")
    parser.add_argument("--pg-url", help="SQLAlchemy URL of an empty PostgreSQL database (postgres backend)")
    parser.add_argument("--plugins", choices=("changes", "none"), default="changes")
    args = parser.parse_args(argv)
    if args.n <= DELETE_OPS:
        parser.error(f"--n must be greater than {DELETE_OPS}")
    if not 0 <= args.seed <= MASK64:
        parser.error("--seed must be an unsigned 64-bit integer")
    if args.backend == "sqlite" and not args.sqlite_path:
        parser.error("--sqlite-path is required for --backend sqlite")
    if args.backend == "postgres" and not args.pg_url:
        parser.error("--pg-url is required for --backend postgres")
    return args


def main(argv) -> None:
    args = parse_args(argv)
    versioned = args.config == "continuum"

    if versioned:
        # Continuum must be set up before the models are declared.
        from sqlalchemy_continuum import make_versioned
        from sqlalchemy_continuum.plugins import TransactionChangesPlugin

        plugins = [TransactionChangesPlugin()] if args.plugins == "changes" else []
        make_versioned(user_cls=None, plugins=plugins)

    Base, Article, Tag = define_models(versioned)
    sa.orm.configure_mappers()  # builds Continuum's version classes and tables

    bodies, read_ids, revert_ids = generate_data(args.n, args.seed)

    engine = make_engine(args)
    try:
        # checkfirst=False: fail on a database that is not empty.
        Base.metadata.create_all(engine, checkfirst=False)
        with Session(engine) as session:
            phases = run_workload(session, Article, Tag, versioned, args.n, bodies, read_ids, revert_ids)
        rows = count_rows(engine)
    finally:
        engine.dispose()

    result = {
        "stack": "python",
        "config": args.config,
        "backend": args.backend,
        "n": args.n,
        "seed": args.seed,
        "phases": phases,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,  # KiB on Linux
        "rows": rows,
        "versions": {
            "sqlalchemy": sa.__version__,
            "continuum": package_version("SQLAlchemy-Continuum"),
        },
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Exception as error:  # report any failure on stderr with a non-zero exit
        import traceback

        traceback.print_exc(file=sys.stderr)
        print(f"bench_continuum: error: {error}", file=sys.stderr)
        sys.exit(1)
