/// Generates the SQLite schema, version tables and triggers.
///
/// SQLite compiles the trigger programs of a table into every INSERT, UPDATE and DELETE
/// statement on it, and SQLiteNIO prepares every statement anew, so trigger bodies are kept to
/// few statements: no scalar subquery is repeated where a join on the one-row state table does.
///
/// Transaction identity: `_continuum_state` holds one row. A `versioned` scope marks it
/// active and fills in the actor; the first trigger that fires creates the `transaction` row
/// and stores its id there, later triggers of the scope reuse it. Outside a scope (`active` is
/// 0) every changed row gets a transaction row of its own.
struct SQLiteGenerator: Sendable {
    var configuration: VersioningConfiguration

    private var state: String { SQLText.identifier(VersioningConfiguration.stateTable) }
    private var tx: String { "(SELECT \"transaction_id\" FROM \(self.state))" }

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

    func createVersionTable(_ plan: VersioningPlan) -> [String] {
        var definitions = plan.columns.map { column in
            [SQLText.identifier(column.name), column.type.isEmpty ? nil : column.type, column.isPrimaryKey ? "NOT NULL" : nil]
                .compactMap { $0 }.joined(separator: " ")
        }
        definitions += [
            "\"transaction_id\" INTEGER NOT NULL",
            "\"end_transaction_id\" INTEGER",
            "\"operation_type\" SMALLINT NOT NULL",
        ]
        definitions += plan.modColumns.map { "\(SQLText.identifier($0)) BOOLEAN NOT NULL DEFAULT 0" }
        definitions.append("PRIMARY KEY (\(plan.keyList), \"transaction_id\")")
        let versionTable = SQLText.identifier(plan.versionTable)
        return ["CREATE TABLE \(versionTable) (\(definitions.joined(separator: ", ")))"] + self.indexes(plan)
    }

    func indexes(_ plan: VersioningPlan) -> [String] {
        plan.createIndexes(on: SQLText.identifier(plan.versionTable)) { $0 }
    }

    func addVersionColumn(_ plan: VersioningPlan, _ column: ColumnDescription) -> [String] {
        let versionTable = SQLText.identifier(plan.versionTable)
        var statements = [
            "ALTER TABLE \(versionTable) ADD COLUMN \(SQLText.identifier(column.name))" + (column.type.isEmpty ? "" : " \(column.type)")
        ]
        if plan.tracksModifiedColumns && !column.isPrimaryKey {
            statements.append("ALTER TABLE \(versionTable) ADD COLUMN \(SQLText.identifier(column.modColumn)) BOOLEAN NOT NULL DEFAULT 0")
        }
        return statements
    }

    func addModColumn(_ plan: VersioningPlan, _ column: ColumnDescription) -> String {
        "ALTER TABLE \(SQLText.identifier(plan.versionTable)) ADD COLUMN \(SQLText.identifier(column.modColumn)) BOOLEAN NOT NULL DEFAULT 0"
    }

    func renameVersionColumn(_ plan: VersioningPlan, from old: String, to new: String) -> String {
        "ALTER TABLE \(SQLText.identifier(plan.versionTable)) RENAME COLUMN \(SQLText.identifier(old)) TO \(SQLText.identifier(new))"
    }

    // MARK: Triggers

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

    private func differs(_ a: String, _ b: String, _ column: ColumnDescription) -> String {
        let name = SQLText.identifier(column.name)
        return Self.differs("\(a).\(name)", "\(b).\(name)", column)
    }

    func triggerNames(_ plan: VersioningPlan) -> [String] {
        ["insert", "update", "delete", "key_update"].map { "_continuum_\(plan.table.name)_\($0)" }
    }

    func dropTriggers(_ plan: VersioningPlan) -> [String] {
        self.triggerNames(plan).map { "DROP TRIGGER IF EXISTS \(SQLText.identifier($0))" }
    }

    /// SQLite compiles every trigger that may fire into each write statement it prepares (and
    /// SQLiteNIO prepares every statement anew), so trigger bodies stay small and the update
    /// triggers name their columns (`UPDATE OF`): an UPDATE that sets no key column never
    /// compiles the key-change trigger, one that sets only excluded columns compiles none.
    func createTriggers(_ plan: VersioningPlan) -> [String] {
        let table = SQLText.identifier(plan.table.name)
        let names = self.triggerNames(plan).map(SQLText.identifier)
        let keyUnchanged = plan.primaryKey.map { "OLD.\(SQLText.identifier($0.name)) IS NEW.\(SQLText.identifier($0.name))" }
        let keyChanged = plan.primaryKey.map { "OLD.\(SQLText.identifier($0.name)) IS NOT NEW.\(SQLText.identifier($0.name))" }
        // `UPDATE OF` matches the names an UPDATE sets: a rowid key also changes through its aliases.
        let rowidAliases = plan.table.keyIsRowid ? ["rowid", "oid", "_rowid_"].filter { plan.table.column(named: $0) == nil } : []
        let keyColumns = (plan.primaryKey.map(\.name) + rowidAliases).map(SQLText.identifier).joined(separator: ", ")
        let valueColumns = plan.modifiableColumns.map { SQLText.identifier($0.name) }.joined(separator: ", ")
        let valueChanged = plan.modifiableColumns.map { self.differs("OLD", "NEW", $0) }

        // An insert whose values equal the key's open, live version changes nothing: that is an
        // `INSERT OR REPLACE` of an identical row (the replace itself fires no delete trigger).
        let sameAsOpen = SQLText.balanced(["v.\"end_transaction_id\" IS NULL", "v.\"operation_type\" <> 2"]
            + plan.primaryKey.map { "v.\(SQLText.identifier($0.name)) = NEW.\(SQLText.identifier($0.name))" }
            + plan.modifiableColumns.map { column in
                column.type.uppercased().contains("JSON")
                    ? "NOT " + self.differs("v", "NEW", column)
                    : "v.\(SQLText.identifier(column.name)) IS NEW.\(SQLText.identifier(column.name)) COLLATE BINARY"
            }, "AND")

        var statements = [
            "CREATE TRIGGER \(names[0]) AFTER INSERT ON \(table) "
                + "WHEN NOT EXISTS (SELECT 1 FROM \(SQLText.identifier(plan.versionTable)) AS v WHERE \(sameAsOpen)) "
                + self.body(plan, self.insertStatements(plan, row: "NEW"))
        ]
        if !valueChanged.isEmpty {
            statements.append(
                "CREATE TRIGGER \(names[1]) AFTER UPDATE OF \(valueColumns) ON \(table) "
                    + "WHEN \(keyUnchanged.joined(separator: " AND ")) AND (\(SQLText.balanced(valueChanged, "OR"))) "
                    + self.body(plan, self.updateStatements(plan))
            )
        }
        statements.append(
            "CREATE TRIGGER \(names[2]) AFTER DELETE ON \(table) " + self.body(plan, self.deleteStatements(plan, row: "OLD"))
        )
        statements.append(
            "CREATE TRIGGER \(names[3]) AFTER UPDATE OF \(keyColumns) ON \(table) WHEN \(keyChanged.joined(separator: " OR ")) "
                + self.body(plan, self.deleteStatements(plan, row: "OLD") + self.insertStatements(plan, row: "NEW"))
        )
        return statements
    }

    /// The trigger body: find or create the transaction, record the entity, then `statements`.
    private func body(_ plan: VersioningPlan, _ statements: [String]) -> String {
        let transaction = SQLText.identifier(self.configuration.transactionTable)
        let changes = SQLText.identifier(self.configuration.transactionChangesTable)
        var body: [String] = []
        if plan.requiresScope {
            let message = "swift-continuum: table \"\(plan.table.name)\" only accepts writes inside a versioned scope"
            body.append("SELECT RAISE(ABORT, \(SQLText.literal(message))) FROM \(self.state) WHERE NOT \"active\"")
        }
        body += [
            "INSERT INTO \(transaction) (\"issued_at\", \"user_id\", \"remote_addr\") "
                + "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') || '000', CASE WHEN \"active\" THEN \"user_id\" END, "
                + "CASE WHEN \"active\" THEN \"remote_addr\" END FROM \(self.state) "
                + "WHERE \"transaction_id\" IS NULL OR NOT \"active\"",
            "UPDATE \(self.state) SET \"transaction_id\" = last_insert_rowid() WHERE \"transaction_id\" IS NULL OR NOT \"active\"",
            "INSERT INTO \(changes) (\"transaction_id\", \"entity_name\") SELECT \"transaction_id\", \(SQLText.literal(plan.entityName)) "
                + "FROM \(self.state) WHERE true ON CONFLICT DO NOTHING",
        ]
        body += statements
        return "BEGIN " + body.map { $0 + "; " }.joined() + "END"
    }

    /// A row appears under a key: a new INSERT version, or an UPDATE when the key existed
    /// before this transaction (deleted earlier in it, or replaced by `INSERT OR REPLACE`).
    private func insertStatements(_ plan: VersioningPlan, row: String) -> [String] {
        let versionTable = SQLText.identifier(plan.versionTable)
        let existedBefore = "p.\"operation_type\" IN (0, 1)"
        var values = plan.values(row) + ["s.\"transaction_id\"", "NULL", "CASE WHEN \(existedBefore) THEN 1 ELSE 0 END"]
        values += plan.tracksModifiedColumns
            ? plan.modifiableColumns.map { column in
                let name = SQLText.identifier(column.name)
                return "CASE WHEN \(existedBefore) THEN \(self.differs(row, "p", column)) ELSE \(row).\(name) IS NOT NULL END"
            }
            : []
        var updates = plan.assignExcluded("excluded")
        updates.append("\"operation_type\" = CASE WHEN \(versionTable).\"operation_type\" = 2 THEN 1 ELSE \(versionTable).\"operation_type\" END")
        updates += plan.tracksModifiedColumns
            ? plan.modifiableColumns.map { column in
                let mod = SQLText.identifier(column.modColumn)
                return "\(mod) = \(versionTable).\(mod) OR \(self.differs(versionTable, "excluded", column))"
            }
            : []
        return [
            "INSERT INTO \(versionTable) (\(plan.versionColumnList)) SELECT \(values.joined(separator: ", ")) "
                + "FROM \(self.state) AS s LEFT JOIN \(versionTable) AS p ON \(plan.keyMatch(row, alias: "p")) "
                + "AND p.\"end_transaction_id\" IS NULL AND p.\"transaction_id\" <> s.\"transaction_id\" "
                + "WHERE true ON CONFLICT (\(plan.keyList), \"transaction_id\") DO UPDATE SET \(updates.joined(separator: ", "))",
            self.closePrevious(plan, row: row),
        ]
    }

    /// A row changes in place: an UPDATE version, merged into this transaction's version if any.
    private func updateStatements(_ plan: VersioningPlan) -> [String] {
        let versionTable = SQLText.identifier(plan.versionTable)
        var values = plan.values("NEW") + ["\"transaction_id\"", "NULL", "1"]
        values += plan.tracksModifiedColumns
            ? plan.modifiableColumns.map { self.differs("OLD", "NEW", $0) }
            : []
        var updates = plan.assignExcluded("excluded")
        updates += plan.modColumns.map { mod in
            "\(SQLText.identifier(mod)) = \(versionTable).\(SQLText.identifier(mod)) OR excluded.\(SQLText.identifier(mod))"
        }
        return [
            "INSERT INTO \(versionTable) (\(plan.versionColumnList)) SELECT \(values.joined(separator: ", ")) FROM \(self.state) "
                + "WHERE true ON CONFLICT (\(plan.keyList), \"transaction_id\") DO UPDATE SET \(updates.joined(separator: ", "))",
            self.closePrevious(plan, row: "NEW"),
        ]
    }

    /// A row disappears: a DELETE version keeping its last values; or, when the row was
    /// inserted in this same transaction, no version at all and the previous one reopened.
    private func deleteStatements(_ plan: VersioningPlan, row: String) -> [String] {
        let versionTable = SQLText.identifier(plan.versionTable)
        let insertedHere = "SELECT 1 FROM \(versionTable) AS v WHERE \(plan.keyMatch(row, alias: "v")) "
            + "AND v.\"transaction_id\" = s.\"transaction_id\" AND v.\"operation_type\" = 0"
        var values = plan.values(row) + ["s.\"transaction_id\"", "NULL", "2"]
        values += plan.modColumns.map { _ in "1" }
        var updates = plan.assignExcluded("excluded") + ["\"operation_type\" = 2"]
        updates += plan.modColumns.map { "\(SQLText.identifier($0)) = 1" }
        return [
            "INSERT INTO \(versionTable) (\(plan.versionColumnList)) SELECT \(values.joined(separator: ", ")) FROM \(self.state) AS s "
                + "WHERE NOT EXISTS (\(insertedHere)) "
                + "ON CONFLICT (\(plan.keyList), \"transaction_id\") DO UPDATE SET \(updates.joined(separator: ", "))",
            "DELETE FROM \(versionTable) WHERE \(plan.keyMatch(row)) AND \"transaction_id\" = \(self.tx) AND \"operation_type\" = 0",
            // Close the previous version when this transaction keeps a version of the key,
            // reopen it when the transaction's insert was just undone.
            "UPDATE \(versionTable) SET \"end_transaction_id\" = CASE WHEN EXISTS (SELECT 1 FROM \(versionTable) AS v "
                + "WHERE \(plan.keyMatch(row, alias: "v")) AND v.\"transaction_id\" = \(self.tx)) THEN \(self.tx) ELSE NULL END "
                + "WHERE \(plan.keyMatch(row)) AND \"transaction_id\" <> \(self.tx) "
                + "AND (\"end_transaction_id\" IS NULL OR \"end_transaction_id\" = \(self.tx))",
        ]
    }

    private func closePrevious(_ plan: VersioningPlan, row: String) -> String {
        "UPDATE \(SQLText.identifier(plan.versionTable)) SET \"end_transaction_id\" = \(self.tx) "
            + "WHERE \(plan.keyMatch(row)) AND \"end_transaction_id\" IS NULL AND \"transaction_id\" <> \(self.tx)"
    }
}
