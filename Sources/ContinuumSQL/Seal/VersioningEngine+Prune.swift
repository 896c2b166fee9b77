import Foundation
import SQLKit

/// What ``VersioningEngine/prune(olderThan:keepLast:tables:batchSize:dryRun:userID:on:)`` removed
/// (or, in a dry run, would remove).
public struct PruneReport: Sendable, Hashable, CustomStringConvertible {
    /// Whether nothing was changed.
    public var dryRun: Bool
    /// Version rows removed, per live table.
    public var versions: [String: Int]
    /// Versions that became the start of their chain (`operation_type` set to INSERT).
    public var chainStarts: Int
    /// Transactions left without versions and removed with their metadata.
    public var transactions: Int
    /// The transactions recording the prune, one per batch (`continuum.event = prune`).
    public var eventTransactionIDs: [Int]

    /// Version rows removed in all.
    public var totalVersions: Int { self.versions.values.reduce(0, +) }

    public var description: String {
        let verb = self.dryRun ? "would prune" : "pruned"
        return "\(verb) \(self.totalVersions) version(s)"
            + (self.dryRun ? "" : ", \(self.transactions) emptied transaction(s), \(self.chainStarts) new chain start(s)")
    }
}

extension VersioningEngine {
    /// Removes old versions, keeping history valid and provable:
    /// - a version goes when it is older than `olderThan` (its transaction's `issued_at`) and
    ///   not among its row's last `keepLast` versions (either rule alone when only one is given);
    ///   a live row's current version always stays, and only a row's oldest versions go, so
    ///   every chain keeps its end;
    /// - the oldest version kept becomes the start of its chain: an UPDATE becomes an INSERT
    ///   (what SQLAlchemy-Continuum and swift-continuum read as "first version");
    /// - transactions left without any version are removed with their metadata and
    ///   `transaction_changes` rows;
    /// - only sealed history is pruned (everything stable is sealed first), each removed
    ///   version's digest and each rewritten field's is recorded in a prune transaction
    ///   (`continuum.event = prune`, the rule in its metadata), and that is sealed at once, so
    ///   ``verifySeal(expectedDigest:on:)`` stays green and proves what was pruned.
    ///
    /// Works in batches of `batchSize` versions, each its own short transaction. A dry run
    /// counts what a prune would remove now and writes nothing (no seal either).
    ///
    /// ```swift
    /// let report = try await engine.prune(olderThan: .now.addingTimeInterval(-90 * 86_400), keepLast: 10, on: sql)
    /// ```
    ///
    /// - Throws: ``ContinuumError/pruneRuleMissing``, ``ContinuumError/invalidKeepLast(_:)``,
    ///   ``ContinuumError/invalidBatchSize(_:)``, ``ContinuumError/tableNotVersioned(_:)``, and
    ///   the errors of ``seal(batchSize:waitingAtMost:on:)``.
    @discardableResult
    public func prune(
        olderThan cutoff: Date? = nil, keepLast: Int? = nil, tables: [String]? = nil, batchSize: Int = 5_000, dryRun: Bool = false,
        userID: String? = nil, on database: any SQLDatabase
    ) async throws -> PruneReport {
        guard cutoff != nil || keepLast != nil else { throw ContinuumError.pruneRuleMissing }
        if let keepLast, keepLast < 1 { throw ContinuumError.invalidKeepLast(keepLast) }
        guard batchSize > 0 else { throw ContinuumError.invalidBatchSize(batchSize) }
        // A date before the year 1 prunes nothing older than the year 1 does (and has no text form).
        let cutoff = cutoff.map { max($0, Date.distantPast) }
        let dialect = try SQLDialectKind(database)
        var entries = try await RegistryEntry.all(from: database)
        if let tables {
            for table in tables where !entries.contains(where: { $0.table == table }) { throw ContinuumError.tableNotVersioned(table) }
            entries = entries.filter { tables.contains($0.table) }
        }
        // Only sealed history is pruned, so a prune seals first. A dry run changes nothing, not
        // even the seals: it counts up to where that seal would reach (PostgreSQL: the stable
        // horizon; SQLite: every committed transaction).
        let head =
            dryRun
            ? (dialect == .postgresql ? try await self.stableHorizon(waitingAtMost: .seconds(10), on: database) : Int.max)
            : try await self.seal(on: database).headTransactionID ?? 0
        var report = PruneReport(dryRun: dryRun, versions: [:], chainStarts: 0, transactions: 0, eventTransactionIDs: [])
        var rule: [String: String] = [Self.eventMetaKey: "prune"]
        if let cutoff { rule["continuum.older_than"] = Self.naiveUTC(cutoff) }
        if let keepLast { rule["continuum.keep_last"] = String(keepLast) }
        for entry in entries {
            if dryRun {
                let candidates = self.pruneCandidates(entry, cutoff: cutoff, keepLast: keepLast, head: head, range: "", dialect: dialect)
                let count = try await database.raw("SELECT COUNT(*) AS \"n\" FROM (" + candidates + ") AS c").first()!.decode(column: "n", as: Int.self)
                report.versions[entry.table] = count
                continue
            }
            // Key range by key range, each about `batchSize` version rows: the window that finds
            // the candidates reads each version once, not the whole table per batch.
            var cursor: [PruneKeyValue]? = nil
            var done = false
            while !done {
                let end = try await self.pruneRangeEnd(entry, after: cursor, batchSize: batchSize, dialect: dialect, on: database)
                done = end == nil
                let range = self.pruneKeyRange(entry, after: cursor, through: end, dialect: dialect)
                let candidates = self.pruneCandidates(entry, cutoff: cutoff, keepLast: keepLast, head: head, range: range, dialect: dialect)
                while true {
                    let batch = try await self.versioned(on: database, userID: userID, meta: rule.merging(["continuum.table": entry.table]) { $1 }) { connection in
                        try await self.pruneBatch(entry, candidates: candidates, range: range, batchSize: batchSize, dialect: dialect, on: connection)
                    }
                    report.versions[entry.table, default: 0] += batch.versions
                    report.chainStarts += batch.chainStarts
                    report.transactions += batch.transactions
                    if let event = batch.event {
                        report.eventTransactionIDs.append(event)
                        // Sealed at once: the seal reads one batch's patches at a time.
                        try await self.seal(on: database)
                    }
                    if batch.versions < batchSize { break }
                }
                cursor = end
            }
        }
        if !dryRun { try await self.seal(on: database) }
        return report
    }

    /// The key of the version row `batchSize` rows after `cursor` in key order (the end of the
    /// next key range), or `nil` when fewer rows follow: the range then runs to the end.
    private func pruneRangeEnd(
        _ entry: RegistryEntry, after cursor: [PruneKeyValue]?, batchSize: Int, dialect: SQLDialectKind, on database: any SQLDatabase
    ) async throws -> [PruneKeyValue]? {
        let key = entry.keyColumns.map { "v." + SQLText.identifier($0.name) }
        let columns: [String] = key.indices.flatMap { index -> [String] in
            switch dialect {
            case .postgresql: return ["CAST(\(key[index]) AS TEXT) AS \"k\(index)\"", "'' AS \"t\(index)\""]
            case .sqlite:
                return ["CASE typeof(\(key[index])) WHEN 'blob' THEN hex(\(key[index])) ELSE CAST(\(key[index]) AS TEXT) END AS \"k\(index)\"", "typeof(\(key[index])) AS \"t\(index)\""]
            }
        }
        // Under the seal's settings, as the batch that casts these texts back: a date key's text
        // must not follow the server's DateStyle (SQL, DMY would not read back under ISO).
        return try await database.continuumAtomically(dialect) { connection in
            for statement in dialect.sealSettings { try await connection.run(generated: statement) }
            guard
                let row = try await connection.raw(
                    "SELECT \(unsafeRaw: columns.joined(separator: ", ")) FROM \(ident: entry.versionTable) AS v WHERE 1 = 1"
                        + self.pruneKeyRange(entry, after: cursor, through: nil, dialect: dialect)
                        + " ORDER BY \(unsafeRaw: key.joined(separator: ", ")), v.\"transaction_id\" LIMIT 1 OFFSET \(unsafeRaw: String(batchSize - 1))"
                ).first()
            else { return nil }
            return try key.indices.map {
                PruneKeyValue(text: try row.decode(column: "k\($0)", as: String.self), storage: try row.decode(column: "t\($0)", as: String.self))
            }
        }
    }

    /// ` AND (key) > (cursor) AND (key) <= (end)` on the version table `v`; each value bound as
    /// text and converted back to its type (PostgreSQL: the key column's; SQLite: the value's
    /// storage class), so that the version table's primary-key index serves the range.
    /// PostgreSQL names each operator by its schema (see ``SQLDialectKind/named(_:schema:)``).
    private func pruneKeyRange(_ entry: RegistryEntry, after cursor: [PruneKeyValue]?, through end: [PruneKeyValue]?, dialect: SQLDialectKind) -> SQLQueryString {
        let key = entry.keyColumns
        let columns = key.map { "v." + SQLText.identifier($0.name) }
        func value(_ value: PruneKeyValue, _ index: Int) -> SQLQueryString {
            switch (dialect, value.storage) {
            case (.postgresql, _): return "CAST(\(bind: value.text) AS \(unsafeRaw: key[index].type))"
            case (.sqlite, "integer"): return "CAST(\(bind: value.text) AS INTEGER)"
            case (.sqlite, "real"): return "CAST(\(bind: value.text) AS REAL)"
            case (.sqlite, "blob"): return "unhex(\(bind: value.text))"
            case (.sqlite, _): return "\(bind: value.text)"
            }
        }
        func list(_ values: [SQLQueryString]) -> SQLQueryString {
            var list: SQLQueryString = "("
            for (index, value) in values.enumerated() { list = list + (index > 0 ? ", " : "") + value }
            return list + ")"
        }
        /// `(key) op (values)`, `op` being `>` or `<=`.
        func compare(_ values: [PruneKeyValue], greater: Bool) -> SQLQueryString {
            let literals = values.enumerated().map { value($1, $0) }
            let schemas = Set(key.map { $0.equalityOperatorSchema ?? "pg_catalog" })
            guard dialect == .postgresql, schemas.count > 1 else {
                // One row comparison, which the index serves.
                let op = dialect.named(greater ? ">" : "<=", schema: schemas.first)
                return list(columns.map { "\(unsafeRaw: $0)" }) + " \(unsafeRaw: op) " + list(literals)
            }
            // Key columns whose operators live in different schemas: column by column.
            func op(_ name: String, _ index: Int) -> String { dialect.named(name, schema: key[index].equalityOperatorSchema) }
            var expression: SQLQueryString = greater ? "FALSE" : "TRUE"
            for index in columns.indices.reversed() {
                let column: SQLQueryString = "\(unsafeRaw: columns[index])"
                let strict = column + " \(unsafeRaw: op(greater ? ">" : "<", index)) " + literals[index]
                let equal = column + " \(unsafeRaw: op("=", index)) " + literals[index]
                expression = "(" + strict + " OR (" + equal + " AND " + expression + "))"
            }
            return expression
        }
        var range: SQLQueryString = ""
        if let cursor { range = range + " AND " + compare(cursor, greater: true) }
        if let end { range = range + " AND " + compare(end, greater: false) }
        return range
    }

    /// The versions of `entry` the rule removes, among those `range` selects: `_tx`, `_first`
    /// (the oldest version kept of the row) and the key columns `k_...`.
    private func pruneCandidates(
        _ entry: RegistryEntry, cutoff: Date?, keepLast: Int?, head: Int, range: SQLQueryString, dialect: SQLDialectKind
    ) -> SQLQueryString {
        let key = entry.keyColumns.map { "v." + SQLText.identifier($0.name) }.joined(separator: ", ")
        var keep: [SQLQueryString] = ["(v.\"end_transaction_id\" IS NULL AND v.\"operation_type\" <> 2)", "v.\"transaction_id\" > \(unsafeRaw: String(head))"]
        if let keepLast {
            keep.append("ROW_NUMBER() OVER (PARTITION BY \(unsafeRaw: key) ORDER BY v.\"transaction_id\" DESC) <= \(unsafeRaw: String(keepLast))")
        }
        if let cutoff {
            let at: SQLQueryString = dialect == .postgresql ? "CAST(\(bind: Self.naiveUTC(cutoff)) AS timestamp)" : "\(bind: Self.naiveUTC(cutoff))"
            keep.append("t.\"issued_at\" IS NULL OR t.\"issued_at\" >= " + at)
        }
        var keepExpression: SQLQueryString = "CASE WHEN "
        for (index, term) in keep.enumerated() { keepExpression = keepExpression + (index > 0 ? " OR (" : "(") + term + ")" }
        keepExpression = keepExpression + " THEN 1 ELSE 0 END"
        let partition = entry.keyColumns.map { "r." + SQLText.identifier("k_" + $0.name) }.joined(separator: ", ")
        let raw = entry.keyColumns.map { "v.\(SQLText.identifier($0.name)) AS \(SQLText.identifier("k_" + $0.name))" }.joined(separator: ", ")
        return "SELECT f.\"_tx\" AS \"_tx\", f.\"_first\" AS \"_first\", " + "\(unsafeRaw: entry.keyColumns.map { "f." + SQLText.identifier("k_" + $0.name) }.joined(separator: ", "))"
            + " FROM (SELECT r.*, MIN(CASE WHEN r.\"_keep\" = 1 THEN r.\"_tx\" END) OVER (PARTITION BY \(unsafeRaw: partition)) AS \"_first\" FROM ("
            + "SELECT \(unsafeRaw: raw), v.\"transaction_id\" AS \"_tx\", " + keepExpression + " AS \"_keep\" FROM \(ident: entry.versionTable) AS v "
            + "LEFT JOIN \(ident: self.configuration.transactionTable) AS t ON t.\"id\" = v.\"transaction_id\" WHERE 1 = 1" + range + ") AS r) AS f "
            + "WHERE f.\"_first\" IS NULL OR f.\"_tx\" < f.\"_first\""
    }

    private func pruneBatch(
        _ entry: RegistryEntry, candidates: SQLQueryString, range: SQLQueryString, batchSize: Int, dialect: SQLDialectKind,
        on connection: any SQLDatabase
    ) async throws -> (versions: Int, chainStarts: Int, transactions: Int, event: Int?) {
        for statement in dialect.sealSettings { try await connection.run(generated: statement) }
        if dialect == .postgresql {
            try await connection.run(generated: "LOCK TABLE \(SQLText.identifier(Self.sealTable)) IN EXCLUSIVE MODE")
        }
        let key = entry.keyColumns
        let versionTable = SQLText.identifier(entry.versionTable)
        let match = key.map {
            "v.\(SQLText.identifier($0.name)) \(dialect.named("=", schema: $0.equalityOperatorSchema)) c.\(SQLText.identifier("k_" + $0.name))"
        }.joined(separator: " AND ")
        guard let introspected = try await Introspector(connection).describe(entry.versionTable) else { return (0, 0, 0, nil) }
        let names = introspected.columns.map(\.name).filter { $0 != VersioningPlan.endTransactionColumn }
        let select = names.enumerated().map { "\(dialect.sealLiteral("v." + SQLText.identifier($1))) AS \"c\($0)\"" }.joined(separator: ", ")
        // The batch: the oldest candidates, with every column's literal for their digests.
        let rows = try await connection.raw(
            "SELECT CAST(v.\"transaction_id\" AS BIGINT) AS \"_tx\", CAST(c.\"_first\" AS BIGINT) AS \"_first\", \(unsafeRaw: select) FROM (" + candidates
                + " ORDER BY 1 LIMIT \(unsafeRaw: String(batchSize))) AS c JOIN \(unsafeRaw: versionTable) AS v ON \(unsafeRaw: match) AND v.\"transaction_id\" = c.\"_tx\""
        ).all()
        guard !rows.isEmpty else { return (0, 0, 0, nil) }
        let event = try await self.eventTransactionID(dialect: dialect, on: connection)
        // Every version table the seal reads (a table disabled after sealing too).
        let coverage = try await self.sealCoverage(on: connection)
        // The patches already recorded for this table's rows in the batch's transactions (a
        // redacted field, say), and the salts those transactions were sealed with.
        let batchIDs = Set(try rows.flatMap { [try $0.decode(column: "_tx", as: Int.self), try $0.decode(column: "_first", as: Int?.self)].compactMap { $0 } }).sorted()
        let index = PatchIndex(try await self.sealPatches(concerning: batchIDs, table: entry.versionTable, on: connection))
        let salts = try await self.sealSalts(batchIDs, on: connection).compactMapValues { $0 }
        var patches: [SealPatch] = []
        var starts: Set<ChainStart> = []
        var transactions: Set<Int> = []
        var deletions: [(tx: Int, key: [String])] = []
        for row in rows {
            let tx = try row.decode(column: "_tx", as: Int.self)
            let fields = try names.indices.map { (name: names[$0], literal: try row.decode(column: "c\($0)", as: String.self)) }
            let keyLiterals = key.map { column in fields.first { $0.name == column.name }?.literal ?? "NULL" }
            let sealRow = SealRow(
                transactionID: tx, table: entry.versionTable, key: keyLiterals.joined(separator: ","),
                fields: coverage.fields(entry.versionTable, transactionID: tx, fields))
            patches.append(SealPatch(event: event, transactionID: tx, table: entry.versionTable, rowKey: sealRow.key, field: "", digest: sealRow.digest(index, salt: salts[tx]), value: ""))
            if let first = try row.decode(column: "_first", as: Int?.self) { starts.insert(ChainStart(rowKey: sealRow.key, transactionID: first)) }
            transactions.insert(tx)
            deletions.append((tx, keyLiterals))
        }
        // Set-based, a few hundred rows per statement: by transaction (its index), then by the
        // key's literal as the seal renders it.
        let keyLiteral = key.map { dialect.sealLiteral("v." + SQLText.identifier($0.name)) }.joined(separator: " || ',' || ")
        func rowsMatching(_ pairs: ArraySlice<(tx: Int, key: String)>) -> SQLQueryString {
            var ids: SQLQueryString = "v.\"transaction_id\" IN ("
            for (index, tx) in Set(pairs.map(\.tx)).sorted().enumerated() { ids = ids + (index > 0 ? ", " : "") + "\(bind: tx)" }
            var values: SQLQueryString = ") AND (v.\"transaction_id\", \(unsafeRaw: keyLiteral)) IN (VALUES "
            for (index, pair) in pairs.enumerated() { values = values + (index > 0 ? ", " : "") + "(\(bind: pair.tx), \(bind: pair.key))" }
            // The batch's key range lets the primary key narrow the rows before their literals are computed.
            return ids + values + ")" + range
        }
        let chunk = 400
        for start in stride(from: 0, to: deletions.count, by: chunk) {
            let slice = deletions[start..<min(start + chunk, deletions.count)].map { (tx: $0.tx, key: $0.key.joined(separator: ",")) }
            try await connection.raw("DELETE FROM \(unsafeRaw: versionTable) AS v WHERE " + rowsMatching(slice[...])).run()
        }
        // The oldest version kept of each touched row starts its chain: an UPDATE becomes an INSERT.
        var chainStarts = 0
        let operation = VersioningPlan.operationColumn
        let startList = starts.map { (tx: $0.transactionID, key: $0.rowKey) }
        for start in stride(from: 0, to: startList.count, by: chunk) {
            let slice = startList[start..<min(start + chunk, startList.count)]
            let updates = try await connection.raw(
                "SELECT CAST(v.\"transaction_id\" AS BIGINT) AS \"_tx\", \(unsafeRaw: keyLiteral) AS \"k\" FROM \(unsafeRaw: versionTable) AS v WHERE v.\(ident: operation) = 1 AND "
                    + rowsMatching(slice)
            ).all().map { (tx: try $0.decode(column: "_tx", as: Int.self), key: try $0.decode(column: "k", as: String.self)) }
            guard !updates.isEmpty else { continue }
            for (tx, rowKey) in updates {
                let original = index.fields[SealPatch.key(tx, entry.versionTable, rowKey, operation)]?.digest ?? SealEncoding.field(operation, dialect.sealLiteral(integer: 1), salt: salts[tx])
                patches.append(
                    SealPatch(event: event, transactionID: tx, table: entry.versionTable, rowKey: rowKey, field: operation, digest: original, value: dialect.sealLiteral(integer: 0)))
            }
            try await connection.raw("UPDATE \(unsafeRaw: versionTable) AS v SET \(ident: operation) = 0 WHERE " + rowsMatching(updates[...])).run()
            chainStarts += updates.count
        }
        // Transactions left without any version go, with their metadata; a transaction still
        // holding versions of other tables loses only this entity's change record.
        var emptied = 0
        let changes = SQLText.identifier(self.configuration.transactionChangesTable)
        let touched = transactions.subtracting([event]).sorted()
        func list(_ ids: ArraySlice<Int>) -> SQLQueryString {
            var query: SQLQueryString = "("
            for (index, id) in ids.enumerated() { query = query + (index > 0 ? ", " : "") + "\(bind: id)" }
            return query + ")"
        }
        for start in stride(from: 0, to: touched.count, by: chunk) {
            let slice = touched[start..<min(start + chunk, touched.count)]
            var written: Set<Int> = []
            var writtenHere: Set<Int> = []
            for (versionTable, _) in coverage.tables {
                guard try await Introspector(connection).tableExists(versionTable) else { continue }
                let ids = try await connection.raw(
                    "SELECT DISTINCT CAST(\"transaction_id\" AS BIGINT) AS \"t\" FROM \(ident: versionTable) WHERE \"transaction_id\" IN " + list(slice)
                ).all().map { try $0.decode(column: "t", as: Int.self) }
                written.formUnion(ids)
                if versionTable == entry.versionTable { writtenHere.formUnion(ids) }
            }
            let entityGone = slice.filter { written.contains($0) && !writtenHere.contains($0) }
            if !entityGone.isEmpty {
                try await connection.raw(
                    "DELETE FROM \(unsafeRaw: changes) WHERE \"entity_name\" \(unsafeRaw: dialect.named("=")) \(bind: entry.entityName) AND \"transaction_id\" IN " + list(entityGone[...])
                ).run()
            }
            let empty = slice.filter { !written.contains($0) }
            guard !empty.isEmpty else { continue }
            let sealed = try await connection.raw(
                "SELECT CAST(\"transaction_id\" AS BIGINT) AS \"t\", \"entry_digest\" AS \"e\" FROM \(ident: Self.sealTable) WHERE \"transaction_id\" IN " + list(empty[...])
            ).all().map { (tx: try $0.decode(column: "t", as: Int.self), entry: try $0.decode(column: "e", as: String.self)) }
            guard !sealed.isEmpty else { continue }
            let ids = sealed.map(\.tx)
            for (tx, entryDigest) in sealed {
                patches.append(SealPatch(event: event, transactionID: tx, table: "", rowKey: "", field: "", digest: entryDigest, value: ""))
            }
            try await connection.raw("DELETE FROM \(unsafeRaw: changes) WHERE \"transaction_id\" IN " + list(ids[...])).run()
            try await connection.raw("DELETE FROM \(ident: self.configuration.transactionMetaTable) WHERE \"transaction_id\" IN " + list(ids[...])).run()
            try await connection.raw("DELETE FROM \(ident: self.configuration.transactionTable) WHERE \"id\" IN " + list(ids[...])).run()
            emptied += ids.count
        }
        try await self.insert(patches, on: connection)
        return (rows.count, chainStarts, emptied, event)
    }
}

/// One value of a key-range boundary: its text (hex for a blob) and, on SQLite, its storage class.
private struct PruneKeyValue: Sendable {
    var text: String
    var storage: String
}

/// The oldest version a prune keeps of one row: it becomes the start of the row's chain.
private struct ChainStart: Hashable {
    var rowKey: String
    var transactionID: Int
}

extension SQLDialectKind {
    /// The operator `op` as engine SQL must name it: on PostgreSQL with its schema (`pg_catalog`
    /// unless the type's operators live elsewhere, a `citext` key's say), because the session's
    /// search path may name a schema where others can create an operator that matches a type
    /// more exactly than `pg_catalog`'s (`varchar` has none of its own) and would run as the
    /// caller.
    func named(_ op: String, schema: String? = nil) -> String {
        self == .postgresql ? "OPERATOR(\(SQLText.identifier(schema ?? "pg_catalog")).\(op))" : op
    }
}
