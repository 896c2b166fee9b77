import Foundation
import SQLKit

/// One version with its key and values in the database's text form (`CAST(value AS TEXT)`;
/// binary values as `\x` and hexadecimal digits on both databases), for display and export by
/// tools that have no Swift model of the table, such as the `continuum` command line.
///
/// Prints as its operation, table and transactions, never its values.
public struct TextVersion: Sendable, Hashable, CustomStringConvertible {
    /// The live table.
    public var table: String
    /// The primary-key columns, in key order.
    public var keyColumns: [String]
    /// The primary-key values as text, in key order.
    public var key: [String]
    /// The transaction that wrote this version.
    public var transactionID: Int
    /// The transaction that wrote the next version of the row, or `nil` for the latest.
    public var endTransactionID: Int?
    /// What happened to the row in ``transactionID``.
    public var operation: VersionOperation
    /// The versioned columns (key columns included), in the order the table declares them.
    public var columns: [String]
    /// The value of each of ``columns`` as text, `nil` for NULL.
    public var values: [String?]

    /// The value of `column` as text: `.some(nil)` for NULL, `nil` when the column is not versioned.
    public subscript(column: String) -> String?? {
        self.columns.firstIndex(of: column).map { self.values[$0] }
    }

    public var description: String {
        "\(self.operation) of \"\(self.table)\" in transaction \(self.transactionID)"
            + (self.endTransactionID.map { ", ended by \($0)" } ?? ", the latest")
    }
}

/// One row a transaction changed: the version it wrote and the version that version replaced.
public struct TextChange: Sendable, Hashable {
    /// The version the transaction wrote.
    public var version: TextVersion
    /// The row's version before the transaction (`nil` for a row it inserted and for history
    /// that starts with this version).
    public var previous: TextVersion?

    /// The columns whose value differs between ``previous`` and ``version``, with both values
    /// (every non-NULL column of an INSERT; for a DELETE, every column with its last value
    /// before and `nil` after).
    public var changedColumns: [(column: String, before: String?, after: String?)] {
        TextChange.changes(from: self.previous, to: self.version)
    }

    /// The columns that differ from `old` (a row state, or `nil` for no row) to `new`.
    /// A DELETE version stands for no row after it.
    public static func changes(from old: TextVersion?, to new: TextVersion?) -> [(column: String, before: String?, after: String?)] {
        let before = old.flatMap { $0.operation == .delete ? nil : $0 }
        let after = new.flatMap { $0.operation == .delete ? nil : $0 }
        let columns = (after ?? before)?.columns ?? []
        var result: [(column: String, before: String?, after: String?)] = []
        for column in columns {
            let a = before.flatMap { $0[column] ?? nil }
            let b = after.flatMap { $0[column] ?? nil }
            if a != b || (before == nil) != (after == nil) && (a != nil || b != nil) { result.append((column, a, b)) }
        }
        return result
    }

    public static func == (lhs: TextChange, rhs: TextChange) -> Bool {
        lhs.version == rhs.version && lhs.previous == rhs.previous
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.version)
        hasher.combine(self.previous)
    }
}

extension VersioningEngine {
    /// The default number of rows the streamed reads (``forEachVersion(of:since:batchSize:on:_:)``,
    /// ``forEachRow(of:asOf:batchSize:on:_:)``) fetch per statement.
    public static let defaultReadBatchSize = 5_000

    /// The versions of one row, oldest first, with values as text; the key is given as text
    /// (as a command line reads it) and compared as the key column's type.
    ///
    /// ```swift
    /// let versions = try await engine.textVersions(of: "article", key: ["id": "5"], on: sql)
    /// ```
    ///
    /// - Throws: ``ContinuumError/tableNotVersioned(_:)``, ``ContinuumError/invalidPrimaryKey(table:expected:)``
    ///   when `key` does not name exactly the key columns.
    public func textVersions(of table: String, key: [String: String], on database: any SQLDatabase) async throws -> [TextVersion] {
        let reader = try await TextVersionReader(table, on: database)
        let keyColumns = reader.entry.keyColumns
        guard Set(key.keys) == Set(keyColumns.map(\.name)), key.count == keyColumns.count else {
            throw ContinuumError.invalidPrimaryKey(table: table, expected: keyColumns.map(\.name))
        }
        var query: SQLQueryString = "SELECT \(unsafeRaw: reader.selectList) FROM \(unsafeRaw: reader.versionTable) AS v WHERE "
        for (index, column) in keyColumns.enumerated() {
            query =
                query + (index == 0 ? "" : " AND ") + "v.\(ident: column.name) \(unsafeRaw: reader.dialect.named("=", schema: column.equalityOperatorSchema)) "
                + reader.typed(key[column.name]!, as: column)
        }
        query = query + " ORDER BY v.\"transaction_id\""
        return try await database.raw(query).all().map(reader.decode)
    }

    /// Every row transaction `id` changed in every versioned table, each with the version it
    /// replaced, tables in name order and rows in key order.
    public func textChanges(inTransaction id: Int, on database: any SQLDatabase) async throws -> [TextChange] {
        var changes: [TextChange] = []
        for table in try await self.versionedTables(on: database) {
            let reader = try await TextVersionReader(table.table, on: database)
            let order = reader.entry.keyColumns.map { "v.\(SQLText.identifier($0.name))" }.joined(separator: ", ")
            let written = try await database.raw(
                """
                SELECT \(unsafeRaw: reader.selectList) FROM \(unsafeRaw: reader.versionTable) AS v
                WHERE v."transaction_id" = \(bind: id) ORDER BY \(unsafeRaw: order)
                """
            ).all().map(reader.decode)
            guard !written.isEmpty else { continue }
            let replaced = try await database.raw(
                """
                SELECT \(unsafeRaw: reader.selectList) FROM \(unsafeRaw: reader.versionTable) AS v
                WHERE v."end_transaction_id" = \(bind: id)
                """
            ).all().map(reader.decode)
            let previous = Dictionary(replaced.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            changes += written.map { TextChange(version: $0, previous: previous[$0.key]) }
        }
        return changes
    }

    /// Streams every version of `table`, in key order then transaction order, `batchSize`
    /// rows per statement: memory stays bounded whatever the size of the history.
    ///
    /// - Parameters:
    ///   - since: Only versions written by transactions after this one (for an incremental
    ///     export: pass the largest transaction id the previous export saw).
    ///   - body: Called once per version, in order; throwing from it stops the read.
    /// - Throws: ``ContinuumError/tableNotVersioned(_:)``, ``ContinuumError/invalidBatchSize(_:)``
    ///   for a batch size below 1.
    public func forEachVersion(
        of table: String,
        since: Int? = nil,
        batchSize: Int = VersioningEngine.defaultReadBatchSize,
        on database: any SQLDatabase,
        _ body: @Sendable (TextVersion) async throws -> Void
    ) async throws {
        var condition: SQLQueryString = "1 = 1"
        if let since { condition = "v.\"transaction_id\" > \(bind: since)" }
        try await self.page(table, condition: condition, withTransaction: true, batchSize: batchSize, on: database, body)
    }

    /// Streams the rows `table` held just after transaction `transaction` committed (the
    /// versions valid then, deleted rows left out), in key order, `batchSize` rows per
    /// statement. Columns that were not versioned are not included.
    ///
    /// ```swift
    /// try await engine.forEachRow(of: "article", asOf: 42, on: sql) { row in print(row.key, row["name"]) }
    /// ```
    ///
    /// - Throws: ``ContinuumError/tableNotVersioned(_:)``, ``ContinuumError/invalidBatchSize(_:)``
    ///   for a batch size below 1.
    public func forEachRow(
        of table: String,
        asOf transaction: Int,
        batchSize: Int = VersioningEngine.defaultReadBatchSize,
        on database: any SQLDatabase,
        _ body: @Sendable (TextVersion) async throws -> Void
    ) async throws {
        let condition: SQLQueryString = """
            v."transaction_id" <= \(bind: transaction) AND (v."end_transaction_id" IS NULL OR v."end_transaction_id" > \(bind: transaction)) \
            AND v."operation_type" <> 2
            """
        try await self.page(table, condition: condition, withTransaction: false, batchSize: batchSize, on: database, body)
    }

    /// The last transaction issued at or before `date` (UTC), or `nil` when the log has none
    /// that early: the transaction to read a table "as of" a date with.
    public func transactionID(atOrBefore date: Date, on database: any SQLDatabase) async throws -> Int? {
        let dialect = try SQLDialectKind(database)
        let bound = Self.naiveUTC(date)
        let value: SQLQueryString = dialect == .postgresql ? "CAST(\(bind: bound) AS timestamp)" : "\(bind: bound)"
        let row = try await database.raw(
            """
            SELECT MAX("id") AS "id" FROM \(ident: self.configuration.transactionTable) WHERE "issued_at" <= \(value)
            """
        ).first()
        return try row?.decode(column: "id", as: Int?.self)
    }

    /// `date` as SQLAlchemy-Continuum writes `issued_at`: `YYYY-MM-DD HH:MM:SS.ffffff`, UTC.
    package static func naiveUTC(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let whole = calendar.date(from: parts)!
        let micros = max(0, min(999_999, Int((date.timeIntervalSince(whole) * 1_000_000).rounded(.down))))
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%06d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!, micros
        )
    }

    /// Reads `table`'s version rows matching `condition` in key order (and transaction order
    /// when `withTransaction`), one page of `batchSize` rows per statement, resuming after the
    /// last row of the previous page.
    private func page(
        _ table: String,
        condition: SQLQueryString,
        withTransaction: Bool,
        batchSize: Int,
        on database: any SQLDatabase,
        _ body: @Sendable (TextVersion) async throws -> Void
    ) async throws {
        guard batchSize >= 1 else { throw ContinuumError.invalidBatchSize(batchSize) }
        let reader = try await TextVersionReader(table, on: database)
        let keyColumns = reader.entry.keyColumns
        let order = (keyColumns.map { "v.\(SQLText.identifier($0.name))" } + (withTransaction ? ["v.\"transaction_id\""] : []))
            .joined(separator: ", ")
        var last: TextVersion?
        while true {
            var query: SQLQueryString = "SELECT \(unsafeRaw: reader.selectList) FROM \(unsafeRaw: reader.versionTable) AS v WHERE (" + condition + ")"
            if let last {
                var values: [SQLQueryString] = zip(keyColumns, last.key).map { reader.typed($1, as: $0) }
                if withTransaction { values.append("\(bind: last.transactionID)") }
                query = query + " AND (\(unsafeRaw: order)) > (" + values.joined(separator: ", ") + ")"
            }
            query = query + " ORDER BY \(unsafeRaw: order) LIMIT \(unsafeRaw: String(batchSize))"
            let rows = try await database.raw(query).all()
            for row in rows {
                let version = try reader.decode(row)
                try await body(version)
                last = version
            }
            if rows.count < batchSize { return }
        }
    }
}

/// Reads version rows of one table with every column as text.
struct TextVersionReader: Sendable {
    let entry: RegistryEntry
    let dialect: SQLDialectKind
    /// The version table, quoted.
    let versionTable: String

    init(_ table: String, on database: any SQLDatabase) async throws {
        try SQLText.validate(table)
        self.entry = try await RegistryEntry.require(table, from: database)
        self.dialect = try SQLDialectKind(database)
        self.versionTable = SQLText.identifier(self.entry.versionTable)
    }

    /// The select list: every versioned column as text (`c0`, `c1`, ...), then the bookkeeping columns.
    var selectList: String {
        self.entry.columns.enumerated().map { "\(self.text("v.\(SQLText.identifier($1.name))")) AS \"c\($0)\"" }.joined(separator: ", ")
            + ", v.\"transaction_id\" AS \"tx\", v.\"end_transaction_id\" AS \"end_tx\", v.\"operation_type\" AS \"op\""
    }

    /// `expression` in text form; binary values as `\x` and lowercase hexadecimal digits.
    private func text(_ expression: String) -> String {
        switch self.dialect {
        case .postgresql: "CAST(\(expression) AS TEXT)"
        case .sqlite: "CASE typeof(\(expression)) WHEN 'blob' THEN '\\x' || lower(hex(\(expression))) ELSE CAST(\(expression) AS TEXT) END"
        }
    }

    /// A value given as text, compared as `column`'s type: cast on PostgreSQL, bound as text on
    /// SQLite (whose column affinity converts it).
    func typed(_ value: String, as column: ColumnDescription) -> SQLQueryString {
        switch self.dialect {
        case .postgresql: "CAST(\(bind: value) AS \(unsafeRaw: column.type))"
        case .sqlite: "\(bind: value)"
        }
    }

    func decode(_ row: any SQLRow) throws -> TextVersion {
        let columns = self.entry.columns
        let values = try columns.indices.map { try row.decode(column: "c\($0)", as: String?.self) }
        let operation = try row.decode(column: "op", as: Int.self)
        guard let known = VersionOperation(rawValue: operation) else {
            throw ContinuumError.unknownOperation(table: self.entry.table, operationType: operation)
        }
        let keyColumns = self.entry.keyColumns.map(\.name)
        return TextVersion(
            table: self.entry.table,
            keyColumns: keyColumns,
            key: keyColumns.map { name in values[columns.firstIndex { $0.name == name }!] ?? "" },
            transactionID: try row.decode(column: "tx", as: Int.self),
            endTransactionID: try row.decode(column: "end_tx", as: Int?.self),
            operation: known,
            columns: columns.map(\.name),
            values: values
        )
    }
}
