import SQLKit

/// The space one versioned table and its history take, from ``VersioningEngine/storage(on:)``.
public struct TableStorage: Sendable, Hashable, Codable {
    /// The live table.
    public var table: String
    /// Its version table.
    public var versionTable: String
    /// Rows in the live table.
    public var liveRows: Int
    /// Rows in the version table.
    public var versions: Int
    /// Bytes of the live table with its indexes (and, on PostgreSQL, its TOAST data).
    public var liveBytes: Int
    /// Bytes of the version table with its indexes (and, on PostgreSQL, its TOAST data).
    public var versionBytes: Int

    /// Bytes per version row, indexes included; `nil` without versions.
    public var bytesPerVersion: Double? { self.versions == 0 ? nil : Double(self.versionBytes) / Double(self.versions) }
    /// History's size against the live table's; `nil` for an empty live table.
    public var ratio: Double? { self.liveBytes == 0 ? nil : Double(self.versionBytes) / Double(self.liveBytes) }
}

extension VersioningEngine {
    /// The bytes every versioned table and its version table take, with their indexes:
    /// PostgreSQL `pg_total_relation_size`, SQLite the pages of the table and its indexes
    /// (`dbstat`, or an estimate from the row count and the average row when SQLite lacks it).
    ///
    /// - Throws: ``ContinuumError/schemaNotInstalled``, or the driver's error.
    public func storage(on database: any SQLDatabase) async throws -> [TableStorage] {
        let dialect = try SQLDialectKind(database)
        guard try await self.isInstalled(on: database) else { throw ContinuumError.schemaNotInstalled }
        var result: [TableStorage] = []
        let dbstat = dialect == .sqlite ? (try? await database.rows(generated: "SELECT COUNT(*) AS \"n\" FROM dbstat WHERE 0")) != nil : false
        func bytes(_ table: String) async throws -> Int {
            switch dialect {
            case .postgresql:
                return try await database.raw("SELECT CAST(pg_total_relation_size(CAST(\(bind: SQLText.identifier(table)) AS regclass)) AS BIGINT) AS \"b\"").first()!
                    .decode(column: "b", as: Int.self)
            case .sqlite where dbstat:
                return try await database.raw(
                    """
                    SELECT CAST(COALESCE(SUM("pgsize"), 0) AS INTEGER) AS "b" FROM dbstat
                    WHERE "name" IN (SELECT "name" FROM sqlite_master WHERE "tbl_name" = \(bind: table))
                    """
                ).first()!.decode(column: "b", as: Int.self)
            case .sqlite:
                // No dbstat in this SQLite build: the table's and its indexes' share of the file,
                // estimated from the stored bytes of its rows.
                let columns = try await Introspector(database).describe(table)?.columns.map { "COALESCE(length(\(SQLText.identifier($0.name))), 0)" } ?? []
                let sum = columns.isEmpty ? "0" : columns.joined(separator: " + ")
                return try await database.rows(generated: "SELECT CAST(COALESCE(SUM(\(sum)), 0) AS INTEGER) AS \"b\" FROM \(SQLText.identifier(table))").first!
                    .decode(column: "b", as: Int.self)
            }
        }
        func count(_ table: String) async throws -> Int {
            try await database.rows(generated: "SELECT COUNT(*) AS \"n\" FROM \(SQLText.identifier(table))").first!.decode(column: "n", as: Int.self)
        }
        for entry in try await RegistryEntry.all(from: database) {
            result.append(
                TableStorage(
                    table: entry.table, versionTable: entry.versionTable, liveRows: try await count(entry.table), versions: try await count(entry.versionTable),
                    liveBytes: try await bytes(entry.table), versionBytes: try await bytes(entry.versionTable)))
        }
        return result
    }
}
