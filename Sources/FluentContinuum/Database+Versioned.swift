import ContinuumSQL
import FluentKit
import SQLKit

extension Database {
    /// Runs `body` in one database transaction whose versioned writes form one `transaction`
    /// row carrying `userID`, `remoteAddress` and `meta`.
    ///
    /// ```swift
    /// try await db.versioned(userID: "42", remoteAddress: "10.0.0.1", meta: ["reason": "typo"]) { db in
    ///     article.name = "Fixed"
    ///     try await article.save(on: db)
    ///     try await Tag.query(on: db).filter(\.$article.$id == article.id!).delete()
    /// }
    /// ```
    /// Everything written inside, by models, query builders or raw SQL, belongs to that one
    /// transaction. A nested call joins the outer scope (the outer actor stands; the inner
    /// meta is added); make it on the `db` the outer scope passed you. A scope that changes
    /// nothing leaves no transaction row. If `body` throws, the transaction rolls back with
    /// its history.
    ///
    /// Write through the `db` passed to `body`: it is the scope's transaction. A nested
    /// `versioned` call on any other handle (the outer `db`, `req.db`) throws
    /// ``/ContinuumSQL/ContinuumError/scopeOnAnotherConnection`` instead of writing outside the scope.
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/scopeOnAnotherConnection`` for a nested call on another handle;
    ///   ``/ContinuumSQL/ContinuumError/userIDTooLong``, ``/ContinuumSQL/ContinuumError/remoteAddressTooLong`` or
    ///   ``/ContinuumSQL/ContinuumError/invalidMetaKey`` for an oversized user id (255 bytes), remote address
    ///   (50 bytes) or meta key; ``/ContinuumSQL/ContinuumError/unsupportedDatabase(_:)``
    ///   for a database that is not SQL-backed SQLite or PostgreSQL; whatever `body` throws.
    public func versioned<R: Sendable>(
        userID: String? = nil,
        remoteAddress: String? = nil,
        meta: [String: String] = [:],
        _ body: @escaping @Sendable (any Database) async throws -> R
    ) async throws -> R {
        let context = TransactionContext(userID: userID, remoteAddress: remoteAddress, meta: meta)
        try context.validate()
        guard let sql = self as? any SQLDatabase else { throw ContinuumError.unsupportedDatabase("\(type(of: self))") }
        if let outer = ScopeState.current {
            try await outer.requireOwnConnection(sql, inTransaction: self.inTransaction)
            outer.merge(meta)
            return try await body(self)
        }
        let dialect = try SQLDialectKind(sql)
        let engine = Continuum.engine(for: self)
        if dialect == .sqlite && !self.inTransaction {
            // SQLite: the scope's first write takes the write lock; while another connection
            // holds it, roll back and wait here, not in SQLite (see VersioningEngine.versioned).
            var wait = SQLiteLockWait()
            while true {
                do {
                    return try await self.transaction { transaction in
                        guard let connection = transaction as? any SQLDatabase else {
                            throw ContinuumError.unsupportedDatabase("\(type(of: transaction))")
                        }
                        let scope = try await engine.beginSQLiteScopeWithoutWaiting(context, openedByFluent: true, on: connection)
                        let result = try await ScopeState.$current.withValue(scope) { try await body(transaction) }
                        try await engine.endScope(scope, dialect: .sqlite, on: connection)
                        return result
                    }
                } catch is SQLiteLockBusy where wait.canRetry {
                    try await wait.sleep()
                } catch {
                    // A body that committed the transaction itself and then failed leaves the
                    // scope's state committed: clear it, so later writes are not attributed to it.
                    if !(error is SQLiteLockBusy) { _ = try? await engine.clearStaleSQLiteScope(on: sql) }
                    throw error
                }
            }
        }
        return try await self.transaction { transaction in
            guard let connection = transaction as? any SQLDatabase else {
                throw ContinuumError.unsupportedDatabase("\(type(of: transaction))")
            }
            return try await engine.runScope(context, dialect: dialect, openedByFluent: true, on: connection) { try await body(transaction) }
        }
    }
}
