import SQLKit

/// Which rows' history a redaction erases fields from.
public enum RedactionTarget: Sendable, Hashable {
    /// One entity: its primary-key values as text, in key order, each compared as its column's
    /// type (on PostgreSQL, `9AC0...` finds a `uuid` key written in lower case).
    case key([String])
    /// Every live row and every version whose `column` holds `value` (as text): all history of
    /// a value, such as an e-mail address, whichever rows held it.
    case value(column: String, equals: String)
}

/// What ``VersioningEngine/redact(_:_:fields:userID:remoteAddress:on:)`` erased.
public struct RedactionReport: Sendable, Hashable, CustomStringConvertible {
    /// The transaction recording the redaction (who, when, which fields; never the values).
    public var transactionID: Int
    /// Version rows that had at least one of the fields set.
    public var versions: Int
    /// Fields set to NULL in history, each proven by the digest it had.
    public var fields: Int
    /// Live rows whose fields were set to NULL (through the triggers: a new version records it).
    public var liveRows: Int

    public var description: String {
        "redacted \(self.fields) field(s) in \(self.versions) version(s) and \(self.liveRows) live row(s), recorded as transaction \(self.transactionID)"
    }
}

extension VersioningEngine {
    /// The meta key naming what an event transaction did: `redact` or `prune`.
    public static let eventMetaKey = "continuum.event"

    /// Erases `fields` from every version of the target rows (GDPR erasure) and from the live
    /// rows, keeping ``verifySeal(expectedDigest:on:)`` green: each erased field's digest is
    /// recorded, so the seal proves the field was redacted rather than tampered with.
    ///
    /// The live rows are updated first, through the triggers (so history gains a version
    /// without the values); then the fields are set to NULL in every older version. Every
    /// sealed transaction it touches, and every one whose versions of the target rows a prune
    /// removed, gets a new salt, its other fields checked under the new one, so nobody can
    /// confirm a guess of an erased value against a recorded digest. The
    /// redaction is one transaction with `continuum.event = redact`, the table and the field
    /// names in its metadata, never the erased values; it is sealed at once.
    ///
    /// ```swift
    /// try await engine.redact("customer", .key(["42"]), fields: ["email", "phone"], userID: "dpo", on: sql)
    /// try await engine.redact("customer", .value(column: "email", equals: "ann@example.com"), fields: ["email"], on: sql)
    /// ```
    ///
    /// - Throws: ``ContinuumError/tableNotVersioned(_:)``, ``ContinuumError/unknownColumn(table:column:)``,
    ///   ``ContinuumError/cannotRedactColumn(table:column:reason:)`` for a key column, one that is
    ///   NOT NULL in the live table, one excluded from versioning or a bookkeeping column of the
    ///   version table (`transaction_id`, `end_transaction_id`, `operation_type`, `_mod` flags),
    ///   ``ContinuumError/invalidPrimaryKey(table:expected:)`` for a key with the wrong number of
    ///   values, ``ContinuumError/redactionFieldsMissing(table:)`` without a field, or
    ///   ``ContinuumError/redactionKeyNotFound(table:)`` for a key no row has, live or in history; ``ContinuumError/sealTableNotOwned(table:owner:logOwner:)`` (PostgreSQL) for a
    ///   seal table that does not belong to the owner of the transaction log.
    @discardableResult
    public func redact(
        _ table: String, _ target: RedactionTarget, fields: [String], userID: String? = nil, remoteAddress: String? = nil,
        on database: any SQLDatabase
    ) async throws -> RedactionReport {
        let dialect = try SQLDialectKind(database)
        let entry = try await RegistryEntry.require(table, from: database)
        let introspector = try Introspector(database)
        guard let live = try await introspector.describe(table) else { throw ContinuumError.tableNotFound(table) }
        // A field named twice is erased once.
        let fields = fields.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let key = entry.keyColumns
        guard !fields.isEmpty else { throw ContinuumError.redactionFieldsMissing(table: table) }
        for field in fields {
            guard let column = entry.columns.first(where: { $0.name == field }) else {
                if live.column(named: field) != nil {
                    throw ContinuumError.cannotRedactColumn(
                        table: table, column: field,
                        reason: "it is excluded from versioning, so history holds none of its values (erase the live value with an UPDATE)")
                }
                let bookkeeping = [VersioningPlan.transactionColumn, VersioningPlan.endTransactionColumn, VersioningPlan.operationColumn]
                if bookkeeping.contains(field) || (field.hasSuffix("_mod") && entry.options.tracksModifiedColumns) {
                    throw ContinuumError.cannotRedactColumn(
                        table: table, column: field, reason: "it is a bookkeeping column of the version table, which every chain needs")
                }
                throw ContinuumError.unknownColumn(table: table, column: field)
            }
            if column.isPrimaryKey { throw ContinuumError.cannotRedactColumn(table: table, column: field, reason: "it is part of the primary key") }
            if live.column(named: field)?.isNotNull == true {
                throw ContinuumError.cannotRedactColumn(table: table, column: field, reason: "it is NOT NULL in the live table (erase the live value first, or allow NULL)")
            }
        }
        // Which rows: one entity's, by key (each value compared as its column's type, as history
        // reads compare it), or every row (live or version) holding the value, compared as text.
        @Sendable func condition(_ alias: String) -> SQLQueryString {
            var query: SQLQueryString = "1 = 1"
            switch target {
            case .key(let values):
                for (column, value) in zip(key, values) {
                    let typed: SQLQueryString = dialect == .postgresql ? "CAST(\(bind: value) AS \(unsafeRaw: column.type))" : "\(bind: value)"
                    query = query + " AND \(unsafeRaw: alias).\(ident: column.name) \(unsafeRaw: dialect.named("=", schema: column.equalityOperatorSchema)) " + typed
                }
            case .value(let column, let value):
                query = query + " AND CAST(\(unsafeRaw: alias).\(ident: column) AS TEXT) \(unsafeRaw: dialect.named("=")) \(bind: value)"
            }
            return query
        }
        switch target {
        case .key(let values):
            guard values.count == key.count else { throw ContinuumError.invalidPrimaryKey(table: table, expected: key.map(\.name)) }
            // A key no row has, live or in history, is a mistake to report, not a redaction to record.
            for (relation, alias) in [(table, "l"), (entry.versionTable, "v")] {
                let found = try await database.raw(
                    "SELECT 1 AS \"found\" FROM \(ident: relation) AS \(unsafeRaw: alias) WHERE " + condition(alias) + " LIMIT 1"
                ).first()
                if found != nil { break }
                if alias == "v" { throw ContinuumError.redactionKeyNotFound(table: table) }
            }
        case .value(let column, _):
            guard entry.columns.contains(where: { $0.name == column }) else { throw ContinuumError.unknownColumn(table: table, column: column) }
        }
        try await database.continuumAtomically(dialect) { try await self.createSealTables(on: $0) }
        // Seal what is stable first: sealed transactions get their erased fields proven and
        // their salts replaced; the others are sealed later as the redaction leaves them.
        try await self.seal(on: database)
        let meta = [Self.eventMetaKey: "redact", "continuum.table": table, "continuum.fields": fields.joined(separator: ",")]
        let report = try await self.versioned(on: database, userID: userID, remoteAddress: remoteAddress, meta: meta) { connection in
            for statement in dialect.sealSettings { try await connection.run(generated: statement) }
            if dialect == .postgresql {
                try await connection.run(generated: "LOCK TABLE \(SQLText.identifier(Self.sealTable)) IN EXCLUSIVE MODE")
            }
            let liveCondition = condition("l")
            let versionCondition = condition("v")
            // The live rows first, through the triggers: the version they write has no values.
            let anySet = fields.map { "l.\(SQLText.identifier($0)) IS NOT NULL" }.joined(separator: " OR ")
            let erase = fields.map { "\(SQLText.identifier($0)) = NULL" }.joined(separator: ", ")
            let liveRows = try await connection.raw(
                "SELECT COUNT(*) AS \"n\" FROM \(unsafeRaw: live.liveRows(SQLText.identifier(table), dialect: dialect)) AS l WHERE (" + liveCondition + ") AND (\(unsafeRaw: anySet))"
            ).first()!.decode(column: "n", as: Int.self)
            if liveRows > 0 {
                try await connection.raw("UPDATE \(unsafeRaw: live.liveRows(SQLText.identifier(table), dialect: dialect)) AS l SET \(unsafeRaw: erase) WHERE " + liveCondition).run()
            }
            // Read after the triggers ran (PostgreSQL may have renumbered the transaction).
            let event = try await self.eventTransactionID(dialect: dialect, on: connection)
            // Then every older version, each erased field's digest recorded.
            let versionAnySet = fields.map { "v.\(SQLText.identifier($0)) IS NOT NULL" }.joined(separator: " OR ")
            let select =
                (key.map(\.name).enumerated().map { "\(dialect.sealLiteral("v." + SQLText.identifier($1))) AS \"k\($0)\"" }
                + fields.enumerated().map { "\(dialect.sealLiteral("v." + SQLText.identifier($1))) AS \"f\($0)\"" }).joined(separator: ", ")
            let rows = try await connection.raw(
                "SELECT CAST(v.\"transaction_id\" AS BIGINT) AS \"_tx\", \(unsafeRaw: select) FROM \(ident: entry.versionTable) AS v WHERE ("
                    + versionCondition + ") AND (\(unsafeRaw: versionAnySet)) AND v.\"transaction_id\" <> \(bind: event)"
            ).all()
            // What the seal knows of the transactions touched: their salts and earlier patches.
            // A prune leaves the digest of each version it removed, salted with its transaction's
            // salt: the transactions of the target rows' pruned versions get new salts too, or a
            // guess of an erased value could be confirmed against such a digest.
            var rowKeys = Set(try rows.map { row in try key.indices.map { try row.decode(column: "k\($0)", as: String.self) }.joined(separator: ",") })
            if case .key(let values) = target { rowKeys.formUnion(try await Self.keyLiterals(values, columns: key, dialect: dialect, on: connection)) }
            let touched = Set(try rows.map { try $0.decode(column: "_tx", as: Int.self) })
                .union(try await self.prunedVersionTransactions(entry.versionTable, keys: rowKeys, on: connection)).sorted()
            let sealed = try await self.sealSalts(touched, on: connection)
            let known = PatchIndex(try await self.sealPatches(concerning: touched, on: connection))
            let coverage = try await self.sealCoverage(on: connection)
            var patches: [SealPatch] = []
            var erased: Set<String> = []
            for row in rows {
                let tx = try row.decode(column: "_tx", as: Int.self)
                // A transaction not sealed yet needs no proof: the seal will take it as it is now.
                guard let salt = sealed[tx] else { continue }
                let rowKey = try key.indices.map { try row.decode(column: "k\($0)", as: String.self) }.joined(separator: ",")
                for (position, field) in fields.enumerated() {
                    // NULL quotes as NULL in both dialects.
                    let literal = try row.decode(column: "f\(position)", as: String.self)
                    guard literal != "NULL" else { continue }
                    // The name the field was sealed under (a column renamed since keeps its old one).
                    let name = coverage.sealedName(entry.versionTable, field, transactionID: tx) ?? field
                    patches.append(
                        SealPatch(
                            event: event, transactionID: tx, table: entry.versionTable, rowKey: rowKey, field: name,
                            digest: known.fieldDigest(tx, entry.versionTable, rowKey, name, literal, salt: salt), value: "NULL"))
                    erased.insert(SealPatch.key(tx, entry.versionTable, rowKey, name))
                }
            }
            let erasedCount = patches.count
            // Each salted transaction touched gets a new salt: the old one, which an erased value's
            // digest needs, is gone. Every other field of the transaction's version rows is
            // checked under the new salt from now on.
            for (tx, salt) in sealed.sorted(by: { $0.key < $1.key }) {
                guard let salt else { continue }
                let newSalt = SealEncoding.newSalt()
                // Every version row of the transaction, in every table, as the seal reads it.
                let content = try await self.sealContent(after: tx - 1, through: tx, dialect: dialect, on: connection)
                for row in content.rows[tx] ?? [] {
                    for (name, literal) in row.fields {
                        let patchKey = SealPatch.key(tx, row.table, row.key, name)
                        if erased.contains(patchKey) { continue }
                        // A field a patch fixed to a literal needs no salt.
                        if let patch = known.fields[patchKey], !patch.isCheck { continue }
                        patches.append(
                            SealPatch(
                                event: event, transactionID: tx, table: row.table, rowKey: row.key, field: name,
                                digest: known.fieldDigest(tx, row.table, row.key, name, literal, salt: salt),
                                value: "=" + SealEncoding.field(name, literal, salt: newSalt)))
                    }
                }
                try await connection.raw("UPDATE \(ident: Self.sealTable) SET \"salt\" = \(bind: newSalt) WHERE \"transaction_id\" = \(bind: tx)").run()
            }
            if !rows.isEmpty {
                try await connection.raw(
                    "UPDATE \(ident: entry.versionTable) AS v SET \(unsafeRaw: erase) WHERE (" + versionCondition + ") AND v.\"transaction_id\" <> \(bind: event)"
                ).run()
            }
            try await self.insert(patches, on: connection)
            return RedactionReport(transactionID: event, versions: rows.count, fields: erasedCount, liveRows: liveRows)
        }
        try await self.seal(on: database)
        return report
    }

    /// The seal's row keys (`row_key`) a version row can have whose key columns hold `values`,
    /// given as text in any form the column's type reads (an upper-case uuid, `02`): each value
    /// converted to its column's type, then written as the seal writes it (PostgreSQL quotes the
    /// text form; SQLite quotes text and writes numbers bare).
    private static func keyLiterals(
        _ values: [String], columns: [ColumnDescription], dialect: SQLDialectKind, on connection: any SQLDatabase
    ) async throws -> Set<String> {
        var keys = [""]
        for (index, value) in values.enumerated() {
            let type = columns[index].type
            let typed: SQLQueryString = type.isEmpty ? "\(bind: value)" : "CAST(\(bind: value) AS \(unsafeRaw: type))"
            let quote: SQLQueryString =
                dialect == .sqlite ? "quote(" + typed + ")" : "quote_nullable(CAST(" + typed + " AS TEXT))"
            let quoted = try await connection.raw("SELECT " + quote + " AS \"q\"").first()!.decode(column: "q", as: String.self)
            let literals = dialect == .sqlite ? [quoted, value] : [quoted]
            keys = keys.flatMap { key in literals.map { (index > 0 ? key + "," : "") + $0 } }
        }
        return Set(keys)
    }

    /// The transactions that wrote versions of `versionTable` with one of `keys` which a prune
    /// removed (recorded as row patches).
    private func prunedVersionTransactions(_ versionTable: String, keys: Set<String>, on connection: any SQLDatabase) async throws -> Set<Int> {
        var ids: Set<Int> = []
        let keys = keys.sorted()
        for start in stride(from: 0, to: keys.count, by: 500) {
            var query: SQLQueryString = """
                SELECT DISTINCT CAST("transaction_id" AS BIGINT) AS "t" FROM \(ident: Self.sealPatchTable)
                WHERE "table_name" = \(bind: versionTable) AND "field" = '' AND "row_key" IN (
                """
            for (index, key) in keys[start..<min(start + 500, keys.count)].enumerated() { query = query + (index > 0 ? ", " : "") + "\(bind: key)" }
            ids.formUnion(try await connection.raw(query + ")").all().map { try $0.decode(column: "t", as: Int.self) })
        }
        return ids
    }
}
