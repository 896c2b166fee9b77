import SQLKit

/// What a `versioned` scope runs on SQLite: the one-row state table `_continuum_state` carries
/// the scope's actor to the triggers, and its transaction id back to the scope.
extension SQLiteDialect {
    func beginScope(_ context: TransactionContext, _ scope: ScopeState, on connection: any SQLDatabase) async throws {
        // The first write of the transaction: it takes SQLite's write lock, so no other
        // connection can see or change the state row until this transaction ends.
        try await connection.raw(
            """
            UPDATE \(ident: VersioningConfiguration.stateTable) SET "active" = 1, "transaction_id" = NULL,
                "user_id" = \(bind: context.userID), "remote_addr" = \(bind: context.remoteAddress)
            """
        ).run()
    }

    /// Only the scope's connection sees the state row active (the scope's transaction has not
    /// committed; every other connection reads the committed row).
    static func isScopeConnection(_ scope: ScopeState, _ database: any SQLDatabase) async throws -> Bool {
        let row = try await database.raw("SELECT \"active\" FROM \(ident: VersioningConfiguration.stateTable)").first()
        return try row?.decode(column: "active", as: Int?.self) == 1
    }

    /// Whether the state row says a scope is active while none runs in this task.
    static func hasStaleScope(on database: any SQLDatabase) async throws -> Bool {
        guard ScopeState.current == nil else { return false }
        return try await database.raw("SELECT 1 AS \"a\" FROM \(ident: VersioningConfiguration.stateTable) WHERE \"active\" <> 0").first() != nil
    }

    /// Clears a state row left active outside any scope; returns whether there was one.
    static func clearStaleScope(on connection: any SQLDatabase) async throws -> Bool {
        let state = VersioningConfiguration.stateTable
        guard try await connection.raw("SELECT \"active\" FROM \(ident: state) WHERE \"active\" <> 0").first() != nil else { return false }
        try await connection.raw(
            """
            UPDATE \(ident: state) SET "active" = 0, "transaction_id" = NULL, "user_id" = NULL, "remote_addr" = NULL
            """
        ).run()
        return true
    }

    func endScope(_ scope: ScopeState, on connection: any SQLDatabase) async throws {
        // The one transaction row this database transaction created.
        try await self.insertMeta(
            scope, into: "\(ident: self.configuration.transactionMetaTable)",
            transaction: "(SELECT \"transaction_id\" FROM \(ident: VersioningConfiguration.stateTable))", on: connection
        )
        try await connection.raw(
            """
            UPDATE \(ident: VersioningConfiguration.stateTable) SET "active" = 0, "transaction_id" = NULL, "user_id" = NULL, "remote_addr" = NULL
            """
        ).run()
    }
}
