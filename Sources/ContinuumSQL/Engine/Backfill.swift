import Foundation
import SQLKit

/// How far a backfill got: reported after every batch, and returned when it ends.
public struct BackfillProgress: Sendable, Hashable, CustomStringConvertible {
    /// The live table.
    public var table: String
    /// Live rows looked at so far.
    public var rowsScanned: Int
    /// INSERT versions written so far (rows that had no version yet).
    public var versionsWritten: Int
    /// The transaction the versions belong to, `nil` while none was written.
    public var transactionID: Int?
    /// Whether every row has been looked at.
    public var isFinished: Bool

    public var description: String {
        "\(self.table): \(self.rowsScanned) rows scanned, \(self.versionsWritten) versions written"
            + (self.transactionID.map { " in transaction \($0)" } ?? "") + (self.isFinished ? ", done" : "")
    }
}

/// The `transaction_meta` key marking a backfill's transaction; its value is the table's name.
let backfillMetaKey = "continuum.backfill"

extension VersioningEngine {
    /// The default number of rows a backfill reads per statement.
    public static let defaultBackfillBatchSize = 10_000

    /// Writes an INSERT version for every row of a versioned `table` that has no version yet:
    /// rows that existed before versioning was enabled with `backfill: false`, or before
    /// swift-continuum backfilled at `enable` at all. The versions share one transaction whose
    /// `transaction_meta` has the key `continuum.backfill` (the table's name as value).
    ///
    /// The table is read in primary-key order (SQLite: rowid order), `batchSize` rows per
    /// batch, and each batch commits on its own (unless the caller opened a transaction), so
    /// memory stays bounded and writers wait at most one batch (a batch locks the table
    /// against writes). It is resumable: run it again after an interruption and it continues
    /// with the rows still missing a version (in a new transaction). A row changed between
    /// `enable` and its backfill already has an UPDATE version and is left as it is: its state
    /// before that change was never recorded. Run at `enable` (the default), the backfill
    /// happens in the enable's own transaction and no change can slip in between.
    ///
    /// Rows whose key's last version is a DELETE (history adopted from an earlier versioning)
    /// get an INSERT version that closes it.
    ///
    /// `progress` is called after each committed batch; throwing from it stops the backfill
    /// there (what is committed stays; run `backfill` again to continue).
    ///
    /// - Throws: ``ContinuumError/tableNotVersioned(_:)``, ``ContinuumError/tableNotFound(_:)``,
    ///   ``ContinuumError/invalidBatchSize(_:)`` for a batch size below 1.
    @discardableResult
    public func backfill(
        _ table: String,
        batchSize: Int = VersioningEngine.defaultBackfillBatchSize,
        on database: any SQLDatabase,
        progress: (@Sendable (BackfillProgress) async throws -> Void)? = nil
    ) async throws -> BackfillProgress {
        try SQLText.validate(table)
        let dialect = try SQLDialectKind(database)
        let backfill = try await database.withSession { connection in
            try await Backfill(engine: self, table: table, batchSize: batchSize, dialect: dialect, connection: connection)
        }
        while true {
            let state = try await database.continuumAtomically(dialect) { connection in
                try await backfill.batch(on: connection, locking: true)
            }
            try await progress?(state)
            if state.isFinished { return state }
        }
    }

    /// The backfill run by `enable`, in its transaction on `connection`.
    func backfillInTransaction(
        _ table: String, batchSize: Int, on connection: any SQLDatabase, progress: (@Sendable (BackfillProgress) async throws -> Void)?
    ) async throws {
        let backfill = try await Backfill(
            engine: self, table: table, batchSize: batchSize, dialect: try SQLDialectKind(connection), connection: connection
        )
        while true {
            let state = try await backfill.batch(on: connection, locking: false)
            try await progress?(state)
            if state.isFinished { return }
        }
    }
}

/// One backfill run: its plan, its cursor and its transaction.
private final class Backfill: @unchecked Sendable {
    private let engine: VersioningEngine
    private let plan: VersioningPlan
    private let dialect: SQLDialectKind
    private let batchSize: Int
    /// SQLite: the name that reads the table's rowid (no column shadows it), the cursor; `nil`
    /// on PostgreSQL and for a `WITHOUT ROWID` table, whose primary key is the cursor.
    private let rowid: String?
    private let lock = NSLock()
    private var cursor: [String]?
    private var state: BackfillProgress

    init(engine: VersioningEngine, table: String, batchSize: Int, dialect: SQLDialectKind, connection: any SQLDatabase) async throws {
        guard batchSize >= 1 else { throw ContinuumError.invalidBatchSize(batchSize) }
        let entry = try await RegistryEntry.require(table, from: connection)
        guard let live = try await Introspector(connection).describe(table) else { throw ContinuumError.tableNotFound(table) }
        // The columns the triggers copy (the registry's), as the live table describes them.
        let described = TableDescription(
            schema: live.schema, name: table, columns: live.columns.filter { column in entry.columns.contains { $0.name == column.name } },
            isPartitioned: live.isPartitioned
        )
        var options = entry.options
        options.excludedColumns = []
        self.plan = try VersioningPlan(table: described, options: options, configuration: engine.configuration)
        self.engine = engine
        self.dialect = dialect
        self.batchSize = batchSize
        if dialect == .sqlite {
            let sql =
                try await connection.raw(
                    "SELECT \"sql\" FROM \"sqlite_master\" WHERE \"type\" = 'table' AND \"name\" = \(bind: table)"
                ).first()?.decode(column: "sql", as: String?.self) ?? ""
            let name = sql.uppercased().contains("WITHOUT ROWID") ? nil : ["rowid", "_rowid_", "oid"].first { live.column(named: $0) == nil }
            self.rowid = name.map { "\"\($0)\"" }
        } else {
            self.rowid = nil
        }
        self.state = BackfillProgress(table: table, rowsScanned: 0, versionsWritten: 0, transactionID: nil, isFinished: false)
    }

    private func qualified(_ name: String) -> String {
        (self.plan.table.schema.map { SQLText.identifier($0) + "." } ?? "") + SQLText.identifier(name)
    }

    /// Backfills the next batch on `connection`, inside a transaction the caller opened.
    func batch(on connection: any SQLDatabase, locking: Bool) async throws -> BackfillProgress {
        let (cursor, current) = self.lock.withLock { (self.cursor, self.state) }
        let live = self.qualified(self.plan.table.name)
        if locking {
            switch self.dialect {
            case .postgresql:
                // Writers wait for the batch: none can change a row between the check for its
                // version and the version's insert.
                try await connection.run(generated: "LOCK TABLE \(live) IN SHARE ROW EXCLUSIVE MODE")
            case .sqlite:
                // Take the write lock first, so the batch reads what it writes against.
                try await connection.run(generated: "UPDATE \(SQLText.identifier(VersioningConfiguration.stateTable)) SET \"id\" = \"id\" WHERE 0")
            }
        }
        let range = try await self.nextRange(after: cursor, on: connection)
        var state = current
        state.rowsScanned += range.count
        guard range.count > 0 else {
            state.isFinished = true
            self.lock.withLock { self.state = state }
            return state
        }
        // The transaction is created only once a version is to be written: a backfill that
        // finds every row versioned leaves no trace (not even a used id).
        if state.transactionID == nil, try await self.anyMissing(after: cursor, through: range.last, on: connection) {
            state.transactionID = try await self.createTransaction(on: connection)
        }
        if let transactionID = state.transactionID {
            state.versionsWritten += try await self.write(after: cursor, through: range.last, transactionID: transactionID, on: connection)
        }
        state.isFinished = range.count < self.batchSize
        self.lock.withLock {
            self.cursor = range.last
            self.state = state
        }
        return state
    }

    /// The rows of the next batch: how many, and the cursor value of the last one (as text).
    private func nextRange(after cursor: [String]?, on connection: any SQLDatabase) async throws -> (count: Int, last: [String]?) {
        let live = self.plan.table.liveRows(self.qualified(self.plan.table.name), dialect: self.dialect)
        let columns = self.cursorColumns
        let row = try await connection.raw(
            """
            WITH "_continuum_batch" AS MATERIALIZED (SELECT \(unsafeRaw: columns.enumerated().map { "l.\($1) AS \"c\($0)\"" }.joined(separator: ", "))
                FROM \(unsafeRaw: live) AS l \(self.after(cursor)) ORDER BY \(unsafeRaw: columns.map { "l.\($0)" }.joined(separator: ", "))
                LIMIT \(unsafeRaw: String(self.batchSize)))
            SELECT (SELECT COUNT(*) FROM "_continuum_batch") AS "n", \(unsafeRaw: columns.indices.map { "\(self.asText("\"c\($0)\"")) AS \"k\($0)\"" }.joined(separator: ", "))
            FROM "_continuum_batch" ORDER BY \(unsafeRaw: columns.indices.map { "\"c\($0)\" DESC" }.joined(separator: ", ")) LIMIT 1
            """
        ).first()
        guard let row else { return (0, nil) }
        return (try row.decode(column: "n", as: Int.self), try columns.indices.map { try row.decode(column: "k\($0)", as: String.self) })
    }

    /// The quoted cursor columns: the rowid on SQLite rowid tables, the primary key otherwise.
    private var cursorColumns: [String] {
        self.rowid.map { [$0] } ?? self.plan.primaryKey.map { SQLText.identifier($0.name) }
    }

    private func asText(_ expression: String) -> String {
        self.dialect == .postgresql ? "(\(expression))::text" : "CAST(\(expression) AS TEXT)"
    }

    /// `WHERE (cursor) > (last values)`, the values bound as text and cast back to each key
    /// column's type (PostgreSQL), or compared under the column's affinity (SQLite rowid).
    private func after(_ cursor: [String]?, alias: String = "l") -> SQLQueryString {
        guard let cursor else { return "" }
        let columns = self.cursorColumns.map { "\(alias).\($0)" }.joined(separator: ", ")
        return "WHERE (\(unsafeRaw: columns)) \(unsafeRaw: self.cursorOperator(">")) (\(self.cursorValues(cursor)))"
    }

    /// A comparison of the cursor (SQLite's rowid, or the key) named with its schema on
    /// PostgreSQL: the caller's search path may name a schema where others can create a better
    /// match (`varchar` has no operators of its own) that would run as the caller.
    private func cursorOperator(_ op: String) -> String {
        self.dialect == .postgresql ? self.plan.keyRowOperator(op, dialect: self.dialect) : op
    }

    /// A cursor's values, bound as text and cast back to each cursor column's type.
    private func cursorValues(_ cursor: [String]) -> SQLQueryString {
        var values: SQLQueryString = ""
        for (index, value) in cursor.enumerated() {
            if index > 0 { values = values + ", " }
            switch self.dialect {
            case .postgresql: values = values + "CAST(\(bind: value) AS \(unsafeRaw: self.plan.primaryKey[index].type))"
            case .sqlite: values = values + (self.rowid == nil ? "\(bind: value)" : "CAST(\(bind: value) AS INTEGER)")
            }
        }
        return values
    }

    /// ` AND (key) > (cursor) AND (key) <= (last)` on the version table's key columns (qualified
    /// by `alias`), when the cursor is the primary key: the version rows a batch can match lie
    /// in its key range, so each batch reads its own range of the version table's indexes
    /// instead of everything before it (quadratic over a large table). Empty for SQLite's rowid
    /// cursor.
    private func versionKeyRange(after cursor: [String]?, through last: [String]?, alias: String?) -> SQLQueryString {
        guard self.rowid == nil else { return "" }
        let columns = self.plan.primaryKey.map { (alias.map { "\($0)." } ?? "") + SQLText.identifier($0.name) }.joined(separator: ", ")
        var range: SQLQueryString = ""
        if let cursor { range = range + " AND (\(unsafeRaw: columns)) \(unsafeRaw: self.cursorOperator(">")) (\(self.cursorValues(cursor)))" }
        if let last { range = range + " AND (\(unsafeRaw: columns)) \(unsafeRaw: self.cursorOperator("<=")) (\(self.cursorValues(last)))" }
        return range
    }

    /// The batch's rows, in cursor order.
    private func batch(after cursor: [String]?) -> SQLQueryString {
        let order = self.cursorColumns.map { "l.\($0)" }.joined(separator: ", ")
        return """
            SELECT * FROM \(unsafeRaw: self.plan.table.liveRows(self.qualified(self.plan.table.name), dialect: self.dialect)) AS l \(self.after(cursor)) ORDER BY \(unsafeRaw: order) \
            LIMIT \(unsafeRaw: String(self.batchSize))
            """
    }

    /// `SELECT 1` when the batch row `b` has an open INSERT or UPDATE version.
    private func openVersion(after cursor: [String]?, through last: [String]?) -> SQLQueryString {
        """
        SELECT 1 FROM \(unsafeRaw: self.qualified(self.plan.versionTable)) AS v WHERE \(unsafeRaw: self.plan.keyMatch("b", alias: "v", dialect: self.dialect)) \
        AND v."end_transaction_id" IS NULL AND v."operation_type" <> 2
        """ + self.versionKeyRange(after: cursor, through: last, alias: "v")
    }

    /// Whether a row of the batch has no version yet.
    private func anyMissing(after cursor: [String]?, through last: [String]?, on connection: any SQLDatabase) async throws -> Bool {
        try await connection.raw(
            """
            SELECT 1 AS "missing" FROM (\(self.batch(after: cursor))) AS b WHERE NOT EXISTS (\(self.openVersion(after: cursor, through: last))) LIMIT 1
            """
        ).first() != nil
    }

    /// Writes the batch's missing versions; returns how many.
    private func write(after cursor: [String]?, through last: [String]?, transactionID: Int, on connection: any SQLDatabase) async throws -> Int {
        let versionTable = self.qualified(self.plan.versionTable)
        let batch = self.batch(after: cursor)
        let openVersion = self.openVersion(after: cursor, through: last)
        // The INSERT version of each row, as the triggers would write it.
        let layout = VersionRowLayout(self.plan)
        let sources = VersionRowSources(row: { "b.\(SQLText.identifier($0.name))" }, transactionID: String(transactionID))
        let dialect = self.dialect.dialect(self.engine.configuration)
        let values = layout.written(.insert).map { dialect.render($0, sources) }
        // A key whose last version is a DELETE (adopted history) is closed by the new INSERT.
        let close: SQLQueryString = """
            UPDATE \(unsafeRaw: versionTable) SET "end_transaction_id" = \(unsafeRaw: String(transactionID))
            WHERE "end_transaction_id" IS NULL AND "operation_type" = 2 AND "transaction_id" <> \(unsafeRaw: String(transactionID))
            AND EXISTS (SELECT 1 FROM (\(batch)) AS b WHERE \(unsafeRaw: self.plan.keyMatch("b", alias: versionTable, dialect: self.dialect)))
            """ + self.versionKeyRange(after: cursor, through: last, alias: nil)
        let insert: SQLQueryString = """
            INSERT INTO \(unsafeRaw: versionTable) (\(unsafeRaw: layout.columnList))
            SELECT \(unsafeRaw: values.joined(separator: ", ")) FROM (\(batch)) AS b WHERE NOT EXISTS (\(openVersion))
            """
        switch self.dialect {
        case .sqlite:
            // The insert's NOT EXISTS only looks at open INSERT and UPDATE versions: close first.
            try await connection.raw(close).run()
            try await connection.raw(insert).run()
            return try await connection.raw("SELECT changes() AS \"n\"").first()?.decode(column: "n", as: Int.self) ?? 0
        case .postgresql:
            // The close runs first: the insert's NOT EXISTS only looks at open INSERT and UPDATE versions.
            try await connection.raw(close).run()
            let row = try await connection.raw("WITH \"inserted\" AS (\(insert) RETURNING 1) SELECT COUNT(*) AS \"n\" FROM \"inserted\"").first()
            return try row?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    private func createTransaction(on connection: any SQLDatabase) async throws -> Int {
        let configuration = self.engine.configuration
        let transaction = self.qualified(configuration.transactionTable)
        let row: (any SQLRow)? =
            switch self.dialect {
            case .sqlite:
                try await connection.raw(
                    """
                    INSERT INTO \(unsafeRaw: transaction) ("issued_at") VALUES (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000') RETURNING "id"
                    """
                ).first()
            case .postgresql:
                try await connection.raw(
                    """
                    INSERT INTO \(unsafeRaw: transaction) ("issued_at", "native_transaction_id", "login_role", "client_addr")
                    VALUES (now() AT TIME ZONE 'UTC', pg_current_xact_id(), session_user, host(inet_client_addr())) RETURNING "id"
                    """
                ).first()
            }
        guard let id = try row?.decode(column: "id", as: Int.self) else {
            throw ContinuumError.transactionIDMissing(transactionTable: configuration.transactionTable)
        }
        try await connection.raw(
            """
            INSERT INTO \(unsafeRaw: self.qualified(configuration.transactionMetaTable)) ("transaction_id", "key", "value")
            VALUES (\(bind: id), \(bind: backfillMetaKey), \(bind: self.plan.table.name))
            """
        ).run()
        try await connection.raw(
            """
            INSERT INTO \(unsafeRaw: self.qualified(configuration.transactionChangesTable)) ("transaction_id", "entity_name")
            VALUES (\(bind: id), \(bind: self.plan.entityName))
            """
        ).run()
        return id
    }
}
