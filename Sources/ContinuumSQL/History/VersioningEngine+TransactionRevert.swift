import Foundation
import SQLKit

/// What to do with a row that a later transaction changed again, when a transaction is
/// reverted.
public enum RevertConflictPolicy: String, Sendable, Hashable, CaseIterable {
    /// Revert nothing, and throw ``ContinuumError/revertConflicts(transaction:conflicts:)``.
    case fail
    /// Leave such rows as they are now; revert the others.
    case skip
    /// Put such rows back as they were before the transaction too, discarding the later changes.
    case overwrite
}

/// What reverting one transaction does, row by row: the dry run of
/// ``VersioningEngine/revertPlan(transaction:on:)`` and the report of
/// ``VersioningEngine/revert(transaction:conflicts:userID:remoteAddress:meta:on:)``.
public struct TransactionRevertPlan: Sendable, CustomStringConvertible {
    /// How a row is put back.
    public enum Undo: String, Sendable, Hashable {
        /// The transaction inserted the row: delete it.
        case delete
        /// The transaction updated the row: write back the version it replaced.
        case restore
        /// The transaction deleted the row: insert the version it deleted again, with its key.
        case reinsert
    }

    /// One row the transaction changed.
    public struct Change: Sendable, CustomStringConvertible {
        /// The version the transaction wrote (table, key and values in ``VersionRecord/row``).
        public var version: VersionRecord
        /// How the row is put back.
        public var undo: Undo
        /// The transaction that changed the row after this one, if any: a conflict.
        public var conflict: Int? { self.version.endTransactionID }
        /// Whether the revert left this row as it is (a conflict under ``RevertConflictPolicy/skip``).
        public var skipped: Bool

        public var description: String {
            "\(self.undo) \(self.version.table) (written in \(self.version.transactionID)\(self.conflict.map { ", changed again in \($0)" } ?? ""))\(self.skipped ? ", skipped" : "")"
        }
    }

    /// The reverted transaction.
    public var transactionID: Int
    /// Every row it changed, tables in foreign-key order (parents first).
    public var changes: [Change]
    /// The rows a later transaction changed again.
    public var conflicts: [Change] { self.changes.filter { $0.conflict != nil } }

    public var description: String {
        "revert of transaction \(self.transactionID): \(self.changes.count) rows, \(self.conflicts.count) conflicts"
    }
}

extension VersioningEngine {
    /// The meta key under which a revert records the transaction it reverted.
    public static let revertedTransactionMetaKey = "continuum.reverted_transaction"

    /// What reverting transaction `id` would do, without changing anything: every row it
    /// changed in every versioned table, how each would be put back, and which rows a later
    /// transaction changed again (conflicts).
    ///
    /// - Throws: ``ContinuumError/transactionNotFound(_:)`` when the transaction log has no
    ///   transaction `id`.
    public func revertPlan(transaction id: Int, on database: any SQLDatabase) async throws -> TransactionRevertPlan {
        guard try await self.transaction(id: id, on: database) != nil else {
            throw ContinuumError.transactionNotFound(id)
        }
        var changes: [TransactionRevertPlan.Change] = []
        for entry in try await self.orderedEntries(on: database) {
            let keys = entry.keyColumns.map(\.name)
            var query: SQLQueryString = "SELECT * FROM \(ident: entry.versionTable) WHERE \"transaction_id\" = \(bind: id) ORDER BY "
            query = query + SQLQueryString(keys.map { SQLText.identifier($0) }.joined(separator: ", "))
            let statement = query
            for row in try await database.rowsUnderCurrentNames(expecting: entry.versionRowColumns, { try await $0.raw(statement).all() }) {
                let version = try VersionRecord(table: entry.table, row: row)
                let undo: TransactionRevertPlan.Undo =
                    switch version.operation {
                    case .insert: .delete
                    case .update: .restore
                    case .delete: .reinsert
                    }
                changes.append(.init(version: version, undo: undo, skipped: false))
            }
        }
        return TransactionRevertPlan(transactionID: id, changes: changes)
    }

    /// Undoes everything transaction `id` did to versioned tables, as one new transaction
    /// whose meta records `continuum.reverted_transaction = id`: rows it inserted are deleted,
    /// rows it updated get the values it replaced, rows it deleted come back with their keys.
    /// Tables go in foreign-key order (deletes children first, inserts parents first). Set-based:
    /// a few statements per table, whatever the number of rows.
    ///
    /// A row that a later transaction changed again is a conflict, handled by `conflicts`
    /// (``RevertConflictPolicy``). Excluded columns have no history: a row inserted again gets
    /// their defaults. Run inside a `versioned` scope to join it (its actor stands).
    ///
    /// - Returns: The plan as carried out (conflicts skipped under `.skip` are marked).
    /// - Throws: ``ContinuumError/revertConflicts(transaction:conflicts:)`` under `.fail` when
    ///   there are conflicts (nothing is written), ``ContinuumError/transactionNotFound(_:)`` for an
    ///   unknown transaction, or the database's error (a constraint the old rows now break),
    ///   after rolling everything back.
    @discardableResult
    public func revert(
        transaction id: Int,
        conflicts policy: RevertConflictPolicy = .fail,
        userID: String? = nil,
        remoteAddress: String? = nil,
        meta: [String: String] = [:],
        on database: any SQLDatabase
    ) async throws -> TransactionRevertPlan {
        var meta = meta
        meta[Self.revertedTransactionMetaKey] = String(id)
        return try await self.versioned(on: database, userID: userID, remoteAddress: remoteAddress, meta: meta) { connection in
            var plan = try await self.revertPlan(transaction: id, on: connection)
            if policy == .fail, !plan.conflicts.isEmpty {
                throw ContinuumError.revertConflicts(transaction: id, conflicts: plan.conflicts.count)
            }
            for index in plan.changes.indices where policy == .skip && plan.changes[index].conflict != nil {
                plan.changes[index].skipped = true
            }
            let touched = Set(plan.changes.map(\.version.table))
            let entries = try await self.orderedEntries(on: connection).filter { touched.contains($0.table) }
            let unchanged = policy == .skip
            // Deletes children first; restores and inserts parents first.
            for entry in entries.reversed() {
                guard let live = try await Introspector(connection).describe(entry.table) else { throw ContinuumError.tableNotFound(entry.table) }
                try await Self.undoInserts(entry, live: live, transaction: id, unchangedOnly: unchanged, on: connection)
            }
            for entry in entries {
                // The versioned columns the table still has, as it describes them now (which
                // ones the database computes itself).
                guard let live = try await Introspector(connection).describe(entry.table) else { throw ContinuumError.tableNotFound(entry.table) }
                let columns = entry.columns.compactMap { live.column(named: $0.name) }
                try await Self.undoUpdates(entry, live: live, columns: columns, transaction: id, unchangedOnly: unchanged, on: connection)
                try await Self.undoDeletes(entry, columns: columns, transaction: id, unchangedOnly: unchanged, overwrite: policy == .overwrite, on: connection)
            }
            return plan
        }
    }

    /// The versioned tables, parents before the tables whose foreign keys reference them.
    private func orderedEntries(on database: any SQLDatabase) async throws -> [RegistryEntry] {
        guard try await self.isInstalled(on: database) else { return [] }
        let entries = try await RegistryEntry.all(from: database)
        let names = Set(entries.map(\.table))
        var parents: [String: Set<String>] = [:]
        for entry in entries {
            parents[entry.table] = try await Self.referencedTables(entry.table, on: database).intersection(names).subtracting([entry.table])
        }
        var ordered: [RegistryEntry] = []
        var placed = Set<String>()
        var remaining = entries
        while !remaining.isEmpty {
            let ready = remaining.filter { parents[$0.table, default: []].isSubset(of: placed) }
            // A cycle: take the rest in name order.
            let next = ready.isEmpty ? remaining : ready
            ordered += next
            placed.formUnion(next.map(\.table))
            remaining.removeAll { placed.contains($0.table) }
        }
        return ordered
    }

    /// The tables `table`'s foreign keys reference.
    private static func referencedTables(_ table: String, on database: any SQLDatabase) async throws -> Set<String> {
        try await SQLDialectKind(database).dialectType.referencedTables(table, on: database)
    }

    /// `v` key columns equal to `other`'s.
    private static func sameKey(_ entry: RegistryEntry, _ left: String, _ right: String, _ dialect: SQLDialectKind) -> String {
        entry.keyColumns.map { $0.equals("\(left).\(SQLText.identifier($0.name))", "\(right).\(SQLText.identifier($0.name))", in: dialect) }
            .joined(separator: " AND ")
    }

    /// Deletes the rows the transaction inserted.
    private static func undoInserts(
        _ entry: RegistryEntry, live: TableDescription, transaction id: Int, unchangedOnly: Bool, on database: any SQLDatabase
    ) async throws {
        let table = SQLText.identifier(entry.table), versions = SQLText.identifier(entry.versionTable)
        // This table's own rows, not an inheritance child's.
        let ownRows = live.liveRows(table, dialect: try SQLDialectKind(database))
        let condition = unchangedOnly ? " AND v.\"end_transaction_id\" IS NULL" : ""
        try await database.raw(
            """
            DELETE FROM \(unsafeRaw: ownRows) WHERE EXISTS (SELECT 1 FROM \(unsafeRaw: versions) AS v WHERE \(unsafeRaw: Self.sameKey(entry, "v", table, SQLDialectKind(database))) \
            AND v."transaction_id" = \(bind: id) AND v."operation_type" = \(literal: VersionOperationCode.insert)\(unsafeRaw: condition))
            """
        ).run()
    }

    /// Writes back the versions the transaction's updates replaced.
    private static func undoUpdates(
        _ entry: RegistryEntry, live: TableDescription, columns: [ColumnDescription], transaction id: Int, unchangedOnly: Bool,
        on database: any SQLDatabase
    ) async throws {
        let columns = columns.filter { !$0.isPrimaryKey && $0.isUpdatable }.map(\.name)
        guard !columns.isEmpty else { return }
        let table = SQLText.identifier(entry.table), versions = SQLText.identifier(entry.versionTable)
        let condition = unchangedOnly ? " AND v.\"end_transaction_id\" IS NULL" : ""
        let assignments = columns.map { "\(SQLText.identifier($0)) = p.\(SQLText.identifier($0))" }.joined(separator: ", ")
        try await database.raw(
            """
            UPDATE \(unsafeRaw: live.liveRows(table, dialect: try SQLDialectKind(database))) SET \(unsafeRaw: assignments) FROM \(unsafeRaw: versions) AS p JOIN \(unsafeRaw: versions) AS v ON \(unsafeRaw: Self.sameKey(entry, "v", "p", SQLDialectKind(database))) \
            AND v."transaction_id" = \(bind: id) AND v."operation_type" = \(literal: VersionOperationCode.update)\(unsafeRaw: condition) \
            WHERE p."end_transaction_id" = \(bind: id) AND \(unsafeRaw: Self.sameKey(entry, "p", table, SQLDialectKind(database)))
            """
        ).run()
    }

    /// Inserts again the rows the transaction deleted (their versions before it).
    private static func undoDeletes(
        _ entry: RegistryEntry, columns: [ColumnDescription], transaction id: Int, unchangedOnly: Bool, overwrite: Bool, on database: any SQLDatabase
    ) async throws {
        let inserted = columns.filter { !$0.isGenerated }
        let names = inserted.map(\.name)
        let table = SQLText.identifier(entry.table), versions = SQLText.identifier(entry.versionTable)
        let condition = unchangedOnly ? " AND v.\"end_transaction_id\" IS NULL" : ""
        let list = names.map(SQLText.identifier).joined(separator: ", ")
        let selected = names.map { "p.\(SQLText.identifier($0))" }.joined(separator: ", ")
        var upsert = ""
        if overwrite {
            let keys = entry.keyColumns.map { SQLText.identifier($0.name) }.joined(separator: ", ")
            let others = inserted.filter { !$0.isPrimaryKey && $0.isUpdatable }.map { "\(SQLText.identifier($0.name)) = excluded.\(SQLText.identifier($0.name))" }
            upsert = others.isEmpty ? " ON CONFLICT (\(keys)) DO NOTHING" : " ON CONFLICT (\(keys)) DO UPDATE SET \(others.joined(separator: ", "))"
        }
        // SQLite needs a WHERE for its upsert parser to tell ON CONFLICT from a join condition.
        try await database.raw(
            """
            INSERT INTO \(unsafeRaw: table) (\(unsafeRaw: list))\(unsafeRaw: Self.overriding(inserted)) SELECT \(unsafeRaw: selected) FROM \(unsafeRaw: versions) AS p JOIN \(unsafeRaw: versions) AS v ON \(unsafeRaw: Self.sameKey(entry, "v", "p", SQLDialectKind(database))) \
            AND v."transaction_id" = \(bind: id) AND v."operation_type" = \(literal: VersionOperationCode.delete)\(unsafeRaw: condition) \
            WHERE p."end_transaction_id" = \(bind: id)\(unsafeRaw: upsert)
            """
        ).run()
    }
}

extension VersioningEngine {
    /// ` OVERRIDING SYSTEM VALUE` when an insert gives a value to an identity column
    /// `GENERATED ALWAYS` (PostgreSQL), so that a row comes back with its own key.
    static func overriding(_ inserted: [ColumnDescription]) -> String {
        inserted.contains(where: \.isIdentityAlways) ? " OVERRIDING SYSTEM VALUE" : ""
    }
}

/// `operation_type` values, for the revert statements.
private enum VersionOperationCode {
    static let insert = 0, update = 1, delete = 2
}
