import Foundation
import SQLKit

/// What ``VersioningEngine/revert(_:key:to:userID:remoteAddress:meta:on:)`` did to the row.
public struct RowRevertResult: Sendable, Hashable, CustomStringConvertible {
    /// How the row was put back.
    public enum Action: String, Sendable, Hashable {
        /// The row existed and got the version's values.
        case updated
        /// The row was gone and was inserted again with the version's values and its key.
        case inserted
        /// The row did not exist at that transaction (not yet inserted, or deleted): it was deleted.
        case deleted
        /// The row already was as it was then (absent then and now): nothing was written.
        case unchanged
        /// The key has no history at all (a row that predates versioning and was never
        /// backfilled, or a key that never existed): nothing was written.
        case noHistory
    }

    /// What was done.
    public var action: Action
    /// The version written back (`nil` when the row did not exist at that transaction).
    public var version: TextVersion?

    public var description: String {
        "\(self.action.rawValue)" + (self.version.map { " to the version of transaction \($0.transactionID)" } ?? "")
    }
}

extension VersioningEngine {
    /// Puts one row of `table` back as it was just after transaction `transaction`, with raw
    /// SQL and no Swift model, as a new transaction (a new version recording the revert):
    /// the version valid at that transaction is written back (updating the row, or inserting
    /// it again with its key when it is gone), and a row that did not exist then (not inserted
    /// yet, or deleted) is deleted. Excluded columns keep their current values (a row inserted
    /// again gets their defaults).
    ///
    /// ```swift
    /// try await engine.revert("article", key: ["id": "5"], to: 42, userID: "ops", on: sql)
    /// ```
    ///
    /// - Parameter key: Every primary-key column with its value as text.
    /// - Throws: ``ContinuumError/tableNotVersioned(_:)``, ``ContinuumError/invalidPrimaryKey(table:expected:)``,
    ///   or the database's error (a constraint the old values now break), after rolling back.
    @discardableResult
    public func revert(
        _ table: String,
        key: [String: String],
        to transaction: Int,
        userID: String? = nil,
        remoteAddress: String? = nil,
        meta: [String: String] = [:],
        on database: any SQLDatabase
    ) async throws -> RowRevertResult {
        try await self.versioned(on: database, userID: userID, remoteAddress: remoteAddress, meta: meta) { connection in
            let versions = try await self.textVersions(of: table, key: key, on: connection)
            guard !versions.isEmpty else { return RowRevertResult(action: .noHistory, version: nil) }
            let reader = try await TextVersionReader(table, on: connection)
            guard let live = try await Introspector(connection).describe(table) else { throw ContinuumError.tableNotFound(table) }
            let keyColumns = reader.entry.keyColumns
            let target = versions.last { $0.transactionID <= transaction }.flatMap { $0.operation == .delete ? nil : $0 }
            var match: SQLQueryString = ""
            for (index, column) in keyColumns.enumerated() {
                match =
                    match + (index == 0 ? "" : " AND ") + "l.\(ident: column.name) \(unsafeRaw: reader.dialect.named("=", schema: column.equalityOperatorSchema)) "
                    + reader.typed(key[column.name]!, as: column)
            }
            let liveTable = SQLText.identifier(table)
            // This table's own rows: not an inheritance child's under the same key.
            let ownRows = live.liveRows(liveTable, dialect: reader.dialect)
            let exists = try await connection.raw("SELECT 1 AS \"found\" FROM \(unsafeRaw: ownRows) AS l WHERE " + match).first() != nil
            guard let target else {
                guard exists else { return RowRevertResult(action: .unchanged, version: nil) }
                try await connection.raw("DELETE FROM \(unsafeRaw: ownRows) AS l WHERE " + match).run()
                return RowRevertResult(action: .deleted, version: nil)
            }
            // The versioned columns the table still has, as it describes them now.
            let columns = reader.entry.columns.compactMap { live.column(named: $0.name) }
            let versionTable = reader.versionTable
            let sameKey = keyColumns.map { $0.equals("p.\(SQLText.identifier($0.name))", "l.\(SQLText.identifier($0.name))", in: reader.dialect) }.joined(separator: " AND ")
            if exists {
                let assignments = columns.filter { !$0.isPrimaryKey && $0.isUpdatable }.map { "\(SQLText.identifier($0.name)) = p.\(SQLText.identifier($0.name))" }
                if !assignments.isEmpty {
                    try await connection.raw(
                        """
                        UPDATE \(unsafeRaw: ownRows) AS l SET \(unsafeRaw: assignments.joined(separator: ", ")) FROM \(unsafeRaw: versionTable) AS p \
                        WHERE \(unsafeRaw: sameKey) AND p."transaction_id" = \(bind: target.transactionID) AND
                        """ + " " + match
                    ).run()
                }
                return RowRevertResult(action: .updated, version: target)
            }
            let inserted = columns.filter { !$0.isGenerated }
            let list = inserted.map { SQLText.identifier($0.name) }.joined(separator: ", ")
            let selected = inserted.map { "p.\(SQLText.identifier($0.name))" }.joined(separator: ", ")
            var keyMatch: SQLQueryString = ""
            for (index, column) in keyColumns.enumerated() {
                keyMatch =
                    keyMatch + (index == 0 ? "" : " AND ") + "p.\(ident: column.name) \(unsafeRaw: reader.dialect.named("=", schema: column.equalityOperatorSchema)) "
                    + reader.typed(key[column.name]!, as: column)
            }
            try await connection.raw(
                """
                INSERT INTO \(unsafeRaw: liveTable) (\(unsafeRaw: list))\(unsafeRaw: Self.overriding(inserted)) SELECT \(unsafeRaw: selected) FROM \(unsafeRaw: versionTable) AS p \
                WHERE p."transaction_id" = \(bind: target.transactionID) AND
                """ + " " + keyMatch
            ).run()
            return RowRevertResult(action: .inserted, version: target)
        }
    }
}
