import SQLKit

/// What ``VersioningEngine/verify(_:on:)`` found wrong with one table's history.
///
/// Keys are reported as text so that a report can point at rows; nothing else of a row's
/// values is included, and ``description`` prints counts and transaction ids only.
public struct IntegrityReport: Sendable, Hashable, CustomStringConvertible {
    /// One violated invariant.
    public enum Problem: Sendable, Hashable, CustomStringConvertible {
        /// A version's `end_transaction_id` is not the `transaction_id` of the entity's next
        /// version (or the latest version is closed, or an earlier one is open).
        case brokenChain(key: [String], transactionID: Int, endTransactionID: Int?)
        /// A version closes itself or points backwards in time.
        case selfClosing(key: [String], transactionID: Int)
        /// A live row's values differ from its open version.
        case liveRowDiffers(key: [String])
        /// A live row has no open INSERT or UPDATE version.
        case liveRowWithoutVersion(key: [String])
        /// An open INSERT or UPDATE version whose row is gone (a delete that wrote no version).
        case versionWithoutLiveRow(key: [String])
        /// A version points at a transaction that is not in the transaction log.
        case missingTransaction(id: Int)
        /// A transaction wrote versions of the table, but `transaction_changes` does not name the
        /// table's entity for it: the change is hidden from the transaction log's list of
        /// changed entities (a row deleted by hand). Checked from the first transaction that
        /// recorded the entity on: SQLAlchemy-Continuum records no association tables, and none
        /// at all without its `TransactionChangesPlugin`.
        case changeNotRecorded(transactionID: Int)
        /// SQLite: the `_continuum_state` row says a scope is active while none is (left by a
        /// scope whose body committed on its own and failed, or set by hand): every unscoped
        /// write would join one stale transaction with its actor. The next scope resets it.
        case staleScopeState

        public var description: String {
            switch self {
            case .brokenChain(_, let tx, let end):
                "the version of transaction \(tx) ends at \(end.map(String.init) ?? "NULL"), not where the entity's next version begins"
            case .selfClosing(_, let tx): "the version of transaction \(tx) closes itself or ends before it begins"
            case .liveRowDiffers: "a live row differs from its open version"
            case .liveRowWithoutVersion: "a live row has no open INSERT or UPDATE version"
            case .versionWithoutLiveRow: "an open INSERT or UPDATE version has no live row"
            case .missingTransaction(let id): "transaction \(id) is missing from the transaction log"
            case .changeNotRecorded(let id): "transaction \(id) wrote versions of this table, but transaction_changes does not list its entity"
            case .staleScopeState: "the _continuum_state row says a versioned scope is active, but none is: unscoped writes join its transaction"
            }
        }
    }

    /// The live table.
    public var table: String
    /// How many version rows were checked.
    public var versionCount: Int
    /// Every violation found, in the order the checks ran.
    public var problems: [Problem]

    /// Whether the history satisfies every invariant.
    public var isValid: Bool { self.problems.isEmpty }

    public var description: String {
        self.isValid
            ? "history of table \"\(self.table)\" is consistent (\(self.versionCount) versions)"
            : "history of table \"\(self.table)\" has \(self.problems.count) problem(s): "
                + self.problems.prefix(10).map(\.description).joined(separator: "; ")
    }
}

extension VersioningEngine {
    /// Checks the invariants of `table`'s history: each entity's versions form one chain
    /// (each version ends where the next begins, only the last is open, none closes itself),
    /// every live row equals its open version, every deleted row's chain ends in a DELETE,
    /// every version's transaction is in the log, and `transaction_changes` lists the table's
    /// entity for every transaction that wrote its versions. Read-only; run it in tests, after
    /// migrations, or from a health check.
    ///
    /// - Throws: ``ContinuumError/tableNotVersioned(_:)``.
    public func verify(_ table: String, on database: any SQLDatabase) async throws -> IntegrityReport {
        let entry = try await RegistryEntry.require(table, from: database)
        let dialect = try SQLDialectKind(database)
        let introspector = try Introspector(database)
        guard let live = try await introspector.describe(table) else { throw ContinuumError.tableNotFound(table) }
        let versionColumns = try await introspector.describe(entry.versionTable)?.columns ?? []
        let key = entry.keyColumns
        let versioned = entry.columns.filter { !$0.isPrimaryKey && live.column(named: $0.name) != nil }
        let vt = SQLText.identifier(entry.versionTable)
        let lt = live.liveRows(SQLText.identifier(table), dialect: dialect)
        let keyText = key.map { "CAST(v.\(SQLText.identifier($0.name)) AS TEXT)" }
        // Operators named by their schema on PostgreSQL: the caller's search path may name a
        // schema where others can create a better match (`varchar` has no `=` of its own).
        func match(_ a: String, _ b: String) -> String {
            key.map { "\(a).\(SQLText.identifier($0.name)) \(dialect.named("=", schema: $0.equalityOperatorSchema)) \(b).\(SQLText.identifier($0.name))" }
                .joined(separator: " AND ")
        }
        let generator = dialect.dialect(self.configuration)
        func same(_ column: ColumnDescription) -> String {
            let name = SQLText.identifier(column.name)
            let liveType = live.column(named: column.name)?.type ?? column.type
            let stored = versionColumns.first { $0.name == column.name }?.type
            return generator.sameValue(live: "l.\(name)", version: "v.\(name)", column, liveType: liveType, storedType: stored)
        }
        func keys(_ row: any SQLRow) throws -> [String] {
            try key.indices.map { try row.decode(column: "k\($0)", as: String?.self) ?? "NULL" }
        }
        let keySelect = keyText.enumerated().map { "\($1) AS \"k\($0)\"" }.joined(separator: ", ")

        var problems: [IntegrityReport.Problem] = []
        let count = try await database.rows(generated: "SELECT COUNT(*) AS \"n\" FROM \(vt)").first?.decode(column: "n", as: Int.self) ?? 0

        // Only the versions that break the chain come back (a window over the key), so memory
        // stays bounded on a history of millions of versions.
        let partition = key.map { "v.\(SQLText.identifier($0.name))" }.joined(separator: ", ")
        let nativeKey = key.indices.map { "v.\(SQLText.identifier(key[$0].name)) AS \"o\($0)\"" }.joined(separator: ", ")
        let distinct = dialect == .sqlite ? "IS NOT" : "IS DISTINCT FROM"
        let chain = try await database.rows(
            generated: """
                SELECT * FROM (SELECT \(keySelect), \(nativeKey), v."transaction_id" AS "tx", v."end_transaction_id" AS "end",
                       LEAD(v."transaction_id") OVER (PARTITION BY \(partition) ORDER BY v."transaction_id") AS "next"
                    FROM \(vt) AS v) AS c
                WHERE c."end" \(distinct) c."next" OR c."end" <= c."tx"
                ORDER BY \(key.indices.map { "c.\"o\($0)\"" }.joined(separator: ", ")), c."tx"
                """)
        for row in chain {
            let tx = try row.decode(column: "tx", as: Int.self)
            let end = try row.decode(column: "end", as: Int?.self)
            let next = try row.decode(column: "next", as: Int?.self)
            if let end, end <= tx {
                problems.append(.selfClosing(key: try keys(row), transactionID: tx))
            } else if end != next {
                problems.append(.brokenChain(key: try keys(row), transactionID: tx, endTransactionID: end))
            }
        }

        let differs = versioned.isEmpty ? "false" : "NOT (" + SQLText.balanced(versioned.map(same), "AND") + ")"
        let liveRows = try await database.rows(
            generated: """
                SELECT \(key.indices.map { "CAST(l.\(SQLText.identifier(key[$0].name)) AS TEXT) AS \"k\($0)\"" }.joined(separator: ", ")),
                       CASE WHEN v."operation_type" IS NULL OR v."operation_type" = 2 THEN 1 ELSE 0 END AS "missing"
                FROM \(lt) AS l LEFT JOIN \(vt) AS v ON \(match("v", "l")) AND v."end_transaction_id" IS NULL
                WHERE v."operation_type" IS NULL OR v."operation_type" = 2 OR \(differs)
                """)
        for row in liveRows {
            problems.append(try row.decode(column: "missing", as: Int.self) == 1 ? .liveRowWithoutVersion(key: try keys(row)) : .liveRowDiffers(key: try keys(row)))
        }

        let orphans = try await database.rows(
            generated: """
                SELECT \(keySelect) FROM \(vt) AS v
                WHERE v."end_transaction_id" IS NULL AND v."operation_type" <> 2 AND NOT EXISTS (SELECT 1 FROM \(lt) AS l WHERE \(match("l", "v")))
                """)
        for row in orphans { problems.append(.versionWithoutLiveRow(key: try keys(row))) }

        let transactions = SQLText.identifier(self.configuration.transactionTable)
        let missing = try await database.rows(
            generated: """
                SELECT DISTINCT x."id" AS "id" FROM (SELECT "transaction_id" AS "id" FROM \(vt)
                    UNION SELECT "end_transaction_id" FROM \(vt) WHERE "end_transaction_id" IS NOT NULL) AS x
                WHERE NOT EXISTS (SELECT 1 FROM \(transactions) AS t WHERE t."id" = x."id") ORDER BY 1
                """)
        for row in missing { problems.append(.missingTransaction(id: try row.decode(column: "id", as: Int.self))) }

        // From the first transaction that recorded the entity on: history written before it
        // (by SQLAlchemy-Continuum without its TransactionChangesPlugin, or for an association
        // table, which Continuum never records) has no records to miss.
        let changes = SQLText.identifier(self.configuration.transactionChangesTable)
        let unrecorded = try await database.raw(
            """
            SELECT DISTINCT CAST(v."transaction_id" AS BIGINT) AS "id" FROM \(unsafeRaw: vt) AS v
            WHERE v."transaction_id" >= (SELECT min(f."transaction_id") FROM \(unsafeRaw: changes) AS f WHERE f."entity_name" \(unsafeRaw: dialect.named("=")) \(bind: entry.entityName))
            AND NOT EXISTS (SELECT 1 FROM \(unsafeRaw: changes) AS c WHERE c."transaction_id" = v."transaction_id" AND c."entity_name" \(unsafeRaw: dialect.named("=")) \(bind: entry.entityName))
            ORDER BY 1
            """
        ).all()
        for row in unrecorded { problems.append(.changeNotRecorded(transactionID: try row.decode(column: "id", as: Int.self))) }

        if try await dialect.dialectType.hasStaleScope(on: database) {
            problems.append(.staleScopeState)
        }

        return IntegrityReport(table: table, versionCount: count, problems: problems)
    }
}
