import Foundation
import SQLKit

extension VersioningEngine {
    /// The versions of one row, oldest first, found by its primary key.
    ///
    /// ```swift
    /// let versions = try await engine.versions(of: "article", key: ["id": 1], on: sql)
    /// ```
    /// Reads one index range of the version table, whatever its size. A key that was deleted
    /// and inserted again has one chain of versions.
    ///
    /// - Parameter key: Every primary-key column of the table with its value.
    /// - Throws: ``ContinuumError/tableNotVersioned(_:)``, ``ContinuumError/invalidPrimaryKey(table:expected:)``.
    public func versions(
        of table: String,
        key: [String: any Encodable & Sendable],
        on database: any SQLDatabase
    ) async throws -> [VersionRecord] {
        // The registry entry from the cache when this engine has read it before (one query in
        // all); a read that fails or a key that does not match asks the registry again.
        if let cached = self.registryCache.entry(table) {
            do {
                if let records = try await Self.versions(of: table, key: key, entry: cached, on: database) { return records }
            } catch {
                self.registryCache.invalidate(table)
                let fresh = try await RegistryEntry.require(table, from: database)
                guard fresh != cached else { throw error }
                self.registryCache.store(fresh)
                return try await self.versions(of: table, key: key, on: database)
            }
            self.registryCache.invalidate(table)
        }
        let entry = try await RegistryEntry.require(table, from: database)
        self.registryCache.store(entry)
        guard let records = try await Self.versions(of: table, key: key, entry: entry, on: database) else {
            throw ContinuumError.invalidPrimaryKey(table: table, expected: entry.keyColumns.map(\.name))
        }
        return records
    }

    /// The versions of one row read with `entry`, or `nil` when `key` does not name exactly
    /// the entry's key columns.
    private static func versions(
        of table: String,
        key: [String: any Encodable & Sendable],
        entry: RegistryEntry,
        on database: any SQLDatabase
    ) async throws -> [VersionRecord]? {
        let keyColumns = entry.keyColumns.map(\.name)
        guard Set(key.keys) == Set(keyColumns), key.count == keyColumns.count else { return nil }
        let dialect = try SQLDialectKind(database)
        var query: SQLQueryString = "SELECT * FROM \(ident: entry.versionTable) WHERE "
        for (index, column) in entry.keyColumns.enumerated() {
            let equals = dialect.named("=", schema: column.equalityOperatorSchema)
            // A key type with its operators in another schema (citext) takes the value as its type.
            let value: SQLQueryString =
                column.equalityOperatorSchema == nil ? "\(bind: key[column.name]!)" : "CAST(\(bind: key[column.name]!) AS \(unsafeRaw: column.type))"
            query = query + (index == 0 ? "" : " AND ") + "\(ident: column.name) \(unsafeRaw: equals) " + value
        }
        query = query + " ORDER BY \"transaction_id\""
        let statement = query
        return try await database.rowsUnderCurrentNames(expecting: entry.versionRowColumns) { try await $0.raw(statement).all() }
            .map { try VersionRecord(table: table, row: $0) }
    }

    /// Every version written by one transaction, across all versioned tables, grouped by
    /// table name (in no particular order within a table).
    public func versions(inTransaction id: Int, on database: any SQLDatabase) async throws -> [VersionRecord] {
        let tables = try await self.versionedTables(on: database)
        // One connection with a current schema for every table's `SELECT *`.
        return try await database.refreshingSchema { session in
            var records: [VersionRecord] = []
            for table in tables {
                let rows = try await session.raw(
                    "SELECT * FROM \(ident: table.versionTable) WHERE \"transaction_id\" = \(bind: id)"
                ).all()
                records += try rows.map { try VersionRecord(table: table.table, row: $0) }
            }
            return records
        }
    }

    /// The transaction log, newest first, with each transaction's meta and changed entities.
    ///
    /// - Parameters:
    ///   - userID: Only transactions of this actor.
    ///   - before: Only transactions with a smaller id (for paging: pass the last id seen).
    ///   - limit: At most this many transactions.
    public func transactions(
        userID: String? = nil,
        before: Int? = nil,
        limit: Int = 100,
        on database: any SQLDatabase
    ) async throws -> [TransactionRecord] {
        var query: SQLQueryString = """
            SELECT * FROM \(ident: self.configuration.transactionTable) WHERE 1 = 1
            """
        if let userID { query = query + " AND \"user_id\" = \(bind: userID)" }
        if let before { query = query + " AND \"id\" < \(bind: before)" }
        query = query + " ORDER BY \"id\" DESC LIMIT \(bind: max(0, limit))"
        let rows = try await database.raw(query).all()
        var records = try rows.map { row in
            TransactionRecord(
                id: try row.decode(column: "id", as: Int.self),
                issuedAt: try Self.decodeTimestamp(row, column: "issued_at"),
                userID: try row.decode(column: "user_id", as: String?.self),
                remoteAddress: try row.decode(column: "remote_addr", as: String?.self),
                meta: [:],
                changedEntities: [],
                loginRole: row.contains(column: "login_role") ? try row.decode(column: "login_role", as: String?.self) : nil,
                clientAddress: row.contains(column: "client_addr") ? try row.decode(column: "client_addr", as: String?.self) : nil
            )
        }
        guard let lowest = records.last?.id, let highest = records.first?.id else { return records }
        let index = Dictionary(uniqueKeysWithValues: records.enumerated().map { ($1.id, $0) })
        let meta = try await database.raw(
            """
            SELECT "transaction_id", "key", "value" FROM \(ident: self.configuration.transactionMetaTable)
            WHERE "transaction_id" BETWEEN \(bind: lowest) AND \(bind: highest)
            """
        ).all()
        for row in meta {
            if let position = index[try row.decode(column: "transaction_id", as: Int.self)] {
                records[position].meta[try row.decode(column: "key", as: String.self)] = try row.decode(column: "value", as: String?.self) ?? ""
            }
        }
        let changes = try await database.raw(
            """
            SELECT "transaction_id", "entity_name" FROM \(ident: self.configuration.transactionChangesTable)
            WHERE "transaction_id" BETWEEN \(bind: lowest) AND \(bind: highest) ORDER BY "entity_name"
            """
        ).all()
        for row in changes {
            if let position = index[try row.decode(column: "transaction_id", as: Int.self)] {
                records[position].changedEntities.append(try row.decode(column: "entity_name", as: String.self))
            }
        }
        return records
    }

    /// One transaction of the log, or `nil` when no transaction has this id.
    public func transaction(id: Int, on database: any SQLDatabase) async throws -> TransactionRecord? {
        try await self.transactions(before: id + 1, limit: 1, on: database).first { $0.id == id }
    }

    /// Reads a naive-UTC timestamp: PostgreSQL `timestamp`, or SQLite text in
    /// SQLAlchemy's `YYYY-MM-DD HH:MM:SS.ffffff` form.
    static func decodeTimestamp(_ row: any SQLRow, column: String) throws -> Date? {
        if try row.decodeNil(column: column) { return nil }
        if let date = try? row.decode(column: column, as: Date.self) { return date }
        let text = try row.decode(column: column, as: String.self)
        return parseNaiveUTC(text)
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.fraction]` (or with a `T`, or a trailing `Z`) as UTC.
    package static func parseNaiveUTC(_ text: String) -> Date? {
        // "YYYY-MM-DD HH:MM:SS[.fraction]" or with a "T" separator.
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard parts.count == 2 else { return nil }
        let day = parts[0].split(separator: "-").compactMap { Int($0) }
        let time = parts[1].split(separator: ":")
        guard day.count == 3, time.count == 3, let hour = Int(time[0]), let minute = Int(time[1]),
            let seconds = Double(time[2].filter { $0 != "Z" })
        else {
            return nil
        }
        var components = DateComponents()
        components.year = day[0]
        components.month = day[1]
        components.day = day[2]
        components.hour = hour
        components.minute = minute
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let base = calendar.date(from: components) else { return nil }
        return base.addingTimeInterval(seconds)
    }
}
