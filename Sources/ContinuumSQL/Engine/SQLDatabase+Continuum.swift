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
    /// Works whether or not the caller already opened a transaction: SQLite's `SAVEPOINT`
    /// opens one when none is open; PostgreSQL refuses `SAVEPOINT` outside a transaction
    /// block (SQLSTATE 25P01), and then the engine opens one with `BEGIN`.
    func continuumAtomically<R>(
        _ dialect: SQLDialectKind,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        try await self.withSession { connection in
            let savepoint = "\"_continuum_atomic\""
            var useBegin = false
            do {
                try await connection.run(generated: "SAVEPOINT \(savepoint)")
            } catch where dialect == .postgresql && String(reflecting: error).contains("25P01") {
                // 25P01 no_active_sql_transaction: no transaction block is open, so open one.
                // The failed statement ran in an implicit transaction of its own and left nothing behind.
                useBegin = true
                try await connection.run(generated: "BEGIN")
            }
            do {
                let result = try await body(connection)
                try await connection.run(generated: useBegin ? "COMMIT" : "RELEASE SAVEPOINT \(savepoint)")
                return result
            } catch {
                if useBegin {
                    try? await connection.run(generated: "ROLLBACK")
                } else {
                    try? await connection.run(generated: "ROLLBACK TO SAVEPOINT \(savepoint)")
                    try? await connection.run(generated: "RELEASE SAVEPOINT \(savepoint)")
                }
                throw error
            }
        }
    }
}

/// Collects rows delivered on the driver's event loop.
private final class RowCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var rows: [any SQLRow] = []
    func append(_ row: any SQLRow) { self.lock.withLock { self.rows.append(row) } }
    var all: [any SQLRow] { self.lock.withLock { self.rows } }
}
