# Independent check of swift-continuum's seal (the canonical encoding of the "Sealing History"
# article): recomputes every sealed transaction's entry and the chain. Usage:
#   python seal_verify.py DATABASE.sqlite | postgresql://USER@HOST/DB [SCHEMA]  ->  "ok <head digest>" or "changed <first transaction id>"
import hashlib, sqlite3, sys
ident = lambda n: '"' + n.replace('"', '""') + '"'  # an SQL identifier, quoted
if sys.argv[1].startswith("postgres"):  # psycopg2; the literals under the seal's settings
    import psycopg2; cursor = psycopg2.connect(sys.argv[1]).cursor(); q = lambda sql, *a: (cursor.execute(sql, a or None), cursor.fetchall())[1]
    cursor.execute("SET search_path = %s; SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; "
                   "SET extra_float_digits = 1; SET bytea_output = 'hex'", [sys.argv[2] if len(sys.argv) > 2 else "public"])
    quote = lambda n: f'quote_nullable(CAST({ident(n)} AS TEXT))'
    tables = "SELECT CAST(relname AS TEXT) FROM pg_class WHERE relnamespace = CAST(current_schema() AS regnamespace)"
    columns = lambda t: q(f"""SELECT a.attname, COALESCE((SELECT k.n FROM pg_index i, unnest(i.indkey) WITH ORDINALITY k(a, n) WHERE i.indrelid
        = a.attrelid AND i.indisprimary AND k.a = a.attnum), 0) FROM pg_attribute a WHERE a.attrelid = CAST(%s AS regclass) AND a.attnum > 0 AND NOT a.attisdropped""", ident(t))
else:
    db = sqlite3.connect(sys.argv[1]); q = lambda sql, *a: db.execute(sql, a).fetchall()
    tables = "SELECT name FROM sqlite_master"; quote = lambda n: f'quote({ident(n)})'; columns = lambda t: [(c[1], c[5]) for c in q('SELECT * FROM pragma_table_info(?)', t)]
number = lambda literal: int(str(literal).strip("'"))
H = lambda *parts: hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()
seals = q('SELECT transaction_id, entry_digest, chain_digest, salt FROM _continuum_seal ORDER BY transaction_id')
salt = {s[0]: s[3] for s in seals}
patches = sorted(p for p in q('SELECT * FROM _continuum_seal_patch') if p[0] in salt)  # by event: the latest stands
fixed = {p[1:5]: p[5:] for p in patches if p[4]}  # (tx, table, key, field) -> (digest it had, value it must hold)
S = lambda tx, n, v: H(salt[tx], n, v) if salt.get(tx) else H(n, v)  # a version row's field
holds = lambda k, n, v: fixed[k][1] == ("=" + S(k[0], n, v) if fixed[k][1][:1] == "=" else v)  # "=": a check under the salt
field = lambda k, n, v: (fixed[k][0] if holds(k, n, v) else "changed") if k in fixed else S(k[0], n, v)
parts = {}
add = lambda tx, part, d: parts.setdefault(number(tx), {"transaction": [], "meta": [], "versions": [], "patches": []})[part].append(d)
def table(name):  # column names (without end_transaction_id), key columns, rows of literals
    info = columns(name); names = [c[0] for c in info if c[0] != "end_transaction_id"]
    keys = [c[0] for c in sorted(info, key=lambda c: c[1]) if c[1] and c[0] != "transaction_id"]
    return names, keys, q("SELECT " + ", ".join(quote(n) for n in names) + ' FROM ' + ident(name))
names, _, rows = table("transaction")
for r in rows: [add(r[names.index("id")], "transaction", H(n, v)) for n, v in zip(names, r)]
for tx, k, v in q(f'SELECT transaction_id, "key", {quote("value")} FROM transaction_meta'): add(tx, "meta", H(k, v))
# Every version table the seal read (a table disabled since included); a column first sealed
# after a transaction ("since"), or not yet, is left out of that transaction's rows while absent.
since = {(t, c): (number(s), p) for t, c, s, p in q("SELECT version_table, column_name, since_transaction_id, sealed_name FROM _continuum_seal_column")}
def sealed(vt, n, tx, seen=()):  # the name column n had when tx was sealed (renamed since: "sealed_name"); None: it had none
    s, p = since.get((vt, n), (tx + 1, None))  # a name seen before: renamed back, p is the name before the cycle
    return n if tx >= s else p and (sealed(vt, p, tx, seen + (n,)) if (vt, p) in since and p not in seen + (n,) else p)
absent = lambda n, v: v == "NULL" or (n.endswith("_mod") and v in ("0", "'false'"))  # NULL, or a false _mod flag
for (vt,) in q(f"SELECT version_table FROM _continuum_tables UNION SELECT version_table FROM _continuum_seal_column WHERE version_table IN ({tables})"):
    names, keys, rows = table(vt)
    for r in rows:
        f = dict(zip(names, r)); tx = number(f["transaction_id"]); key = ",".join(f[k] for k in keys)
        kept = [(sealed(vt, n, tx) or n, v) for n, v in f.items() if sealed(vt, n, tx) or not absent(n, v)]
        add(tx, "versions", H("row", vt, *sorted(field((tx, vt, key, n), n, v) for n, v in kept)))
for p in patches:
    if p[2] and not p[4]: add(p[1], "versions", p[5])  # a pruned version row: its recorded digest
    add(p[0], "patches", H("patch", *p[1:]))
pruned = {p[1]: p[5] for p in patches if not p[2] and not p[4]}  # a pruned transaction: its entry
chain, changed = "0" * 64, []
for tx, entry, stored, _ in seals:
    s = parts.get(tx)
    mine = pruned.get(tx) if not (s and s["transaction"]) else H("continuum-seal-1", tx, *[x for n in s for x in [n, *sorted(s[n])]])
    chain = hashlib.sha256((chain + str(mine)).encode()).hexdigest()
    if chain != stored: changed.append(tx)
changed += sorted(t for t in parts if seals and t <= seals[-1][0] and t not in {s[0] for s in seals})
print(f"changed {min(changed)}" if changed else f"ok {chain}")
