import SQLKit

/// The canonical encoding of sealed history (version 1), documented for other programs in the
/// "Sealing History" article. Every digest is SHA-256 in lowercase hexadecimal; parts are
/// joined with a NUL character before hashing; lists of digests are sorted (byte order) first.
///
/// - field: `H(name, literal)`, where `literal` is the database's own quoting of the value
///   (SQLite `quote(v)`, PostgreSQL `quote_nullable(CAST(v AS TEXT))` with UTC and ISO dates):
///   one digest per field, so an erased field can be replaced by the digest it had. A version
///   row's field in a transaction sealed with a salt (its `_continuum_seal.salt`, 32 random
///   hexadecimal digits) is `H(salt, name, literal)`: a redaction replaces the salt, so an
///   erased value can no longer be guessed from the digest it leaves behind.
/// - version row: `H("row", version_table, sorted field digests...)`, every column but
///   `end_transaction_id` (the next version fills it in).
/// - entry of a transaction: `H("continuum-seal-1", id, "transaction", sorted field digests of
///   its row..., "meta", sorted H(key, literal(value))..., "versions", sorted row digests...,
///   "patches", sorted patch digests...)`.
/// - chain: `chain(n) = H(chain(n-1) ‖ entry(n))` over the concatenated hexadecimal strings,
///   starting from 64 zeros; the head is the last transaction's chain digest.
enum SealEncoding {
    static let version = "continuum-seal-1"
    static let genesis = String(repeating: "0", count: 64)

    static func digest(_ parts: [String]) -> String { SHA256.hex(parts.joined(separator: "\u{0}")) }
    static func field(_ name: String, _ literal: String) -> String { Self.digest([name, literal]) }
    /// A version row's field: salted when its transaction was sealed with a salt.
    static func field(_ name: String, _ literal: String, salt: String?) -> String {
        guard let salt else { return Self.field(name, literal) }
        return Self.digest([salt, name, literal])
    }
    /// A new salt: 16 random bytes in hexadecimal.
    static func newSalt() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
    static func sorted(_ digests: [String]) -> [String] { digests.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
    static func row(_ table: String, _ fields: [String]) -> String { Self.digest(["row", table] + Self.sorted(fields)) }
    static func chain(_ previous: String, _ entry: String) -> String { SHA256.hex(previous + entry) }

    static func entry(_ id: Int, transaction: [String], meta: [String], versions: [String], patches: [String]) -> String {
        Self.digest(
            [Self.version, String(id), "transaction"] + Self.sorted(transaction) + ["meta"] + Self.sorted(meta)
                + ["versions"] + Self.sorted(versions) + ["patches"] + Self.sorted(patches))
    }
}

/// One row of `_continuum_seal_patch`: what a redaction or a prune changed in sealed history,
/// with the digest the changed part had, so `verify` can still recompute the seal.
///
/// - a field rewritten (erased to NULL by a redaction, `operation_type` set to INSERT at a new
///   chain start by a prune): `field` names it, `digest` is its field digest before, `value`
///   its literal after;
/// - a field a redaction left alone in a transaction whose salt it replaced: `digest` is its
///   sealed digest, `value` is `=` followed by `H(new salt, name, literal)`;
/// - a version row pruned: `field` is empty, `digest` is the row's digest;
/// - a whole transaction pruned: `table` and `field` are empty, `digest` is its entry digest.
struct SealPatch: Sendable, Hashable {
    var event: Int
    var transactionID: Int
    var table: String
    var rowKey: String
    var field: String
    var digest: String
    var value: String

    /// The patch's digest inside its event's entry.
    var encoded: String {
        SealEncoding.digest(["patch", String(self.transactionID), self.table, self.rowKey, self.field, self.digest, self.value])
    }

    var isTransaction: Bool { self.table.isEmpty && self.field.isEmpty }
    /// A check under the transaction's current salt rather than a literal (see above).
    var isCheck: Bool { self.value.hasPrefix("=") }
    var isRow: Bool { !self.table.isEmpty && self.field.isEmpty }

    static func key(_ transactionID: Int, _ table: String, _ rowKey: String, _ field: String) -> String {
        [String(transactionID), table, rowKey, field].joined(separator: "\u{0}")
    }
}

/// The patches that apply when recomputing entries: every patch when sealing (the seal records
/// history as it was before any redaction), only those of sealed events when verifying.
struct PatchIndex: Sendable {
    var fields: [String: SealPatch] = [:]
    var rows: [Int: [String]] = [:]
    var transactions: [Int: SealPatch] = [:]
    var count = (fields: 0, chainStarts: 0, rows: 0, transactions: 0)

    init(_ patches: [SealPatch], honoring events: Set<Int>? = nil) {
        // The latest event's patch of a field stands (a redaction after an earlier one).
        for patch in patches.sorted(by: { $0.event < $1.event }) where events?.contains(patch.event) ?? true {
            if patch.isTransaction {
                self.transactions[patch.transactionID] = patch
                self.count.transactions += 1
            } else if patch.isRow {
                self.rows[patch.transactionID, default: []].append(patch.digest)
                self.count.rows += 1
            } else {
                self.fields[SealPatch.key(patch.transactionID, patch.table, patch.rowKey, patch.field)] = patch
                if patch.isCheck { continue }
                if patch.field == VersioningPlan.operationColumn { self.count.chainStarts += 1 } else { self.count.fields += 1 }
            }
        }
    }
}

extension PatchIndex {
    /// One version-row field's digest as the seal recorded it: the patch's, while the field
    /// holds what the patch left (restoring it is an edit too), else computed with `salt`.
    func fieldDigest(_ transactionID: Int, _ table: String, _ rowKey: String, _ name: String, _ literal: String, salt: String?) -> String {
        if let patch = self.fields[SealPatch.key(transactionID, table, rowKey, name)] {
            let holds = patch.isCheck ? patch.value == "=" + SealEncoding.field(name, literal, salt: salt) : patch.value == literal
            return holds ? patch.digest : "changed"
        }
        return SealEncoding.field(name, literal, salt: salt)
    }
}

/// One version row as the seal reads it: every column's literal.
struct SealRow: Sendable {
    var transactionID: Int
    var table: String
    var key: String
    var fields: [(name: String, literal: String)]

    /// The row's digest, each patched field replaced by the digest the patch recorded for it
    /// (or by a digest nothing matches, when the field no longer holds the value the patch left),
    /// the others hashed with the transaction's `salt` (`nil` for a transaction sealed without).
    func digest(_ patches: PatchIndex, salt: String?) -> String {
        SealEncoding.row(
            self.table, self.fields.map { patches.fieldDigest(self.transactionID, self.table, self.key, $0.name, $0.literal, salt: salt) })
    }
}

/// Sealed history read back from the database for a range of transaction ids.
struct SealContent: Sendable {
    var transactions: [Int: [String]] = [:]
    var meta: [Int: [String]] = [:]
    var rows: [Int: [SealRow]] = [:]
    /// Each sealed transaction's salt (absent: sealed without one, or not sealed yet).
    var salts: [Int: String] = [:]
    var patches: [SealPatch] = [] {
        didSet { self.eventPatches = Dictionary(grouping: self.patches, by: \.event).mapValues { $0.map(\.encoded) } }
    }
    /// The digests of the patches each event recorded.
    private(set) var eventPatches: [Int: [String]] = [:]

    /// Every transaction id that anything in the content mentions.
    var ids: Set<Int> {
        Set(self.transactions.keys).union(self.meta.keys).union(self.rows.keys).union(self.patches.map(\.event))
    }

    func entry(_ id: Int, _ index: PatchIndex) -> String {
        let versions = (self.rows[id] ?? []).map { $0.digest(index, salt: self.salts[id]) } + (index.rows[id] ?? [])
        return SealEncoding.entry(
            id, transaction: self.transactions[id] ?? [], meta: self.meta[id] ?? [], versions: versions,
            patches: self.eventPatches[id] ?? [])
    }
}

extension SQLDialectKind {
    /// The canonical literal of `expression`'s value (see ``SealEncoding``).
    func sealLiteral(_ expression: String) -> String {
        self == .sqlite ? "quote(\(expression))" : "quote_nullable(CAST(\(expression) AS TEXT))"
    }

    /// The literal of a small integer, as ``sealLiteral(_:)`` renders it.
    func sealLiteral(integer: Int) -> String { self == .sqlite ? String(integer) : "'\(integer)'" }

    /// Session settings that make PostgreSQL's text output canonical, for the current transaction.
    var sealSettings: [String] {
        guard self == .postgresql else { return [] }
        return [
            "SET LOCAL \"TimeZone\" = 'UTC'", "SET LOCAL \"DateStyle\" = 'ISO, YMD'", "SET LOCAL \"IntervalStyle\" = 'postgres'",
            "SET LOCAL \"extra_float_digits\" = 1", "SET LOCAL \"bytea_output\" = 'hex'",
        ]
    }
}

extension VersioningEngine {
    /// The table of seal digests, one row per sealed transaction.
    package static let sealTable = "_continuum_seal"
    /// What redactions and prunes changed in sealed history (``SealPatch``).
    package static let sealPatchTable = "_continuum_seal_patch"

    /// Reads everything sealed about transactions with ids in `range` (`lower` exclusive,
    /// `upper` inclusive; `nil` for no bound).
    func sealContent(after lower: Int?, through upper: Int?, dialect: SQLDialectKind, on database: any SQLDatabase) async throws -> SealContent {
        var content = SealContent()
        func bounds(_ column: String) -> String {
            var terms = ["1 = 1"]
            if let lower { terms.append("\(column) > \(lower)") }
            if let upper { terms.append("\(column) <= \(upper)") }
            return terms.joined(separator: " AND ")
        }
        let introspector = try Introspector(database)
        let transactionTable = self.configuration.transactionTable
        guard let transaction = try await introspector.describe(transactionTable) else { throw ContinuumError.schemaNotInstalled }
        let columns = transaction.columns.map(\.name)
        let select = columns.enumerated().map { "\(dialect.sealLiteral("t." + SQLText.identifier($1))) AS \"c\($0)\"" }.joined(separator: ", ")
        for row in try await database.rows(
            generated: "SELECT CAST(t.\"id\" AS BIGINT) AS \"_id\", \(select) FROM \(SQLText.identifier(transactionTable)) AS t WHERE \(bounds("t.\"id\""))")
        {
            let id = try row.decode(column: "_id", as: Int.self)
            content.transactions[id] = try columns.indices.map { SealEncoding.field(columns[$0], try row.decode(column: "c\($0)", as: String.self)) }
        }
        for row in try await database.rows(
            generated: """
                SELECT CAST(m."transaction_id" AS BIGINT) AS "_id", m."key" AS "k", \(dialect.sealLiteral("m.\"value\"")) AS "v"
                FROM \(SQLText.identifier(self.configuration.transactionMetaTable)) AS m WHERE \(bounds("m.\"transaction_id\""))
                """)
        {
            content.meta[try row.decode(column: "_id", as: Int.self), default: []].append(
                SealEncoding.field(try row.decode(column: "k", as: String.self), try row.decode(column: "v", as: String.self)))
        }
        let coverage = try await self.sealCoverage(on: database)
        for (versionTable, keyNames) in coverage.tables {
            guard let table = try await introspector.describe(versionTable) else { continue }
            let names = table.columns.map(\.name).filter { $0 != VersioningPlan.endTransactionColumn }
            let select = names.enumerated().map { "\(dialect.sealLiteral("v." + SQLText.identifier($1))) AS \"c\($0)\"" }.joined(separator: ", ")
            for row in try await database.rows(
                generated: """
                    SELECT CAST(v."transaction_id" AS BIGINT) AS "_tx", \(select) FROM \(SQLText.identifier(versionTable)) AS v
                    WHERE \(bounds("v.\"transaction_id\""))
                    """)
            {
                let tx = try row.decode(column: "_tx", as: Int.self)
                let fields = try names.indices.map { (name: names[$0], literal: try row.decode(column: "c\($0)", as: String.self)) }
                let key = keyNames.map { name in fields.first { $0.name == name }?.literal ?? "NULL" }.joined(separator: ",")
                content.rows[tx, default: []].append(
                    SealRow(transactionID: tx, table: versionTable, key: key, fields: coverage.fields(versionTable, transactionID: tx, fields)))
            }
        }
        for row in try await database.rows(
            generated: """
                SELECT CAST(s."transaction_id" AS BIGINT) AS "_id", s."salt" AS "s" FROM \(SQLText.identifier(Self.sealTable)) AS s
                WHERE s."salt" IS NOT NULL AND \(bounds("s.\"transaction_id\""))
                """)
        {
            content.salts[try row.decode(column: "_id", as: Int.self)] = try row.decode(column: "s", as: String.self)
        }
        content.patches = try await self.sealPatches(where: bounds("p.\"transaction_id\""), on: database)
        // The patches an event in range recorded, whatever transactions they concern.
        let events = try await self.sealPatches(where: bounds("p.\"event_id\""), on: database)
        content.patches = Array(Set(content.patches).union(events))
        return content
    }

    func sealPatches(where condition: String, on database: any SQLDatabase) async throws -> [SealPatch] {
        try await database.rows(
            generated: """
                SELECT CAST(p."event_id" AS BIGINT) AS "e", CAST(p."transaction_id" AS BIGINT) AS "t", p."table_name" AS "n",
                       p."row_key" AS "k", p."field" AS "f", p."digest" AS "d", p."value" AS "v"
                FROM \(SQLText.identifier(Self.sealPatchTable)) AS p WHERE \(condition)
                """
        ).map { row in
            SealPatch(
                event: try row.decode(column: "e", as: Int.self), transactionID: try row.decode(column: "t", as: Int.self),
                table: try row.decode(column: "n", as: String.self), rowKey: try row.decode(column: "k", as: String.self),
                field: try row.decode(column: "f", as: String.self), digest: try row.decode(column: "d", as: String.self),
                value: try row.decode(column: "v", as: String.self))
        }
    }

    /// The seal rows of `ids` (their salts; `nil` for one sealed without a salt), a thousand
    /// ids per query; a transaction not sealed is absent.
    func sealSalts(_ ids: [Int], on database: any SQLDatabase) async throws -> [Int: String?] {
        var salts: [Int: String?] = [:]
        for start in stride(from: 0, to: ids.count, by: 1_000) {
            let list = ids[start..<min(start + 1_000, ids.count)].map(String.init).joined(separator: ", ")
            for row in try await database.rows(
                generated: "SELECT CAST(\"transaction_id\" AS BIGINT) AS \"t\", \"salt\" AS \"s\" FROM \(SQLText.identifier(Self.sealTable)) WHERE \"transaction_id\" IN (\(list))")
            {
                salts[try row.decode(column: "t", as: Int.self)] = .some(try row.decode(column: "s", as: String?.self))
            }
        }
        return salts
    }

    /// The patches that concern the transactions `ids` (of `table` only, when given), a
    /// thousand ids per query.
    func sealPatches(concerning ids: [Int], table: String? = nil, on database: any SQLDatabase) async throws -> [SealPatch] {
        var patches: [SealPatch] = []
        for start in stride(from: 0, to: ids.count, by: 1_000) {
            let list = ids[start..<min(start + 1_000, ids.count)].map(String.init).joined(separator: ", ")
            let condition = (table.map { "p.\"table_name\" = \(SQLText.literal($0)) AND " } ?? "") + "p.\"transaction_id\" IN (\(list))"
            patches += try await self.sealPatches(where: condition, on: database)
        }
        return patches
    }

    /// PostgreSQL: refuses seal tables that do not belong to the role owning the transaction
    /// log. A role that created them beforehand (a writer with `CREATE` on the schema) would keep
    /// every right on the seals and patches, and its triggers and rules on them would run as
    /// whoever seals or verifies; a seal run by another role would leave them to that role.
    /// `creating`: the missing ones are about to be created by the current role.
    func checkSealOwnership(creating: Bool, on database: any SQLDatabase) async throws {
        guard try SQLDialectKind(database) == .postgresql else { return }
        // Only pg_catalog's functions, by name: this runs as the owner, whose search path may
        // name a schema where others can create functions (a VALUES list, not `unnest`).
        let (seal, patch, columns) = (Self.sealTable, Self.sealPatchTable, Self.sealColumnTable)
        let row = try await database.raw(
            """
            SELECT n."name" AS "t", pg_catalog.pg_get_userbyid(COALESCE(c."relowner", r."oid"))::text AS "owner",
                   pg_catalog.pg_get_userbyid(l."relowner")::text AS "log"
            FROM (VALUES (CAST(\(bind: seal) AS text), CAST(\(bind: SQLText.identifier(seal)) AS text)),
                         (CAST(\(bind: patch) AS text), CAST(\(bind: SQLText.identifier(patch)) AS text)),
                         (CAST(\(bind: columns) AS text), CAST(\(bind: SQLText.identifier(columns)) AS text))) AS n("name", "quoted")
            JOIN pg_catalog.pg_class AS l ON l."oid" = CAST(pg_catalog.to_regclass(\(bind: SQLText.identifier(self.configuration.transactionTable))) AS oid)
            JOIN pg_catalog.pg_roles AS r ON r."rolname" = current_user
            LEFT JOIN pg_catalog.pg_class AS c ON c."oid" = CAST(pg_catalog.to_regclass(n."quoted") AS oid)
            WHERE COALESCE(c."relowner", r."oid") <> l."relowner" AND (c."oid" IS NOT NULL OR \(bind: creating))
            ORDER BY 1 LIMIT 1
            """
        ).first()
        guard let row else { return }
        throw ContinuumError.sealTableNotOwned(
            table: try row.decode(column: "t", as: String.self), owner: try row.decode(column: "owner", as: String.self),
            logOwner: try row.decode(column: "log", as: String.self))
    }

    /// Creates the seal tables if they are missing.
    func createSealTables(on database: any SQLDatabase) async throws {
        try await self.checkSealOwnership(creating: true, on: database)
        let text = "TEXT"
        try await database.run(
            generated: """
                CREATE TABLE IF NOT EXISTS \(SQLText.identifier(Self.sealTable)) ("transaction_id" BIGINT NOT NULL PRIMARY KEY, \
                "entry_digest" VARCHAR(64) NOT NULL, "chain_digest" VARCHAR(64) NOT NULL, "salt" VARCHAR(64))
                """)
        // Seal tables made before salts: transactions sealed then keep unsalted field digests.
        if try await Introspector(database).describe(Self.sealTable)?.column(named: "salt") == nil {
            try await database.run(generated: "ALTER TABLE \(SQLText.identifier(Self.sealTable)) ADD COLUMN \"salt\" VARCHAR(64)")
        }
        try await database.run(
            generated: """
                CREATE TABLE IF NOT EXISTS \(SQLText.identifier(Self.sealPatchTable)) ("event_id" BIGINT NOT NULL, \
                "transaction_id" BIGINT NOT NULL, "table_name" \(text) NOT NULL, "row_key" \(text) NOT NULL, "field" \(text) NOT NULL, \
                "digest" VARCHAR(64) NOT NULL, "value" \(text) NOT NULL)
                """)
        try await database.run(
            generated: "CREATE INDEX IF NOT EXISTS \"ix__continuum_seal_patch_transaction_id\" ON \(SQLText.identifier(Self.sealPatchTable)) (\"transaction_id\")")
        try await database.run(
            generated: "CREATE INDEX IF NOT EXISTS \"ix__continuum_seal_patch_event_id\" ON \(SQLText.identifier(Self.sealPatchTable)) (\"event_id\")")
        if try await !Introspector(database).tableExists(Self.sealColumnTable) {
            try await database.run(
                generated: """
                    CREATE TABLE \(SQLText.identifier(Self.sealColumnTable)) ("version_table" \(text) NOT NULL, "column_name" \(text) NOT NULL, \
                    "since_transaction_id" BIGINT NOT NULL, "sealed_name" \(text), PRIMARY KEY ("version_table", "column_name"))
                    """)
            // History sealed before this table existed covered every column then in place.
            if try await Self.sealHead(on: database) != nil {
                let coverage = try await self.sealCoverage(on: database)
                var rows: [(table: String, column: String)] = []
                for (versionTable, _) in coverage.tables {
                    for column in try await Introspector(database).describe(versionTable)?.columns ?? [] where column.name != VersioningPlan.endTransactionColumn {
                        rows.append((versionTable, column.name))
                    }
                }
                try await self.insertSealColumns(rows, since: 0, on: database)
            }
        }
        // PostgreSQL: the reader role reads the seals as it reads the rest of history (verify).
        if try SQLDialectKind(database) == .postgresql, let reader = self.configuration.readerRole {
            for table in [Self.sealTable, Self.sealPatchTable, Self.sealColumnTable] {
                try await database.run(generated: "GRANT SELECT ON \(SQLText.identifier(table)) TO \(SQLText.identifier(reader))")
            }
        }
    }

    /// Writes `patches` (several rows per statement, values bound).
    func insert(_ patches: [SealPatch], on database: any SQLDatabase) async throws {
        for start in stride(from: 0, to: patches.count, by: 500) {
            var query: SQLQueryString =
                "INSERT INTO \(ident: Self.sealPatchTable) (\"event_id\", \"transaction_id\", \"table_name\", \"row_key\", \"field\", \"digest\", \"value\") VALUES "
            for (index, p) in patches[start..<min(start + 500, patches.count)].enumerated() {
                if index > 0 { query = query + ", " }
                query = query + "(\(bind: p.event), \(bind: p.transactionID), \(bind: p.table), \(bind: p.rowKey), \(bind: p.field), \(bind: p.digest), \(bind: p.value))"
            }
            try await database.raw(query).run()
        }
    }
}
