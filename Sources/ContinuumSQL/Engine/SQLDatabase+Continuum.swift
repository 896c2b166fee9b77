import Foundation
import SQLKit

extension SQLDatabase {
    /// Runs one generated statement (DDL or a query without binds) and discards its rows.
    func run(generated sql: String) async throws {
        try await self.execute(sql: SQLRaw(sql)) { _ in }
    }

    /// Runs one generated query (no binds; identifiers quoted by ``SQLText``) and returns its rows.
    func rows(generated sql: String) async throws -> [any SQLRow] {
        let rows = RowCollector()
        try await self.execute(sql: SQLRaw(sql)) { rows.append($0) }
        return rows.all
    }

    /// Runs `body` on one connection so that its writes commit or roll back together.
    ///
    /// Works whether or not the caller already opened a transaction: the dialect opens the
    /// block (``Dialect/beginAtomic(on:)``: a savepoint, or a transaction when none is open).
    func continuumAtomically<R>(
        _ dialect: SQLDialectKind,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        try await self.withSession { connection in
            let (commit, rollback) = try await dialect.dialectType.beginAtomic(on: connection)
            do {
                let result = try await body(connection)
                for statement in commit { try await connection.run(generated: statement) }
                return result
            } catch {
                for statement in rollback { try? await connection.run(generated: statement) }
                throw error
            }
        }
    }
}

extension SQLDatabase {
    /// PostgreSQL: whether this connection is inside a transaction block (`BEGIN` ... `COMMIT`).
    ///
    /// A transaction-local setting outlives its statement only inside a block: outside one each
    /// statement is its own transaction. So the probe sets a random token, transaction-locally,
    /// and reads it back in a second statement. Throws when the connection's transaction is
    /// aborted (SQLSTATE 25P02), as every statement then does.
    func inTransactionBlock() async throws -> Bool {
        let token = UUID().uuidString
        let setting = "continuum.block_probe"
        try await self.raw("SELECT pg_catalog.set_config(\(bind: setting), \(bind: token), true)").run()
        let row = try await self.raw("SELECT pg_catalog.current_setting(\(bind: setting), true) AS \"v\"").first()
        let value = try row?.decode(column: "v", as: String?.self)
        if value == token {
            try await self.raw("SELECT pg_catalog.set_config(\(bind: setting), '', true)").run()
            return true
        }
        return false
    }
}

/// Collects rows delivered on the driver's event loop.
private final class RowCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var rows: [any SQLRow] = []
    func append(_ row: any SQLRow) { self.lock.withLock { self.rows.append(row) } }
    var all: [any SQLRow] { self.lock.withLock { self.rows } }
}

extension SQLDatabase {
    /// The rows of a `SELECT *` read, under the columns' current names.
    ///
    /// A SQLite connection keeps the schema it last read. When another connection renames or
    /// adds a column, a `SELECT *` this connection prepares is expanded from its old schema;
    /// SQLite notices the change when the statement runs and prepares it again, but SQLiteNIO
    /// took the column names from the first preparation, so the rows come back under the old
    /// names (a renamed column reads as missing, a new one is not there). So when the first row
    /// lacks one of the `expected` columns, the read runs again on one connection, after a
    /// statement that makes SQLite check its schema (``refreshingSchema(_:)``). The common case
    /// costs nothing; PostgreSQL is never affected.
    package func rowsUnderCurrentNames(
        expecting expected: [String],
        _ read: @escaping @Sendable (any SQLDatabase) async throws -> [any SQLRow]
    ) async throws -> [any SQLRow] {
        let rows = try await read(self)
        guard self.dialect.name == "sqlite", let first = rows.first, !expected.allSatisfy({ first.contains(column: $0) }) else {
            return rows
        }
        return try await self.refreshingSchema(read)
    }

    /// Runs `body` on one connection after making SQLite reload that connection's schema if
    /// another connection changed it (see ``rowsUnderCurrentNames(expecting:_:)``); on
    /// PostgreSQL, runs `body` as it is. Streamed `SELECT *` reads start with it: their first row
    /// comes too late to read again.
    package func refreshingSchema<R>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        guard self.dialect.name == "sqlite" else { return try await body(self) }
        return try await self.withSession { session in
            // Reading the schema table makes SQLite compare the connection's schema with the file's.
            try await session.raw("SELECT 1 FROM sqlite_master WHERE 0").run()
            return try await body(session)
        }
    }
}
