import SQLKit

/// SQLite: the shared schema, version tables and triggers, introspection, scopes.
///
/// SQLite compiles the trigger programs of a table into every INSERT, UPDATE and DELETE
/// statement on it, and SQLiteNIO prepares every statement anew, so trigger bodies are kept to
/// few statements: no scalar subquery is repeated where a join on the one-row state table does.
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

    // MARK: Introspection

    static func currentSchema(on database: any SQLDatabase) async throws -> String? { nil }

    static func tableExists(_ table: String, on database: any SQLDatabase) async throws -> Bool {
        try await database.raw(
            "SELECT 1 AS \"found\" FROM \"sqlite_master\" WHERE \"type\" = 'table' AND \"name\" = \(bind: table)"
        ).first() != nil
    }

    static func describe(_ table: String, on database: any SQLDatabase) async throws -> TableDescription? {
        guard let master = try await database.raw(
            "SELECT \"sql\" FROM \"sqlite_master\" WHERE \"type\" = 'table' AND \"name\" = \(bind: table)"
        ).first() else { return nil }
        let sql = try master.decode(column: "sql", as: String?.self) ?? ""
        let rows = try await database.raw(
            "SELECT \"name\", \"type\", \"notnull\", \"pk\" FROM pragma_table_info(\(bind: table))"
        ).all()
        let columns = try rows.map { row in
            ColumnDescription(
                name: try row.decode(column: "name", as: String.self),
                type: try row.decode(column: "type", as: String.self),
                isNotNull: try row.decode(column: "notnull", as: Int.self) != 0,
                primaryKeyPosition: try row.decode(column: "pk", as: Int.self)
            )
        }
        let key = columns.filter(\.isPrimaryKey)
        let upper = sql.uppercased()
        let keyIsRowid = key.count == 1 && key[0].type.uppercased() == "INTEGER" && !upper.contains("WITHOUT ROWID")
        let reusesKeys = keyIsRowid && !upper.contains("AUTOINCREMENT")
        return TableDescription(schema: nil, name: table, columns: columns, reusesKeys: reusesKeys, keyIsRowid: keyIsRowid)
    }

    static func unsupportedRelationKind(_ name: String, on database: any SQLDatabase) async throws -> String? {
        guard let row = try await database.raw(
            "SELECT \"type\", \"sql\" FROM \"sqlite_master\" WHERE \"name\" = \(bind: name) AND \"type\" IN ('table', 'view')"
        ).first() else { return nil }
        if try row.decode(column: "type", as: String.self) == "view" { return "view" }
        let sql = try row.decode(column: "sql", as: String?.self) ?? ""
        return sql.uppercased().hasPrefix("CREATE VIRTUAL TABLE") ? "virtual table" : nil
    }

    static func triggers(on table: String, in database: any SQLDatabase) async throws -> Set<String> {
        let rows = try await database.raw(
            "SELECT \"name\" FROM \"sqlite_master\" WHERE \"type\" = 'trigger' AND \"tbl_name\" = \(bind: table)"
        ).all()
        return Set(try rows.map { try $0.decode(column: "name", as: String.self) })
    }

    // MARK: Atomic blocks

    /// `SAVEPOINT` opens a transaction when none is open.
    static func beginAtomic(on connection: any SQLDatabase) async throws -> (commit: [String], rollback: [String]) {
        let savepoint = "\"_continuum_atomic\""
        try await connection.run(generated: "SAVEPOINT \(savepoint)")
        return (["RELEASE SAVEPOINT \(savepoint)"], ["ROLLBACK TO SAVEPOINT \(savepoint)", "RELEASE SAVEPOINT \(savepoint)"])
    }

    // MARK: Scopes

    func beginScope(_ context: TransactionContext, _ scope: ScopeState, on connection: any SQLDatabase) async throws {
        // The first write of the transaction: it takes SQLite's write lock, so no other
        // connection can see or change the state row until this transaction ends.
        try await connection.raw("""
            UPDATE \(ident: VersioningConfiguration.stateTable) SET "active" = 1, "transaction_id" = NULL,
                "user_id" = \(bind: context.userID), "remote_addr" = \(bind: context.remoteAddress)
            """).run()
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
        try await connection.raw("""
            UPDATE \(ident: state) SET "active" = 0, "transaction_id" = NULL, "user_id" = NULL, "remote_addr" = NULL
            """).run()
        return true
    }

    func endScope(_ scope: ScopeState, on connection: any SQLDatabase) async throws {
        // The one transaction row this database transaction created.
        try await self.insertMeta(
            scope, into: "\(ident: self.configuration.transactionMetaTable)",
            transaction: "(SELECT \"transaction_id\" FROM \(ident: VersioningConfiguration.stateTable))", on: connection
        )
        try await connection.raw("""
            UPDATE \(ident: VersioningConfiguration.stateTable) SET "active" = 0, "transaction_id" = NULL, "user_id" = NULL, "remote_addr" = NULL
            """).run()
    }
}

extension Dialect {
    /// Writes the scope's meta on transaction `id` (a query naming it, `NULL` when the scope
    /// created none), through the caller's rights.
    func insertMeta(_ scope: ScopeState, into table: SQLQueryString, transaction id: SQLQueryString, on connection: any SQLDatabase) async throws {
        let meta = scope.meta.sorted { $0.key < $1.key }
        guard !meta.isEmpty else { return }
        var rows: SQLQueryString = ""
        for (index, entry) in meta.enumerated() {
            rows = rows + (index == 0 ? "" : " UNION ALL ") + "SELECT \(bind: entry.key) AS \"k\", \(bind: entry.value) AS \"v\""
        }
        try await connection.raw("""
            INSERT INTO \(table) ("transaction_id", "key", "value")
            SELECT t."id", m."k", m."v" FROM (SELECT \(id) AS "id") AS t, (\(rows)) AS m
            WHERE t."id" IS NOT NULL
            ON CONFLICT ("transaction_id", "key") DO UPDATE SET "value" = excluded."value"
            """).run()
    }
}
