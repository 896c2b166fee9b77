"""Interoperability probe: SQLAlchemy-Continuum 2.0.0 as the reference reader and writer.

swift-continuum writes history tables that SQLAlchemy-Continuum (the Python library it is
compatible with) must be able to read, and it must be able to read what Continuum writes. The
Swift tests run this script as a child process (``python continuum_interop.py ...``) with the
pinned packages of ``scripts/python-requirements.txt`` and parse its standard output.

It declares Continuum's seed models (``Article`` with tags, ``Tag``), versioned with the default
validity strategy and the ``TransactionChangesPlugin``, and offers two commands:

``seed --url URL [--schema SCHEMA]``
    ``metadata.create_all`` (article, tag, article_version, tag_version, transaction,
    transaction_changes), then runs the seed scenario through Continuum in five commits:
    (1) insert article "Some article"/"Some content" with tag "python"; (2) rename it to
    "Updated article"; (3) set the same name again (Continuum writes nothing); (4) delete the
    tag; (5) ``article.versions[0].revert()``. Prints ``{"ok": true}``.

``dump --url URL [--schema SCHEMA]``
    Reads the history with Continuum's own API only; creates and writes nothing. Columns that
    Continuum's models do not declare (swift-continuum's ``transaction.user_id`` and
    ``transaction.native_transaction_id``, ``*_mod`` flags on version tables, ...) are simply not
    mapped and therefore tolerated. Prints::

        {"entities": {
           "Article": [{
             "id": 1,
             "versions": [{            # Continuum's order: VersionCls.all_versions(desc=False)
               "transaction_id": 1, "end_transaction_id": 2, "operation_type": 0,
               "index": 0,             # version.index (Continuum counts rows of the whole table)
               "values": {"name": "Some article", "content": "Some content"},
               "changeset": {"name": [null, "Some article"], ...},   # version.changeset
               "previous_transaction_id": null,   # version.previous (query on end_transaction_id)
               "next_transaction_id": 2,          # version.next (query on end_transaction_id)
               "relations": {"tags": [1]}         # version.tags ids; Tag versions: {"article": 1}
             }, ...],
             "at": {                   # for every id of the transaction table:
               "1": {"transaction_id": 1, "operation_type": 0, "values": {...}},
               "3": ..., "9": null     # VersionCls.version_at(session, {"id": 1}, t); null = none;
             }                         # after a delete it is the DELETE version (operation_type 2)
           }],
           "Tag": [...]},
         "transactions": [{
           "id": 1, "issued_at": "2024-01-01T12:00:00.123456", "remote_addr": null,
           "entity_names": ["Article", "Tag"],            # transaction.entity_names
           "changed_entities": {"Article": [1], "Tag": [1]}  # transaction.changed_entities
         }, ...]}

    Entities are every primary key that appears in ``article_version`` / ``tag_version``
    (deleted entities included), in ascending order; transactions are in ascending id order.
    ``values`` are the data columns without the primary key. Keys of every JSON object are
    sorted. Values that JSON cannot represent (dates, decimals) are written with ``str()``.

``seed-m2m`` / ``dump-m2m --url URL [--schema SCHEMA]``
    Many-to-many: ``seed-m2m`` links article 1 to labels 1 and 2, unlinks 1, links it again
    (three commits, Continuum writing ``article_label_version`` without ``end_transaction_id``);
    ``dump-m2m`` prints ``{"versions": [{"transaction_id", "name", "labels": [ids]}]}`` for
    article 1, the label ids being what Continuum reads for each version.

``seed-activity`` / ``dump-activity --url URL [--schema SCHEMA]``
    The ActivityPlugin: ``seed-activity`` creates the tables and, through Continuum, inserts
    article "a" with the activity ``create`` (data ``{"n": 1}``), then renames it "b" with the
    activity ``update`` whose target is the article too (two commits, flushing before each
    activity as the plugin requires). ``dump-activity`` reads every activity through the
    plugin's model, in id order::

        {"activities": [{"id": 1, "verb": "create", "data": {"n": 1}, "transaction_id": 1,
           "object_type": "Article", "object_id": 1, "object_tx_id": 1,
           "object_version": {"transaction_id": 1, "name": "a"},   # activity.object_version
           "target_type": null, "target_id": null, "target_tx_id": null,
           "target_version": null}, ...]}

``URL`` is an SQLAlchemy URL, e.g. ``sqlite:////abs/path.sqlite`` or
``postgresql+psycopg2://postgres@127.0.0.1:55400/postgres``. ``--schema`` (PostgreSQL only)
sets every connection's ``search_path`` to that existing schema (the name is taken literally,
quoted as an identifier).

Exit status 0 with exactly one JSON document on stdout; on any error a message (and traceback)
goes to stderr and the exit status is non-zero (1 for runtime errors, 2 for usage errors).
"""

import argparse
import json
import sys
import traceback

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy_continuum import make_versioned, parent_class, version_class
from sqlalchemy_continuum import versioning_manager
from sqlalchemy_continuum.utils import is_internal_column
from sqlalchemy_continuum.plugins import ActivityPlugin, TransactionChangesPlugin

# --- Models: Continuum's seed models --------------------------------------------------------

activity_plugin = ActivityPlugin()
make_versioned(user_cls=None, plugins=[TransactionChangesPlugin(), activity_plugin])


class Base(sa.orm.DeclarativeBase):
    pass


# Continuum's many-to-many example: an association table (composite key, no model), versioned
# by Continuum because both sides are.
article_label = sa.Table(
    'article_label', Base.metadata,
    sa.Column('article_id', sa.Integer, sa.ForeignKey('article.id'), primary_key=True),
    sa.Column('label_id', sa.Integer, sa.ForeignKey('label.id'), primary_key=True),
)


class Article(Base):
    __tablename__ = 'article'
    __versioned__ = {}

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    name = sa.Column(sa.String(255))
    content = sa.Column(sa.Text)
    labels = sa.orm.relationship('Label', secondary=article_label)


class Label(Base):
    __tablename__ = 'label'
    __versioned__ = {}

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    name = sa.Column(sa.String(255))


class Tag(Base):
    __tablename__ = 'tag'
    __versioned__ = {}

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    name = sa.Column(sa.String(255))
    article_id = sa.Column(sa.Integer, sa.ForeignKey('article.id', ondelete='CASCADE'))
    article = sa.orm.relationship(Article, backref='tags')


sa.orm.configure_mappers()

Transaction = versioning_manager.transaction_cls
Activity = activity_plugin.activity_cls

# Parent models in output order, with the relationship of their version class to report.
MODELS = [(Article, 'tags'), (Tag, 'article')]


# --- Connection --------------------------------------------------------------------------------

def make_engine(url, schema):
    """Create the engine; with ``schema`` every PostgreSQL connection uses it as search_path."""
    connect_args = {}
    if schema is not None:
        quoted = '"' + schema.replace('"', '""') + '"'
        # libpq splits "options" on spaces; a backslash escapes a space or a backslash.
        quoted = quoted.replace('\\', '\\\\').replace(' ', '\\ ')
        connect_args['options'] = f'-csearch_path={quoted}'
    return sa.create_engine(url, connect_args=connect_args)


# --- seed --------------------------------------------------------------------------------------

def seed(engine):
    """Create Continuum's tables and run the seed scenario through Continuum, five commits."""
    Base.metadata.create_all(engine)
    with sa.orm.Session(engine) as session:
        # (1) insert an article with one tag
        article = Article(name='Some article', content='Some content')
        tag = Tag(name='python', article=article)
        session.add_all([article, tag])
        session.commit()

        # (2) rename the article
        article.name = 'Updated article'
        session.commit()

        # (3) set the same name again: no net change, Continuum writes no transaction
        article.name = 'Updated article'
        session.commit()

        # (4) delete the tag
        session.delete(tag)
        session.commit()

        # (5) revert the article to its first version (a new UPDATE version)
        article.versions[0].revert()
        session.commit()
    return {'ok': True}


def seed_m2m(engine):
    """Many-to-many through Continuum, three commits: (1) article "a" with labels "x" (id 1)
    and "y" (id 2); (2) "x" unlinked; (3) "x" linked again, the article renamed "a3"."""
    Base.metadata.create_all(engine)
    with sa.orm.Session(engine) as session:
        x, y = Label(name='x'), Label(name='y')
        article = Article(name='a', labels=[x, y])
        session.add(article)
        session.commit()
        article.labels.remove(x)
        article.name = 'a2'
        session.commit()
        article.labels.append(x)
        article.name = 'a3'
        session.commit()
    return {'ok': True}


def dump_m2m(engine):
    """Each version of article 1 with the label ids Continuum reads for it (its association
    history at the version's transaction)."""
    with sa.orm.Session(engine) as session:
        version_cls = version_class(Article)
        versions = version_cls.all_versions(session, {'id': 1}, desc=False, link=False)
        result = {'versions': [
            {'transaction_id': v.transaction_id, 'name': v.name, 'labels': sorted(label.id for label in v.labels)}
            for v in versions
        ]}
        session.rollback()
    return result


def seed_activity(engine):
    """The ActivityPlugin's own example, two commits: create article "a", rename it "b"."""
    Base.metadata.create_all(engine)
    with sa.orm.Session(engine) as session:
        article = Article(name='a')
        session.add(article)
        session.flush()  # the plugin needs the object's version before the activity
        session.add(Activity(verb='create', object=article, data={'n': 1}))
        session.commit()
        article.name = 'b'
        session.flush()
        session.add(Activity(verb='update', object=article, target=article))
        session.commit()
    return {'ok': True}


def version_of(version):
    return None if version is None else {'transaction_id': version.transaction_id, 'name': version.name}


def dump_activity(engine):
    """Every activity, read through the ActivityPlugin's model, with its versions."""
    with sa.orm.Session(engine) as session:
        activities = session.scalars(sa.select(Activity).order_by(Activity.id)).all()
        result = {'activities': [
            {
                'id': a.id, 'verb': a.verb, 'data': a.data, 'transaction_id': a.transaction_id,
                'object_type': a.object_type, 'object_id': a.object_id, 'object_tx_id': a.object_tx_id,
                # The plugin's *_version_type fails on a NULL type: read only the entities present.
                'object_version': version_of(a.object_version) if a.object_type else None,
                'target_type': a.target_type, 'target_id': a.target_id, 'target_tx_id': a.target_tx_id,
                'target_version': version_of(a.target_version) if a.target_type else None,
            }
            for a in activities
        ]}
        session.rollback()
    return result


# --- dump --------------------------------------------------------------------------------------

def data_keys(version_cls):
    """Data columns of a version class: its mapped columns minus Continuum's internal ones
    (``is_internal_column``, as ``version.changeset`` uses) and the primary key, which identifies
    the entity and is reported separately."""
    primary_key = {column.key for column in sa.inspect(parent_class(version_cls)).primary_key}
    return [
        key for key in sa.inspect(version_cls).columns.keys()
        if not is_internal_column(version_cls, key) and key not in primary_key
    ]


def values_of(version, keys):
    return {key: getattr(version, key) for key in keys}


def relation_of(version, relation):
    """Ids of the version's relationship as Continuum reflects it at the version's transaction."""
    related = getattr(version, relation)
    if related is None:
        return None
    if isinstance(related, Base):  # many-to-one: one version object
        return related.id
    return sorted(item.id for item in related)  # one-to-many: a collection of versions


def dump_entity(session, version_cls, relation, entity_id, transaction_ids):
    keys = data_keys(version_cls)
    pk = {'id': entity_id}
    # link=False: .previous/.next/.changeset then use Continuum's own queries on the validity
    # columns (end_transaction_id), not a cache built from the ordered list.
    versions = version_cls.all_versions(session, pk, desc=False, link=False)
    out_versions = []
    for version in versions:
        previous = version.previous
        following = version.next
        out_versions.append({
            'transaction_id': version.transaction_id,
            'end_transaction_id': version.end_transaction_id,
            'operation_type': version.operation_type,
            'index': version.index,
            'values': values_of(version, keys),
            'changeset': version.changeset,
            'previous_transaction_id': previous.transaction_id if previous else None,
            'next_transaction_id': following.transaction_id if following else None,
            'relations': {relation: relation_of(version, relation)},
        })
    # Point in time: Continuum 2.0.0's VersionClassBase.version_at, which for the validity
    # strategy selects transaction_id <= t AND (end_transaction_id > t OR IS NULL).
    at = {}
    for tx_id in transaction_ids:
        version = version_cls.version_at(session, pk, tx_id)
        at[str(tx_id)] = None if version is None else {
            'transaction_id': version.transaction_id,
            'operation_type': version.operation_type,
            'values': values_of(version, keys),
        }
    return {'id': entity_id, 'versions': out_versions, 'at': at}


def dump_transaction(transaction):
    changed = {}
    for version_cls, versions in transaction.changed_entities.items():
        changed[parent_class(version_cls).__name__] = sorted(v.id for v in versions)
    issued_at = transaction.issued_at
    return {
        'id': transaction.id,
        'issued_at': issued_at.isoformat() if issued_at is not None else None,
        'remote_addr': transaction.remote_addr,
        'entity_names': sorted(transaction.entity_names),
        'changed_entities': changed,
    }


def dump(engine):
    """Read every entity's history and every transaction through Continuum's API."""
    with sa.orm.Session(engine) as session:
        transactions = session.scalars(sa.select(Transaction).order_by(Transaction.id)).all()
        transaction_ids = [t.id for t in transactions]
        entities = {}
        for model, relation in MODELS:
            version_cls = version_class(model)
            ids = session.scalars(
                sa.select(version_cls.id).distinct().order_by(version_cls.id)
            ).all()
            entities[model.__name__] = [
                dump_entity(session, version_cls, relation, entity_id, transaction_ids)
                for entity_id in ids
            ]
        result = {
            'entities': entities,
            'transactions': [dump_transaction(t) for t in transactions],
        }
        session.rollback()
    return result


# --- CLI ---------------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('command', choices=['seed', 'dump', 'seed-m2m', 'dump-m2m', 'seed-activity', 'dump-activity'])
    parser.add_argument('--url', required=True, help='SQLAlchemy database URL')
    parser.add_argument('--schema', help='PostgreSQL schema used as search_path')
    args = parser.parse_args(argv)
    try:
        backend = sa.engine.make_url(args.url).get_backend_name()
    except sa.exc.ArgumentError as error:
        parser.error(f'--url: {error}')
    if args.schema is not None and backend != 'postgresql':
        parser.error('--schema is only supported with PostgreSQL URLs')

    try:
        engine = make_engine(args.url, args.schema)
        try:
            commands = {
                'seed': seed, 'dump': dump, 'seed-m2m': seed_m2m, 'dump-m2m': dump_m2m,
                'seed-activity': seed_activity, 'dump-activity': dump_activity,
            }
            result = commands[args.command](engine)
        finally:
            engine.dispose()
        text = json.dumps(result, sort_keys=True, default=str)
    except Exception as error:  # report anything on stderr, nothing on stdout
        traceback.print_exc(file=sys.stderr)
        print(f'error: {type(error).__name__}: {error}', file=sys.stderr)
        return 1
    sys.stdout.write(text + '\n')
    sys.stdout.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main())
