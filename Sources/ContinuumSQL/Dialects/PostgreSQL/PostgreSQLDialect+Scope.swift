import Foundation
import SQLKit

/// What a `versioned` scope runs on PostgreSQL: transaction-local settings carry the actor to
/// the triggers, and the owner-run helpers of each schema written to give its transaction row
/// the scope's actor and meta (the application role has no rights on history).
extension PostgreSQLDialect {
    func beginScope(_ context: TransactionContext, _ scope: ScopeState, on connection: any SQLDatabase) async throws {
        // The actor and address are the scope's claims for the whole database transaction:
        // every schema it writes to gets a transaction row carrying them.
        let row = try await connection.raw(
            """
            SELECT set_config(\(bind: VersioningConfiguration.settingUserID), \(bind: context.userID ?? ""), true) AS "u",
                   set_config(\(bind: VersioningConfiguration.settingRemoteAddress), \(bind: context.remoteAddress ?? ""), true) AS "a",
                   set_config(\(bind: ScopeState.scopeSetting), \(bind: scope.token), true) AS "s",
                   \(Self.transactionsInProgress)
            """
        ).first()
        // If versioned writes already happened in this transaction (outside any scope), their
        // transaction rows exist: give them the scope's actor too, through the owner-run
        // helper of each schema (the application role has no rights on history).
        let (schemas, legacy) = try Self.transactionsInProgress(row)
        for schema in schemas {
            try await connection.raw(
                """
                SELECT \(ident: schema).\(ident: VersioningConfiguration.claimFunction)(\(bind: context.userID ?? ""), \(bind: context.remoteAddress ?? ""))
                """
            ).run()
        }
        if legacy {
            try await connection.raw(
                """
                UPDATE \(ident: self.configuration.transactionTable)
                SET "user_id" = COALESCE("user_id", \(bind: context.userID)), "remote_addr" = COALESCE("remote_addr", \(bind: context.remoteAddress))
                WHERE "id" = \(Self.ownTransaction(setting: VersioningConfiguration.legacySettingTransactionID, table: "\(ident: self.configuration.transactionTable)"))
                """
            ).run()
        }
    }

    /// Every transaction row this database transaction created, one per schema written to, is
    /// given the scope's meta by the schema's owner-run helper.
    func endScope(_ scope: ScopeState, on connection: any SQLDatabase) async throws {
        let meta = scope.meta.sorted { $0.key < $1.key }
        guard !meta.isEmpty else { return }
        let (schemas, legacy) = try Self.transactionsInProgress(try await connection.raw("SELECT \(Self.transactionsInProgress)").first())
        for schema in schemas {
            try await connection.raw(
                """
                SELECT \(ident: schema).\(ident: VersioningConfiguration.metaFunction)(\(bind: meta.map(\.key)), \(bind: meta.map(\.value)))
                """
            ).run()
        }
        if legacy {
            try await self.insertMeta(
                scope, into: "\(ident: self.configuration.transactionMetaTable)",
                transaction: Self.ownTransaction(setting: VersioningConfiguration.legacySettingTransactionID, table: "\(ident: self.configuration.transactionTable)"),
                on: connection
            )
        }
    }

    /// Only the scope's connection, inside its transaction, holds the scope's token in
    /// ``ScopeState/scopeSetting``.
    static func isScopeConnection(_ scope: ScopeState, _ database: any SQLDatabase) async throws -> Bool {
        let row = try await database.raw("SELECT pg_catalog.current_setting(\(bind: ScopeState.scopeSetting), true) AS \"s\"").first()
        return try row?.decode(column: "s", as: String?.self) == scope.token
    }

    /// The select-list items naming the schemas in which the current database transaction
    /// created a transaction row, and the id cached by triggers installed before ids were
    /// cached per schema (a database not yet synced).
    static var transactionsInProgress: SQLQueryString {
        """
        current_setting(\(bind: Self.schemasSetting), true) AS "schemas", \
        current_setting(\(bind: VersioningConfiguration.legacySettingTransactionID), true) AS "legacy"
        """
    }

    /// The id cached in `setting`, provided the row it names in `table` is the current database
    /// transaction's own (any session can write the setting).
    static func ownTransaction(setting: String, table: SQLQueryString) -> SQLQueryString {
        """
        (SELECT t."id" FROM \(table) AS t WHERE t."native_transaction_id" = pg_current_xact_id() AND t."id" = \
        CASE WHEN current_setting(\(bind: setting), true) ~ '^[0-9]{1,18}$' THEN current_setting(\(bind: setting), true)::bigint END)
        """
    }

    /// The schemas in which the current database transaction created a transaction row (a
    /// forged list only makes the helpers look for the caller's own rows elsewhere), and
    /// whether triggers generated before format 2 cached an id (a database not yet synced).
    static func transactionsInProgress(_ row: (any SQLRow)?) throws -> (schemas: [String], legacy: Bool) {
        guard let row else { return ([], false) }
        var schemas: [String] = []
        if let list = try row.decode(column: "schemas", as: String?.self), !list.isEmpty {
            for schema in (try? JSONDecoder().decode([String].self, from: Data(list.utf8))) ?? [] where !schemas.contains(schema) {
                schemas.append(schema)
            }
        }
        let legacy = try row.decode(column: "legacy", as: String?.self).map { !$0.isEmpty } ?? false
        return (schemas, legacy)
    }
}
