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
            throw ContinuumError.invalidOption("a user id holds at most 255 bytes; store longer identities in meta")
        }
        if let remoteAddress, remoteAddress.utf8.count > 50 {
            throw ContinuumError.invalidOption("a remote address holds at most 50 bytes (the column is VARCHAR(50), as in SQLAlchemy-Continuum)")
        }
        for key in self.meta.keys where key.isEmpty || key.utf8.count > 255 {
            throw ContinuumError.invalidOption("transaction meta keys hold 1 to 255 bytes")
        }
    }
}

/// The scope in progress in this task, so that nested scopes join it.
package final class ScopeState: @unchecked Sendable {
    @TaskLocal package static var current: ScopeState?

    private let lock = NSLock()
    private var pendingMeta: [String: String]

    init(meta: [String: String]) { self.pendingMeta = meta }

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
    ///   user and address stand, and the inner meta is added to the outer's.
    /// - A scope that changes no versioned row leaves no `transaction` row.
    /// - Write through the database passed to `body`: it is the scope's connection.
    ///
    /// Outside a scope, PostgreSQL still groups each database transaction into one
    /// `transaction` row (without a user); SQLite gives each changed row a transaction of its
    /// own, because it has no way to tell transactions apart from inside a trigger.
    ///
    /// - Throws: ``ContinuumError/invalidOption(_:)`` for an oversized user id, address or meta
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
            outer.merge(meta)
            return try await body(database)
        }
        let dialect = try SQLDialectKind(database)
        return try await database.continuumAtomically(dialect) { connection in
            try await self.runScope(context, dialect: dialect, on: connection) { try await body(connection) }
        }
    }

    /// Runs `body` as a scope on `connection`, whose transaction the caller opened.
    package func runScope<R: Sendable>(
        _ context: TransactionContext,
        dialect: SQLDialectKind,
        on connection: any SQLDatabase,
        _ body: () async throws -> R
    ) async throws -> R {
        let scope = try await self.beginScope(context, dialect: dialect, on: connection)
        let result = try await ScopeState.$current.withValue(scope) { try await body() }
        try await self.endScope(scope, dialect: dialect, on: connection)
        return result
    }

    /// Marks the open transaction on `connection` as a scope with `context`.
    package func beginScope(_ context: TransactionContext, dialect: SQLDialectKind, on connection: any SQLDatabase) async throws -> ScopeState {
        switch dialect {
        case .sqlite:
            // The first write of the transaction: it takes SQLite's write lock, so no other
            // connection can see or change the state row until this transaction ends.
            try await connection.raw("""
                UPDATE \(ident: VersioningConfiguration.stateTable) SET "active" = 1, "transaction_id" = NULL,
                    "user_id" = \(bind: context.userID), "remote_addr" = \(bind: context.remoteAddress)
                """).run()
        case .postgresql:
            // If versioned writes already happened in this transaction (outside any scope), its
            // transaction row exists: give it the scope's actor too.
            try await connection.raw("""
                SELECT set_config(\(bind: VersioningConfiguration.settingUserID), \(bind: context.userID ?? ""), true),
                       set_config(\(bind: VersioningConfiguration.settingRemoteAddress), \(bind: context.remoteAddress ?? ""), true)
                """).run()
            try await connection.raw("""
                UPDATE \(ident: self.configuration.transactionTable)
                SET "user_id" = COALESCE("user_id", \(bind: context.userID)), "remote_addr" = COALESCE("remote_addr", \(bind: context.remoteAddress))
                WHERE "id" = NULLIF(current_setting(\(bind: VersioningConfiguration.settingTransactionID), true), '')::bigint
                """).run()
        }
        return ScopeState(meta: context.meta)
    }

    /// Writes the scope's meta to its transaction (if one was created) and clears the state.
    package func endScope(_ scope: ScopeState, dialect: SQLDialectKind, on connection: any SQLDatabase) async throws {
        let meta = scope.meta.sorted { $0.key < $1.key }
        let currentID: SQLQueryString = switch dialect {
        case .sqlite: "(SELECT \"transaction_id\" FROM \(ident: VersioningConfiguration.stateTable))"
        case .postgresql: "NULLIF(current_setting(\(bind: VersioningConfiguration.settingTransactionID), true), '')::bigint"
        }
        if !meta.isEmpty {
            var rows: SQLQueryString = ""
            for (index, entry) in meta.enumerated() {
                rows = rows + (index == 0 ? "" : " UNION ALL ") + "SELECT \(bind: entry.key) AS \"k\", \(bind: entry.value) AS \"v\""
            }
            let query: SQLQueryString = """
                INSERT INTO \(ident: self.configuration.transactionMetaTable) ("transaction_id", "key", "value")
                SELECT t."id", m."k", m."v" FROM (SELECT \(currentID) AS "id") AS t, (\(rows)) AS m
                WHERE t."id" IS NOT NULL
                ON CONFLICT ("transaction_id", "key") DO UPDATE SET "value" = excluded."value"
                """
            try await connection.raw(query).run()
        }
        if dialect == .sqlite {
            try await connection.raw("""
                UPDATE \(ident: VersioningConfiguration.stateTable) SET "active" = 0, "transaction_id" = NULL, "user_id" = NULL, "remote_addr" = NULL
                """).run()
        }
    }
}
