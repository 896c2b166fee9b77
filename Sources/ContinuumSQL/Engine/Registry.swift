import Foundation
import SQLKit

/// One row of `_continuum_tables`: how a table was versioned and the columns the triggers
/// were generated from, so `sync` and the drift check need no input from the caller.
struct RegistryEntry: Sendable, Hashable {
    /// The version of the generated SQL. 2: PostgreSQL caches transaction ids per schema,
    /// versions `TRUNCATE`, and shields variables from user columns; SQLite compares JSON
    /// columns by content. 3: PostgreSQL's statement-level update function finds key changes by
    /// counting the rows that kept their key, and the `continuum_columns` trigger that marked
    /// them is disabled (it only holds the column dependencies). 4: PostgreSQL's trigger
    /// functions create a transaction's row themselves (no second owner-run call on a
    /// transaction's first write) and keep the list of schemas as text; SQLite's triggers write
    /// version rows from `VALUES`, close the previous version by its rowid and read `changes()`
    /// instead of re-testing the state row (no temporary table per row). 5: PostgreSQL's
    /// functions look up a new key's open version before writing its INSERT version, instead of
    /// an `UPDATE` that closes nothing and an `ON CONFLICT` insert, and the row-level update
    /// trigger has no `WHEN` clause (the function tests the row; a disabled
    /// `continuum_row_columns` trigger holds the column dependencies). An entry written by an
    /// older version makes ``VersioningEngine/checkDrift(_:on:)`` report
    /// ``DriftReport/Problem/triggersOutdated(_:)``, and `sync` regenerates it.
    static let formatVersion = 5

    var table: String
    var versionTable: String
    var entityName: String
    var options: TableVersioningOptions
    /// The versioned columns the current triggers were generated from.
    var columns: [ColumnDescription]
    var formatVersion: Int

    static func load(_ table: String, from database: any SQLDatabase) async throws -> RegistryEntry? {
        guard
            let row = try await database.raw(
                """
                SELECT "table_name", "version_table", "entity_name", "options", "columns", "format_version"
                FROM \(ident: VersioningConfiguration.registryTable) WHERE "table_name" = \(bind: table)
                """
            ).first()
        else { return nil }
        return try Self(row: row)
    }

    /// The entry of `table`, for callers that need the table to be versioned.
    ///
    /// - Throws: ``ContinuumError/tableNotVersioned(_:)`` when the schema or the table's entry is missing.
    static func require(_ table: String, from database: any SQLDatabase) async throws -> RegistryEntry {
        let introspector = try Introspector(database)
        if try !SQLDialectKind(database).dialectType.failedStatementAbortsTransaction {
            // A failed statement leaves an SQLite transaction usable: read first (one query),
            // ask whether versioning is installed only when the read fails.
            let entry: RegistryEntry?
            do {
                entry = try await Self.load(table, from: database)
            } catch {
                guard try await introspector.tableExists(VersioningConfiguration.registryTable) else {
                    throw ContinuumError.tableNotVersioned(table)
                }
                throw error
            }
            guard let entry else { throw ContinuumError.tableNotVersioned(table) }
            return entry
        }
        // A failed statement would abort the caller's PostgreSQL transaction: probe first.
        let installed = try await introspector.tableExists(VersioningConfiguration.registryTable)
        guard installed, let entry = try await Self.load(table, from: database) else { throw ContinuumError.tableNotVersioned(table) }
        return entry
    }

    /// Columns every row of the version table has: the versioned ones and the bookkeeping
    /// (``SQLDatabase/rowsUnderCurrentNames(expecting:_:)`` checks a read against them).
    var versionRowColumns: [String] {
        self.columns.map(\.name) + [VersioningPlan.transactionColumn, VersioningPlan.endTransactionColumn, VersioningPlan.operationColumn]
    }

    /// The primary-key columns the triggers were generated with, in key order.
    var keyColumns: [ColumnDescription] {
        TableDescription(schema: nil, name: self.table, columns: self.columns).primaryKey
    }

    static func all(from database: any SQLDatabase) async throws -> [RegistryEntry] {
        try await database.raw(
            """
            SELECT "table_name", "version_table", "entity_name", "options", "columns", "format_version"
            FROM \(ident: VersioningConfiguration.registryTable) ORDER BY "table_name"
            """
        ).all().map(Self.init(row:))
    }

    private init(row: any SQLRow) throws {
        let decoder = JSONDecoder()
        self.table = try row.decode(column: "table_name", as: String.self)
        self.versionTable = try row.decode(column: "version_table", as: String.self)
        self.entityName = try row.decode(column: "entity_name", as: String.self)
        self.options = try decoder.decode(TableVersioningOptions.self, from: Data(try row.decode(column: "options", as: String.self).utf8))
        self.columns = try decoder.decode([ColumnDescription].self, from: Data(try row.decode(column: "columns", as: String.self).utf8))
        self.formatVersion = try row.decode(column: "format_version", as: Int.self)
    }

    init(plan: VersioningPlan) {
        self.table = plan.table.name
        self.versionTable = plan.versionTable
        self.entityName = plan.entityName
        self.options = plan.options
        self.columns = plan.columns
        self.formatVersion = Self.formatVersion
    }

    func save(to database: any SQLDatabase) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let options = String(decoding: try encoder.encode(self.options), as: UTF8.self)
        let columns = String(decoding: try encoder.encode(self.columns), as: UTF8.self)
        try await database.raw(
            """
            INSERT INTO \(ident: VersioningConfiguration.registryTable)
                ("table_name", "version_table", "entity_name", "options", "columns", "format_version")
            VALUES (\(bind: self.table), \(bind: self.versionTable), \(bind: self.entityName), \(bind: options), \(bind: columns), \(bind: self.formatVersion))
            ON CONFLICT ("table_name") DO UPDATE SET "version_table" = excluded."version_table", "entity_name" = excluded."entity_name",
                "options" = excluded."options", "columns" = excluded."columns", "format_version" = excluded."format_version"
            """
        ).run()
    }

    static func delete(_ table: String, from database: any SQLDatabase) async throws {
        try await database.raw(
            "DELETE FROM \(ident: VersioningConfiguration.registryTable) WHERE \"table_name\" = \(bind: table)"
        ).run()
    }
}
