import Foundation
import SQLKit

/// Who is acting and why, recorded on the `transaction` row of the writes in a scope.
public struct TransactionContext: Sendable, Hashable {
    /// Stored in `transaction.user_id` (up to 255 bytes).
    public var userID: String?
    /// Stored in `transaction.remote_addr` (up to 50 bytes, enough for any IPv6 address).
    public var remoteAddress: String?
    /// Stored as rows of `transaction_meta` (keys up to 255 bytes).
    public var meta: [String: String]

    public init(userID: String? = nil, remoteAddress: String? = nil, meta: [String: String] = [:]) {
        self.userID = userID
        self.remoteAddress = remoteAddress
        self.meta = meta
    }

    package func validate() throws {
        if let userID, userID.utf8.count > 255 {
            throw ContinuumError.userIDTooLong
        }
        if let remoteAddress, remoteAddress.utf8.count > 50 {
            throw ContinuumError.remoteAddressTooLong
        }
        for key in self.meta.keys where key.isEmpty || key.utf8.count > 255 {
            throw ContinuumError.invalidMetaKey
        }
    }
}

/// The scope in progress in this task, so that nested scopes join it.
package final class ScopeState: @unchecked Sendable {
    @TaskLocal package static var current: ScopeState?

    private let lock = NSLock()
    private var pendingMeta: [String: String]
    /// PostgreSQL: the value of ``scopeSetting`` on the scope's connection, in its transaction.
    let token: String
    let dialect: SQLDialectKind
    /// Whether the scope runs in a Fluent transaction (FluentContinuum's `versioned`): its own
    /// handle then reports `inTransaction`, and a handle that does not is another connection.
    let openedByFluent: Bool

    /// The transaction-local setting that marks the connection a PostgreSQL scope runs on.
    static let scopeSetting = "continuum.scope"

    init(meta: [String: String], dialect: SQLDialectKind, openedByFluent: Bool) {
        self.pendingMeta = meta
        self.dialect = dialect
        self.openedByFluent = openedByFluent
        self.token = UUID().uuidString
    }

    /// A scope nested in this one joins it only on this scope's own connection: a write made
    /// through any other handle (the pool behind the outer `db`, another transaction) would run
    /// outside this scope's transaction. Throws ``ContinuumError/scopeOnAnotherConnection`` then.
    ///
    /// PostgreSQL: only the scope's connection, inside its transaction, holds the scope's token
    /// in ``scopeSetting``. SQLite: only the scope's connection sees the state row active (the
    /// scope's transaction has not committed; every other connection reads the committed row).
    ///
    /// `inTransaction`: what a Fluent handle reports; a Fluent scope's own handle is always in
    /// its transaction, so a handle that is not is refused without a query. (SQLite's Fluent
    /// pool holds one connection per event loop: a query on another handle of the scope's event
    /// loop would wait for the scope's connection until the pool's timeout.)
    package func requireOwnConnection(_ database: any SQLDatabase, inTransaction: Bool? = nil) async throws {
        if self.openedByFluent, inTransaction == false { throw ContinuumError.scopeOnAnotherConnection }
        let own = try await self.dialect.dialectType.isScopeConnection(self, database)
        guard own else { throw ContinuumError.scopeOnAnotherConnection }
    }

    package func merge(_ meta: [String: String]) {
        self.lock.withLock { self.pendingMeta.merge(meta) { _, new in new } }
    }

    var meta: [String: String] { self.lock.withLock { self.pendingMeta } }
}

extension VersioningEngine {
    /// Runs `body` in one database transaction whose versioned writes form one `transaction`
    /// row carrying `userID`, `remoteAddress` and `meta`.
    ///
    /// - If the caller already opened a transaction on `database`, the scope joins it
    ///   (a savepoint keeps its own writes atomic); otherwise it opens and commits one.
    /// - A scope nested in another one (in the same task) joins the outer scope: the outer
    ///   user and address stand, and the inner meta is added to the outer's. It must be given
    ///   the outer scope's connection (the database the outer `body` received); any other
    ///   handle throws ``ContinuumError/scopeOnAnotherConnection`` before `body` runs, because
    ///   its writes would land outside the outer scope's transaction.
    /// - A scope that changes no versioned row leaves no `transaction` row.
    /// - Write through the database passed to `body`: it is the scope's connection.
    ///
    /// Outside a scope, PostgreSQL still groups each database transaction into one
    /// `transaction` row (without a user); SQLite gives each changed row a transaction of its
    /// own, because it has no way to tell transactions apart from inside a trigger.
    ///
    /// - Throws: ``ContinuumError/userIDTooLong``, ``ContinuumError/remoteAddressTooLong`` or ``ContinuumError/invalidMetaKey`` for an oversized user id, address or meta
    ///   key, the driver's error when the schema is not installed, or whatever `body` throws
    ///   (after rolling back).
    public func versioned<R: Sendable>(
        on database: any SQLDatabase,
        userID: String? = nil,
        remoteAddress: String? = nil,
        meta: [String: String] = [:],
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        let context = TransactionContext(userID: userID, remoteAddress: remoteAddress, meta: meta)
        try context.validate()
        if let outer = ScopeState.current {
            try await outer.requireOwnConnection(database)
            outer.merge(meta)
            return try await body(database)
        }
        let dialect = try SQLDialectKind(database)
        if dialect == .sqlite {
            return try await database.withSession { connection in
                try await self.sqliteScope(context, on: connection, body)
            }
        }
        return try await database.continuumAtomically(dialect) { connection in
            try await self.runScope(context, dialect: dialect, on: connection) { try await body(connection) }
        }
    }

    /// How long a SQLite connection waits, sleeping, for a lock once its scope holds the
    /// write lock (a COMMIT waiting for readers to finish), in milliseconds.
    package static let sqliteBusyTimeout = 30_000

    /// A scope on SQLite: the write lock is taken first (`BEGIN IMMEDIATE`), and while another
    /// connection holds it the scope waits here, asleep, not in SQLite. SQLiteNIO's busy handler
    /// retries on the blocking thread pool without sleeping, so connections waiting for the
    /// lock there occupy its threads, and when they outnumber the threads the connection
    /// holding the lock never gets one to commit: a deadlock at 100% CPU. The connection keeps
    /// `PRAGMA busy_timeout` at ``sqliteBusyTimeout`` afterwards, in place of SQLiteNIO's handler.
    /// Inside a transaction the caller opened, the scope joins it with a savepoint, as before.
    private func sqliteScope<R: Sendable>(
        _ context: TransactionContext,
        on connection: any SQLDatabase,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        var wait = SQLiteLockWait()
        while true {
            try await connection.run(generated: "PRAGMA busy_timeout = 0")
            do {
                try await connection.run(generated: "BEGIN IMMEDIATE")
                break
            } catch  where Self.isBusy(error) && wait.canRetry {
                try await wait.sleep()
            } catch {
                try await connection.run(generated: "PRAGMA busy_timeout = \(Self.sqliteBusyTimeout)")
                guard Self.isInTransaction(error) else { throw error }
                // The caller's transaction: join it.
                return try await connection.continuumAtomically(.sqlite) { connection in
                    try await self.runScope(context, dialect: .sqlite, on: connection) { try await body(connection) }
                }
            }
        }
        do {
            try await connection.run(generated: "PRAGMA busy_timeout = \(Self.sqliteBusyTimeout)")
            let result = try await self.runScope(context, dialect: .sqlite, on: connection) { try await body(connection) }
            try await connection.run(generated: "COMMIT")
            return result
        } catch {
            do {
                try await connection.run(generated: "ROLLBACK")
            } catch {
                // The body ended the transaction itself: the scope's state may have been committed.
                _ = try? await self.clearStaleSQLiteScope(on: connection)
            }
            throw error
        }
    }

    /// SQLite: clears a scope state left active outside any scope (a scope whose body committed
    /// the transaction itself and then failed, or a row set by hand). An active state row makes
    /// every later unscoped write join one transaction with that actor, so it must not outlive
    /// its scope. Returns whether there was one.
    @discardableResult
    package func clearStaleSQLiteScope(on connection: any SQLDatabase) async throws -> Bool {
        try await SQLiteDialect.clearStaleScope(on: connection)
    }

    /// SQLite: begins a scope in the transaction open on `connection` (which has taken no
    /// lock yet) without waiting inside SQLite for the write lock: throws ``SQLiteLockBusy``
    /// when another connection holds it, after which the caller rolls back, waits
    /// (``SQLiteLockWait``) and tries again. Used where the transaction is opened by someone
    /// else (Fluent's `transaction`); see `sqliteScope` for why SQLite must not wait itself.
    package func beginSQLiteScopeWithoutWaiting(
        _ context: TransactionContext,
        openedByFluent: Bool = false,
        on connection: any SQLDatabase
    ) async throws -> ScopeState {
        try await connection.run(generated: "PRAGMA busy_timeout = 0")
        do {
            let scope = try await self.beginScope(context, dialect: .sqlite, openedByFluent: openedByFluent, on: connection)
            try await connection.run(generated: "PRAGMA busy_timeout = \(Self.sqliteBusyTimeout)")
            return scope
        } catch {
            try? await connection.run(generated: "PRAGMA busy_timeout = \(Self.sqliteBusyTimeout)")
            throw Self.isBusy(error) ? SQLiteLockBusy() : error
        }
    }

    /// SQLITE_BUSY (5) or SQLITE_LOCKED (6): another connection holds the lock.
    private static func isBusy(_ error: any Error) -> Bool {
        let detail = String(reflecting: error)
        return detail.contains("database is locked") || detail.contains("database table is locked")
    }

    private static func isInTransaction(_ error: any Error) -> Bool {
        String(reflecting: error).contains("cannot start a transaction within a transaction")
    }

    /// Runs `body` as a scope on `connection`, whose transaction the caller opened.
    package func runScope<R: Sendable>(
        _ context: TransactionContext,
        dialect: SQLDialectKind,
        openedByFluent: Bool = false,
        on connection: any SQLDatabase,
        _ body: () async throws -> R
    ) async throws -> R {
        let scope = try await self.beginScope(context, dialect: dialect, openedByFluent: openedByFluent, on: connection)
        let result = try await ScopeState.$current.withValue(scope) { try await body() }
        try await self.endScope(scope, dialect: dialect, on: connection)
        return result
    }

    /// Marks the open transaction on `connection` as a scope with `context`.
    package func beginScope(
        _ context: TransactionContext,
        dialect: SQLDialectKind,
        openedByFluent: Bool = false,
        on connection: any SQLDatabase
    ) async throws -> ScopeState {
        let scope = ScopeState(meta: context.meta, dialect: dialect, openedByFluent: openedByFluent)
        try await dialect.dialect(self.configuration).beginScope(context, scope, on: connection)
        return scope
    }

    /// Writes the scope's meta to its transaction (if one was created) and clears the state.
    package func endScope(_ scope: ScopeState, dialect: SQLDialectKind, on connection: any SQLDatabase) async throws {
        try await dialect.dialect(self.configuration).endScope(scope, on: connection)
    }
}

/// Another SQLite connection holds the write lock: roll back and try again later. Thrown to the
/// caller once ``SQLiteLockWait`` gives up.
package struct SQLiteLockBusy: Error, CustomStringConvertible {
    package init() {}
    package var description: String {
        "database is locked: another connection held SQLite's write lock for \(VersioningEngine.sqliteBusyTimeout / 1000) s; the versioned scope did not start"
    }
}

/// The wait between attempts to take SQLite's write lock: 1 ms doubling to 20 ms, with jitter,
/// for up to ``VersioningEngine/sqliteBusyTimeout`` milliseconds in all.
package struct SQLiteLockWait: Sendable {
    private var delay: UInt64 = 1_000_000
    private let deadline = ContinuousClock.now + .milliseconds(VersioningEngine.sqliteBusyTimeout)

    package init() {}

    /// Whether another attempt fits before the deadline.
    package var canRetry: Bool { ContinuousClock.now < self.deadline }

    package mutating func sleep() async throws {
        try await Task.sleep(nanoseconds: self.delay + UInt64.random(in: 0...self.delay))
        self.delay = min(self.delay * 2, 20_000_000)
    }
}
