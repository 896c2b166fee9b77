import SQLKit

/// SQLite: the activity table (SQLAlchemy-Continuum's ActivityPlugin shape) and the current
/// scope's transaction id.
extension SQLiteDialect {
    /// The activity table and its indexes. A table SQLAlchemy-Continuum created is kept.
    func activitySchema() -> [String] {
        let table = self.configuration.activityTable
        let activity = SQLText.identifier(table)
        return [
            """
            CREATE TABLE IF NOT EXISTS \(activity) ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "verb" VARCHAR(255), \
            "data" TEXT, "transaction_id" INTEGER NOT NULL, "object_type" VARCHAR(255), "object_id" INTEGER, \
            "object_tx_id" INTEGER, "target_type" VARCHAR(255), "target_id" INTEGER, "target_tx_id" INTEGER)
            """,
            "CREATE INDEX IF NOT EXISTS \(SQLText.identifier("ix_\(table)_transaction_id")) ON \(activity) (\"transaction_id\")",
            "CREATE INDEX IF NOT EXISTS \(SQLText.identifier("ix_\(table)_object")) ON \(activity) (\"object_type\", \"object_id\")",
            "CREATE INDEX IF NOT EXISTS \(SQLText.identifier("ix_\(table)_target")) ON \(activity) (\"target_type\", \"target_id\")",
        ]
    }

    /// The transaction row of the scope running on `connection`, created now if its writes
    /// have not created it yet (as the triggers would: with the scope's actor), or `nil`
    /// when no scope is active on this connection. The id comes from the state row the scope
    /// holds under SQLite's write lock, never from a value the caller passes.
    static func currentTransactionID(on connection: any SQLDatabase, configuration: VersioningConfiguration) async throws -> Int? {
        let state = VersioningConfiguration.stateTable
        try await connection.raw(
            """
            INSERT INTO \(ident: configuration.transactionTable) ("issued_at", "user_id", "remote_addr") \
            SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') || '000', "user_id", "remote_addr" FROM \(ident: state) \
            WHERE "active" <> 0 AND "transaction_id" IS NULL
            """
        ).run()
        try await connection.raw(
            """
            UPDATE \(ident: state) SET "transaction_id" = last_insert_rowid() WHERE "active" <> 0 AND "transaction_id" IS NULL
            """
        ).run()
        let row = try await connection.raw("SELECT \"transaction_id\" FROM \(ident: state) WHERE \"active\" <> 0").first()
        return try row?.decode(column: "transaction_id", as: Int?.self)
    }
}
