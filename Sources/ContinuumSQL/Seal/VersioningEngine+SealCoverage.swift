import SQLKit

/// Which version tables and columns the seal covers. `_continuum_seal_column` records, for every
/// column of every version table the seal has read, the first transaction sealed with it
/// (`since_transaction_id`) and, for a column renamed since (`sync` with `renamedColumns`), the
/// name it had before (`sealed_name`):
///
/// - a table disabled after its history was sealed keeps that history in the seal (its version
///   table is still read, with the key of its own primary key), so `verifySeal` stays green and
///   still detects an edit of it;
/// - a column added after a transaction was sealed (a migration and `sync`) is NULL in that
///   transaction's version rows (its `_mod` flag false): such a field is left out of the row's
///   digest, so sealed history stays valid. A value written into it later is not left out, and
///   is detected;
/// - a column renamed after a transaction was sealed keeps, in that transaction's rows, the
///   name it was sealed under.
struct SealCoverage: Sendable {
    /// The version tables read, with their key columns in key order.
    var tables: [(versionTable: String, key: [String])]
    /// Per version table and column, the first transaction sealed with it.
    var since: [String: [String: Int]]
    /// Per version table and renamed column, its name before `since`.
    var sealedNames: [String: [String: String]] = [:]
    /// Whether `_continuum_seal_column` exists; without it (history sealed before it, and not
    /// sealed since), every field is part of its row's digest.
    var recordsColumns: Bool

    /// The name `column` had when transaction `transactionID` was sealed, `nil` when it had none
    /// (added later, or not sealed yet).
    /// A column renamed back (`title` to `name`, later `name` to `title`) forms a cycle of
    /// names: back where it started, the name before the cycle is the one it was sealed with.
    func sealedName(_ versionTable: String, _ column: String, transactionID: Int) -> String? {
        guard self.recordsColumns else { return column }
        var name = column
        var seen: Set<String> = []
        while true {
            guard let since = self.since[versionTable]?[name] else { return nil }
            if transactionID >= since { return name }
            guard let previous = self.sealedNames[versionTable]?[name] else { return nil }
            seen.insert(name)
            if self.since[versionTable]?[previous] == nil || seen.contains(previous) { return previous }
            name = previous
        }
    }

    /// The fields of a version row as the seal covers them: each under the name it was sealed
    /// with, and without those its transaction was sealed without while they hold nothing (NULL,
    /// or false for a `_mod` flag, which `sync` adds as false).
    func fields(_ versionTable: String, transactionID: Int, _ fields: [(name: String, literal: String)]) -> [(name: String, literal: String)] {
        fields.compactMap { field in
            if let name = self.sealedName(versionTable, field.name, transactionID: transactionID) { return (name, field.literal) }
            let absent = field.literal == "NULL" || (field.name.hasSuffix("_mod") && (field.literal == "0" || field.literal == "'false'"))
            return absent ? nil : field
        }
    }
}

extension VersioningEngine {
    /// The table recording the columns the seal covers (``SealCoverage``).
    package static let sealColumnTable = "_continuum_seal_column"

    /// The version tables and columns the seal covers: every versioned table's, and those
    /// recorded in `_continuum_seal_column` that still exist.
    func sealCoverage(on database: any SQLDatabase) async throws -> SealCoverage {
        var coverage = SealCoverage(
            tables: try await RegistryEntry.all(from: database).map { ($0.versionTable, $0.keyColumns.map(\.name)) }, since: [:], recordsColumns: false)
        let introspector = try Introspector(database)
        guard try await introspector.tableExists(Self.sealColumnTable) else { return coverage }
        coverage.recordsColumns = true
        for row in try await database.rows(
            generated: """
                SELECT "version_table" AS "t", "column_name" AS "c", CAST("since_transaction_id" AS BIGINT) AS "s", "sealed_name" AS "p"
                FROM \(SQLText.identifier(Self.sealColumnTable))
                """)
        {
            let (table, column) = (try row.decode(column: "t", as: String.self), try row.decode(column: "c", as: String.self))
            coverage.since[table, default: [:]][column] = try row.decode(column: "s", as: Int.self)
            if let previous = try row.decode(column: "p", as: String?.self) { coverage.sealedNames[table, default: [:]][column] = previous }
        }
        let known = Set(coverage.tables.map(\.versionTable))
        for versionTable in coverage.since.keys.sorted() where !known.contains(versionTable) {
            // A table disabled after sealing: its version table's key, without transaction_id.
            // A record naming anything else (a forged one) names nothing sealed.
            guard let description = try await introspector.describe(versionTable),
                description.primaryKey.contains(where: { $0.name == VersioningPlan.transactionColumn })
            else { continue }
            coverage.tables.append((versionTable, description.primaryKey.map(\.name).filter { $0 != VersioningPlan.transactionColumn }))
        }
        return coverage
    }

    /// Records the columns of the covered version tables that `_continuum_seal_column` does not
    /// hold yet, as first sealed with the transaction after `head`. Call inside a seal batch,
    /// before reading what it seals.
    func recordSealColumns(after head: Int?, on connection: any SQLDatabase) async throws {
        let coverage = try await self.sealCoverage(on: connection)
        let introspector = try Introspector(connection)
        var rows: [(table: String, column: String)] = []
        for (versionTable, _) in coverage.tables {
            guard let description = try await introspector.describe(versionTable) else { continue }
            let recorded = coverage.since[versionTable] ?? [:]
            for column in description.columns where column.name != VersioningPlan.endTransactionColumn && recorded[column.name] == nil {
                rows.append((versionTable, column.name))
            }
        }
        try await self.insertSealColumns(rows, since: (head ?? 0) + 1, on: connection)
    }

    func insertSealColumns(_ rows: [(table: String, column: String)], since: Int, on connection: any SQLDatabase) async throws {
        for start in stride(from: 0, to: rows.count, by: 500) {
            var query: SQLQueryString = "INSERT INTO \(ident: Self.sealColumnTable) (\"version_table\", \"column_name\", \"since_transaction_id\") VALUES "
            for (index, row) in rows[start..<min(start + 500, rows.count)].enumerated() {
                query = query + (index > 0 ? ", " : "") + "(\(bind: row.table), \(bind: row.column), \(bind: since))"
            }
            try await connection.raw(query).run()
        }
    }
}

extension VersioningEngine {
    /// Whether the version table of `table` holds rows of sealed transactions.
    func holdsSealedHistory(_ table: String, on database: any SQLDatabase) async throws -> Bool {
        guard try await Introspector(database).tableExists(Self.sealTable), let head = try await Self.sealHead(on: database),
            let entry = try await RegistryEntry.load(table, from: database), try await Introspector(database).tableExists(entry.versionTable)
        else { return false }
        return try await database.rows(
            generated: "SELECT 1 AS \"found\" FROM \(SQLText.identifier(entry.versionTable)) WHERE \"transaction_id\" <= \(head.id) LIMIT 1"
        ).first != nil
    }

    /// Disables `table` and drops its version table, recording every sealed version row it held
    /// as removed (a row patch, as a prune records one) in a `continuum.event = disable`
    /// transaction, sealed at once.
    func dropSealedHistory(_ table: String, dialect: SQLDialectKind, on database: any SQLDatabase) async throws {
        try await self.seal(on: database)
        let meta = [Self.eventMetaKey: "disable", "continuum.table": table]
        try await self.versioned(on: database, meta: meta) { connection in
            for statement in dialect.sealSettings { try await connection.run(generated: statement) }
            if dialect == .postgresql {
                try await connection.run(generated: "LOCK TABLE \(SQLText.identifier(Self.sealTable)) IN EXCLUSIVE MODE")
            }
            guard let entry = try await RegistryEntry.load(table, from: connection) else { throw ContinuumError.tableNotVersioned(table) }
            let event = try await self.eventTransactionID(dialect: dialect, on: connection)
            let head = try await Self.sealHead(on: connection)?.id ?? 0
            try await self.recordRemovals(entry, event: event, through: head, dialect: dialect, on: connection)
            try await self.disable(entry, keepHistory: false, on: connection)
            try await connection.raw("DELETE FROM \(ident: Self.sealColumnTable) WHERE \"version_table\" = \(bind: entry.versionTable)").run()
        }
        try await self.seal(on: database)
    }

    /// Records a row patch for every version row of `entry` in a transaction sealed up to
    /// `head`, a thousand sealed transactions at a time (memory follows the window, not the table).
    private func recordRemovals(
        _ entry: RegistryEntry, event: Int, through head: Int, dialect: SQLDialectKind, on connection: any SQLDatabase
    ) async throws {
        guard let description = try await Introspector(connection).describe(entry.versionTable) else { return }
        let coverage = try await self.sealCoverage(on: connection)
        let names = description.columns.map(\.name).filter { $0 != VersioningPlan.endTransactionColumn }
        let keyNames = entry.keyColumns.map(\.name)
        let select = names.enumerated().map { "\(dialect.sealLiteral("v." + SQLText.identifier($1))) AS \"c\($0)\"" }.joined(separator: ", ")
        var cursor = 0
        while true {
            let ids = try await connection.rows(
                generated: """
                    SELECT CAST("transaction_id" AS BIGINT) AS "t" FROM \(SQLText.identifier(Self.sealTable))
                    WHERE "transaction_id" > \(cursor) AND "transaction_id" <= \(head) ORDER BY "transaction_id" LIMIT 1000
                    """
            ).map { try $0.decode(column: "t", as: Int.self) }
            guard let last = ids.last else { return }
            let rows = try await connection.rows(
                generated: """
                    SELECT CAST(v."transaction_id" AS BIGINT) AS "_tx", \(select) FROM \(SQLText.identifier(entry.versionTable)) AS v
                    WHERE v."transaction_id" > \(cursor) AND v."transaction_id" <= \(last)
                    """)
            cursor = last
            guard !rows.isEmpty else { continue }
            let touched = Set(try rows.map { try $0.decode(column: "_tx", as: Int.self) }).sorted()
            let index = PatchIndex(try await self.sealPatches(concerning: touched, table: entry.versionTable, on: connection))
            let salts = try await self.sealSalts(touched, on: connection).compactMapValues { $0 }
            var patches: [SealPatch] = []
            for row in rows {
                let tx = try row.decode(column: "_tx", as: Int.self)
                let fields = try names.indices.map { (name: names[$0], literal: try row.decode(column: "c\($0)", as: String.self)) }
                let key = keyNames.map { name in fields.first { $0.name == name }?.literal ?? "NULL" }.joined(separator: ",")
                let sealRow = SealRow(transactionID: tx, table: entry.versionTable, key: key, fields: coverage.fields(entry.versionTable, transactionID: tx, fields))
                patches.append(SealPatch(event: event, transactionID: tx, table: entry.versionTable, rowKey: key, field: "", digest: sealRow.digest(index, salt: salts[tx]), value: ""))
            }
            try await self.insert(patches, on: connection)
        }
    }
}

extension VersioningEngine {
    /// `sync` renames columns of `versionTable` (old name to new): when history is sealed, the
    /// columns are recorded first (those the seal has not met yet as first sealed after the
    /// head), then each new name as sealed after the head under its old name. Call in the sync's
    /// transaction, before the version table's columns are renamed.
    func recordSealRenames(_ renames: [(old: String, new: String)], of versionTable: String, on connection: any SQLDatabase) async throws {
        let introspector = try Introspector(connection)
        guard !renames.isEmpty, try await introspector.tableExists(Self.sealTable) else { return }
        if try SQLDialectKind(connection) == .postgresql {
            try await connection.run(generated: "LOCK TABLE \(SQLText.identifier(Self.sealTable)) IN EXCLUSIVE MODE")
        }
        guard let head = try await Self.sealHead(on: connection) else { return }
        try await self.createSealTables(on: connection)
        try await self.recordSealColumns(after: head.id, on: connection)
        for (old, new) in renames {
            try await connection.raw(
                "DELETE FROM \(ident: Self.sealColumnTable) WHERE \"version_table\" = \(bind: versionTable) AND \"column_name\" = \(bind: new)"
            ).run()
            try await connection.raw(
                """
                INSERT INTO \(ident: Self.sealColumnTable) ("version_table", "column_name", "since_transaction_id", "sealed_name")
                VALUES (\(bind: versionTable), \(bind: new), \(bind: head.id + 1), \(bind: old))
                """
            ).run()
        }
    }
}
