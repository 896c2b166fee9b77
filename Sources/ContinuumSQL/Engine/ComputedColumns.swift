import SQLKit

/// The columns of a live table whose values the database computes, which a revert writes
/// differently: generated columns are never written, identity columns `GENERATED ALWAYS` are
/// inserted with `OVERRIDING SYSTEM VALUE` and never updated (PostgreSQL; empty on SQLite).
package struct ComputedColumns: Sendable, Hashable {
    /// Generated columns.
    package var generated: Set<String>
    /// Identity columns `GENERATED ALWAYS`.
    package var identityAlways: Set<String>

    package static let none = ComputedColumns(generated: [], identityAlways: [])
}

extension VersioningEngine {
    /// The columns of `table` whose values the database computes (``ComputedColumns``), read
    /// once per engine and table (dropped by this engine's `enable`, `sync`, `alter`,
    /// `disable`). SQLite reports none: it does not list generated columns, so they are not
    /// versioned there.
    package func computedColumns(of table: String, on database: any SQLDatabase) async throws -> ComputedColumns {
        if let known = self.registryCache.computedColumns(table) { return known }
        guard try SQLDialectKind(database) == .postgresql else { return .none }
        // One query; a missing table has none (the write that follows reports it).
        let rows = try await database.raw(
            """
            SELECT a.attname::text AS "name", a.attgenerated <> '' AS "generated"
            FROM pg_catalog.pg_attribute a
            WHERE a.attrelid = CAST(pg_catalog.to_regclass(\(bind: SQLText.identifier(table))) AS oid) AND a.attnum > 0 AND NOT a.attisdropped
              AND (a.attgenerated <> '' OR a.attidentity = 'a')
            """
        ).all()
        var columns = ComputedColumns.none
        for row in rows {
            let name = try row.decode(column: "name", as: String.self)
            if try row.decode(column: "generated", as: Bool.self) { columns.generated.insert(name) } else { columns.identityAlways.insert(name) }
        }
        self.registryCache.store(columns, for: table)
        return columns
    }
}
