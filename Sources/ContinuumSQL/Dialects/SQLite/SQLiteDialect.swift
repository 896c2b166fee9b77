import SQLKit

/// SQLite: the shared schema, version tables and triggers, introspection, scopes.
///
/// SQLite compiles the trigger programs of a table into every INSERT, UPDATE and DELETE
/// statement on it, and SQLiteNIO prepares every statement anew, so trigger bodies are kept to
/// few statements; and it runs them once per row, so none of them needs a temporary table.
///
/// Transaction identity: `_continuum_state` holds one row. A `versioned` scope marks it
/// active and fills in the actor; the first trigger that fires creates the `transaction` row
/// and stores its id there, later triggers of the scope reuse it. Outside a scope (`active` is
/// 0) every changed row gets a transaction row of its own.
struct SQLiteDialect: Dialect {
    var configuration: VersioningConfiguration

    var state: String { SQLText.identifier(VersioningConfiguration.stateTable) }
    var tx: String { "(SELECT \"transaction_id\" FROM \(self.state))" }

    func qualified(_ name: String) -> String { SQLText.identifier(name) }
    var transactionIDType: String { "INTEGER" }
    func boolean(_ value: Bool) -> String { value ? "1" : "0" }

    // MARK: Shared schema

    func sharedSchema() -> [String] {
        let transaction = SQLText.identifier(self.configuration.transactionTable)
        let changes = SQLText.identifier(self.configuration.transactionChangesTable)
        let meta = SQLText.identifier(self.configuration.transactionMetaTable)
        let registry = SQLText.identifier(VersioningConfiguration.registryTable)
        return [
            """
            CREATE TABLE IF NOT EXISTS \(transaction) ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, \
            "remote_addr" VARCHAR(50), "issued_at" DATETIME, "user_id" VARCHAR(255))
            """,
            """
            CREATE TABLE IF NOT EXISTS \(changes) ("transaction_id" INTEGER NOT NULL, "entity_name" VARCHAR(255) NOT NULL, \
            PRIMARY KEY ("transaction_id", "entity_name"))
            """,
            """
            CREATE TABLE IF NOT EXISTS \(meta) ("transaction_id" INTEGER NOT NULL, "key" VARCHAR(255) NOT NULL, "value" TEXT, \
            PRIMARY KEY ("transaction_id", "key"))
            """,
            """
            CREATE TABLE IF NOT EXISTS \(self.state) ("id" INTEGER NOT NULL PRIMARY KEY CHECK ("id" = 1), \
            "active" INTEGER NOT NULL DEFAULT 0, "transaction_id" INTEGER, "user_id" TEXT, "remote_addr" TEXT)
            """,
            "INSERT INTO \(self.state) (\"id\") VALUES (1) ON CONFLICT DO NOTHING",
            """
            CREATE TRIGGER IF NOT EXISTS "_continuum_state_keep" BEFORE DELETE ON \(self.state) BEGIN \
            SELECT RAISE(ABORT, 'swift-continuum: the _continuum_state row is required by the versioning triggers; it cannot be deleted'); END
            """,
            """
            CREATE TABLE IF NOT EXISTS \(registry) ("table_name" TEXT NOT NULL PRIMARY KEY, "version_table" TEXT NOT NULL, \
            "entity_name" TEXT NOT NULL, "options" TEXT NOT NULL, "columns" TEXT NOT NULL, "format_version" INTEGER NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS \"ix_transaction_user_id\" ON \(transaction) (\"user_id\")",
            "CREATE INDEX IF NOT EXISTS \"ix_transaction_issued_at\" ON \(transaction) (\"issued_at\")",
        ]
    }

    /// Columns the engine needs on a `transaction` table created by someone else (a database
    /// first versioned by SQLAlchemy-Continuum has no `user_id` unless it configured a user class).
    func missingTransactionColumns(existing: Set<String>) -> [String] {
        let transaction = SQLText.identifier(self.configuration.transactionTable)
        var statements: [String] = []
        if !existing.contains("remote_addr") { statements.append("ALTER TABLE \(transaction) ADD COLUMN \"remote_addr\" VARCHAR(50)") }
        if !existing.contains("user_id") { statements.append("ALTER TABLE \(transaction) ADD COLUMN \"user_id\" VARCHAR(255)") }
        return statements
    }

    // MARK: Version table

    /// Refuses more version-table columns than SQLite allows (2,000).
    func validate(_ plan: VersioningPlan) throws {
        let table = plan.table.name
        let columnCount = VersionRowLayout(plan).columns.count
        if columnCount > 2000 {
            throw ContinuumError.tooManyColumns(table: table, columns: columnCount, limit: 2000)
        }
    }

    func indexes(_ plan: VersioningPlan) -> [String] {
        plan.createIndexes(on: SQLText.identifier(plan.versionTable)) { $0 }
    }

    // MARK: Values

    /// Whether `a` and `b`, values of `column`, differ as stored: `COLLATE BINARY`, so a text
    /// column declared `COLLATE NOCASE` still sees a change of case. A JSON column (declared `JSON`, as
    /// Fluent declares dictionaries and arrays) compares by content: Fluent's encoder writes a
    /// dictionary's keys in whatever order the dictionary iterates, so re-saving an equal
    /// dictionary changes the text but not the value. Two valid JSON texts are equal when their
    /// trees hold the same (path, type, atom) rows; anything else compares as stored.
    static func differs(_ a: String, _ b: String, _ column: ColumnDescription) -> String {
        guard column.type.uppercased().contains("JSON") else { return "\(a) IS NOT \(b) COLLATE BINARY" }
        let tree = { (x: String) in "SELECT \"fullkey\", \"type\", \"atom\" FROM json_tree(\(x))" }
        return "(\(a) IS NOT \(b) AND (CASE WHEN json_valid(\(a)) AND json_valid(\(b)) "
            + "THEN EXISTS (\(tree(a)) EXCEPT \(tree(b))) OR EXISTS (\(tree(b)) EXCEPT \(tree(a))) ELSE 1 END))"
    }

    func sameValue(live: String, version: String, _ column: ColumnDescription, liveType: String, storedType: String?) -> String {
        "NOT " + Self.differs(live, version, column)
    }

    // MARK: Atomic blocks

    /// `SAVEPOINT` opens a transaction when none is open.
    static func beginAtomic(on connection: any SQLDatabase) async throws -> (commit: [String], rollback: [String]) {
        let savepoint = "\"_continuum_atomic\""
        try await connection.run(generated: "SAVEPOINT \(savepoint)")
        return (["RELEASE SAVEPOINT \(savepoint)"], ["ROLLBACK TO SAVEPOINT \(savepoint)", "RELEASE SAVEPOINT \(savepoint)"])
    }
}
