/// Generates the PostgreSQL schema, version tables, trigger functions and triggers.
///
/// Every object is qualified with the schema holding the versioned table, so a session with
/// another `search_path` (psql, another program) still writes history to the right place.
///
/// Transaction identity: `_continuum_transaction_id()` returns the id cached in the
/// transaction-local setting `continuum.transaction_id`; the first versioned change of a
/// database transaction inserts the `transaction` row (actor and address read from the
/// settings a `versioned` scope sets) and fills the cache. Transaction-local settings follow
/// savepoints, so a rolled-back savepoint takes the cached id with the row it pointed to.
struct PostgreSQLGenerator: Sendable {
    var configuration: VersioningConfiguration
    var schema: String

    private func qualified(_ name: String) -> String {
        SQLText.identifier(self.schema) + "." + SQLText.identifier(name)
    }

    private var transactionIDFunction: String { self.qualified(VersioningConfiguration.transactionIDFunction) }
    private var renumberFunction: String { self.qualified(VersioningConfiguration.renumberFunction) }

    // MARK: Shared schema

    func sharedSchema() -> [String] {
        let transaction = self.qualified(self.configuration.transactionTable)
        let sequence = self.qualified(SQLText.objectName(self.configuration.transactionTable + "_id_seq"))
        let changes = self.qualified(self.configuration.transactionChangesTable)
        let meta = self.qualified(self.configuration.transactionMetaTable)
        let registry = self.qualified(VersioningConfiguration.registryTable)
        return [
            "CREATE SEQUENCE IF NOT EXISTS \(sequence)",
            """
            CREATE TABLE IF NOT EXISTS \(transaction) ("id" BIGINT NOT NULL DEFAULT nextval(\(SQLText.literal(sequence))::regclass), \
            "remote_addr" VARCHAR(50), "issued_at" TIMESTAMP WITHOUT TIME ZONE, "user_id" VARCHAR(255), \
            "native_transaction_id" xid8, PRIMARY KEY ("id"))
            """,
            // SQLAlchemy-Continuum's table draws ids from the same sequence on the client side;
            // the triggers need it as the column default.
            "ALTER TABLE \(transaction) ALTER COLUMN \"id\" SET DEFAULT nextval(\(SQLText.literal(sequence))::regclass)",
            "ALTER TABLE \(transaction) ADD COLUMN IF NOT EXISTS \"remote_addr\" VARCHAR(50)",
            "ALTER TABLE \(transaction) ADD COLUMN IF NOT EXISTS \"user_id\" VARCHAR(255)",
            "ALTER TABLE \(transaction) ADD COLUMN IF NOT EXISTS \"native_transaction_id\" xid8",
            """
            CREATE TABLE IF NOT EXISTS \(changes) ("transaction_id" BIGINT NOT NULL, "entity_name" VARCHAR(255) NOT NULL, \
            PRIMARY KEY ("transaction_id", "entity_name"))
            """,
            """
            CREATE TABLE IF NOT EXISTS \(meta) ("transaction_id" BIGINT NOT NULL, "key" VARCHAR(255) NOT NULL, "value" TEXT, \
            PRIMARY KEY ("transaction_id", "key"))
            """,
            """
            CREATE TABLE IF NOT EXISTS \(registry) ("table_name" TEXT NOT NULL PRIMARY KEY, "version_table" TEXT NOT NULL, \
            "entity_name" TEXT NOT NULL, "options" TEXT NOT NULL, "columns" TEXT NOT NULL, "format_version" INTEGER NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS \"ix_transaction_user_id\" ON \(transaction) (\"user_id\")",
            "CREATE INDEX IF NOT EXISTS \"ix_transaction_issued_at\" ON \(transaction) (\"issued_at\")",
            self.transactionIDFunctionDefinition(),
            self.renumberFunctionDefinition(),
        ]
    }

    /// Gives the current transaction a new, larger id, everywhere it is recorded. Called by a
    /// trigger that is about to close a version written by a transaction that committed after
    /// this one began: ids then keep following commit order, and every chain stays ordered.
    func renumberFunctionDefinition() -> String {
        let sequence = SQLText.literal(self.qualified(SQLText.objectName(self.configuration.transactionTable + "_id_seq")))
        let body = """

            DECLARE
                v_new bigint := nextval(\(sequence)::regclass);
                v_table record;
            BEGIN
                UPDATE \(self.qualified(self.configuration.transactionTable)) SET "id" = v_new WHERE "id" = p_old;
                FOR v_table IN
                    SELECT DISTINCT r."version_table" FROM \(self.qualified(VersioningConfiguration.registryTable)) AS r
                    JOIN \(self.qualified(self.configuration.transactionChangesTable)) AS c ON c."entity_name" = r."entity_name"
                    WHERE c."transaction_id" = p_old
                LOOP
                    EXECUTE format('UPDATE %I.%I SET "transaction_id" = $1 WHERE "transaction_id" = $2', \(SQLText.literal(self.schema)), v_table."version_table") USING v_new, p_old;
                    EXECUTE format('UPDATE %I.%I SET "end_transaction_id" = $1 WHERE "end_transaction_id" = $2', \(SQLText.literal(self.schema)), v_table."version_table") USING v_new, p_old;
                END LOOP;
                UPDATE \(self.qualified(self.configuration.transactionChangesTable)) SET "transaction_id" = v_new WHERE "transaction_id" = p_old;
                UPDATE \(self.qualified(self.configuration.transactionMetaTable)) SET "transaction_id" = v_new WHERE "transaction_id" = p_old;
                PERFORM set_config(\(SQLText.literal(VersioningConfiguration.settingTransactionID)), v_new::text, true);
                RETURN v_new;
            END

            """
        let tag = SQLText.dollarTag("continuum", avoiding: body)
        return "CREATE OR REPLACE FUNCTION \(self.renumberFunction)(p_old bigint) RETURNS bigint LANGUAGE plpgsql AS \(tag)\(body)\(tag)"
    }

    func transactionIDFunctionDefinition() -> String {
        let transaction = self.qualified(self.configuration.transactionTable)
        let cache = SQLText.literal(VersioningConfiguration.settingTransactionID)
        let body = """

            DECLARE
                v_cached text := current_setting(\(cache), true);
                v_id bigint;
            BEGIN
                IF v_cached IS NOT NULL AND v_cached <> '' THEN
                    RETURN v_cached::bigint;
                END IF;
                INSERT INTO \(transaction) ("issued_at", "user_id", "remote_addr", "native_transaction_id")
                VALUES (now() AT TIME ZONE 'UTC',
                        NULLIF(current_setting(\(SQLText.literal(VersioningConfiguration.settingUserID)), true), ''),
                        NULLIF(current_setting(\(SQLText.literal(VersioningConfiguration.settingRemoteAddress)), true), ''),
                        pg_current_xact_id())
                RETURNING "id" INTO v_id;
                PERFORM set_config(\(cache), v_id::text, true);
                RETURN v_id;
            END

            """
        let tag = SQLText.dollarTag("continuum", avoiding: body)
        return "CREATE OR REPLACE FUNCTION \(self.transactionIDFunction)() RETURNS bigint LANGUAGE plpgsql AS \(tag)\(body)\(tag)"
    }

    // MARK: Version table

    func createVersionTable(_ plan: VersioningPlan) -> [String] {
        var definitions = plan.columns.map { column in
            "\(SQLText.identifier(column.name)) \(column.type)" + (column.isPrimaryKey ? " NOT NULL" : "")
        }
        definitions += [
            "\"transaction_id\" BIGINT NOT NULL",
            "\"end_transaction_id\" BIGINT",
            "\"operation_type\" SMALLINT NOT NULL",
        ]
        definitions += plan.modColumns.map { "\(SQLText.identifier($0)) BOOLEAN NOT NULL DEFAULT false" }
        definitions.append("PRIMARY KEY (\(plan.keyList), \"transaction_id\")")
        return ["CREATE TABLE \(self.qualified(plan.versionTable)) (\(definitions.joined(separator: ", ")))"] + self.indexes(plan)
    }

    func indexes(_ plan: VersioningPlan) -> [String] {
        plan.createIndexes(on: self.qualified(plan.versionTable)) { SQLText.objectName($0) }
    }

    func addVersionColumn(_ plan: VersioningPlan, _ column: ColumnDescription) -> [String] {
        let versionTable = self.qualified(plan.versionTable)
        var statements = ["ALTER TABLE \(versionTable) ADD COLUMN \(SQLText.identifier(column.name)) \(column.type)"]
        if plan.tracksModifiedColumns && !column.isPrimaryKey {
            statements.append(self.addModColumn(plan, column))
        }
        return statements
    }

    func addModColumn(_ plan: VersioningPlan, _ column: ColumnDescription) -> String {
        "ALTER TABLE \(self.qualified(plan.versionTable)) ADD COLUMN \(SQLText.identifier(column.modColumn)) BOOLEAN NOT NULL DEFAULT false"
    }

    func renameVersionColumn(_ plan: VersioningPlan, from old: String, to new: String) -> String {
        "ALTER TABLE \(self.qualified(plan.versionTable)) RENAME COLUMN \(SQLText.identifier(old)) TO \(SQLText.identifier(new))"
    }

    // MARK: Triggers

    /// The transaction-local setting that marks `entity` of `schema` as recorded in
    /// transaction_changes: a custom setting name must be an identifier, so the pair is hashed
    /// (FNV-1a, 64 bits).
    static func recordedSetting(schema: String, entity: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (schema + "\u{0}" + entity).utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return "continuum.changes_" + String(hash, radix: 16)
    }

    static let insertDeleteTrigger = "continuum_insert_delete"
    static let updateTrigger = "continuum_update"

    func functionName(_ plan: VersioningPlan) -> String {
        self.qualified(SQLText.objectName("_continuum_\(plan.table.name)_version"))
    }

    func dropTriggers(_ plan: VersioningPlan, dropFunction: Bool = true) -> [String] {
        let table = self.qualified(plan.table.name)
        var statements = [
            "DROP TRIGGER IF EXISTS \(SQLText.identifier(Self.insertDeleteTrigger)) ON \(table)",
            "DROP TRIGGER IF EXISTS \(SQLText.identifier(Self.updateTrigger)) ON \(table)",
        ]
        if dropFunction { statements.append("DROP FUNCTION IF EXISTS \(self.functionName(plan))()") }
        return statements
    }

    func createTriggers(_ plan: VersioningPlan) -> [String] {
        let table = self.qualified(plan.table.name)
        let changed = plan.columns.map { self.distinct("OLD", "NEW", $0) }
        return [self.function(plan)] + self.dropTriggers(plan, dropFunction: false) + [
            "CREATE TRIGGER \(SQLText.identifier(Self.insertDeleteTrigger)) AFTER INSERT OR DELETE ON \(table) "
                + "FOR EACH ROW EXECUTE FUNCTION \(self.functionName(plan))()",
            "CREATE TRIGGER \(SQLText.identifier(Self.updateTrigger)) AFTER UPDATE ON \(table) "
                + "FOR EACH ROW WHEN (\(changed.joined(separator: " OR "))) EXECUTE FUNCTION \(self.functionName(plan))()",
        ]
    }

    /// `a.c IS DISTINCT FROM b.c`, through a text cast for types without an equality operator.
    private func distinct(_ a: String, _ b: String, _ column: ColumnDescription) -> String {
        let name = SQLText.identifier(column.name)
        return column.comparesAsText
            ? "\(a).\(name)::text IS DISTINCT FROM \(b).\(name)::text"
            : "\(a).\(name) IS DISTINCT FROM \(b).\(name)"
    }

    private func function(_ plan: VersioningPlan) -> String {
        let versionTable = self.qualified(plan.versionTable)
        let changes = self.qualified(self.configuration.transactionChangesTable)
        let conflict = "ON CONFLICT (\(plan.keyList), \"transaction_id\")"
        let keyChanged = plan.primaryKey.map { self.distinct("OLD", "NEW", $0) }.joined(separator: " OR ")

        func insertVersion(_ row: String, operation: Int, mods: [String], updates: [String]) -> String {
            let values = plan.values(row) + ["v_tx", "NULL", String(operation)] + mods
            return "INSERT INTO \(versionTable) (\(plan.versionColumnList)) VALUES (\(values.joined(separator: ", "))) "
                + "\(conflict) " + (updates.isEmpty ? "DO NOTHING;" : "DO UPDATE SET \(updates.joined(separator: ", "));")
        }
        // Close the key's open version. If a transaction that began later already committed
        // that version (READ COMMITTED lets it), this transaction's id is older than the
        // version it closes: renumber this transaction so ids follow commit order.
        func close(_ row: String) -> String {
            """
            UPDATE \(versionTable) SET "end_transaction_id" = v_tx WHERE \(plan.keyMatch(row)) \
            AND "end_transaction_id" IS NULL AND "transaction_id" <> v_tx RETURNING "transaction_id" INTO v_previous;
                    IF v_previous > v_tx THEN
                        v_tx := \(self.renumberFunction)(v_tx);
                    END IF;
            """
        }
        // The first row a transaction changes records the entity in transaction_changes and
        // marks it in a transaction-local setting (rolled back with a savepoint, like the
        // transaction id): later rows skip the insert.
        let recorded = SQLText.literal(Self.recordedSetting(schema: self.schema, entity: plan.entityName))
        let modifiable = plan.tracksModifiedColumns ? plan.modifiableColumns : []
        func mod(_ column: ColumnDescription) -> String { SQLText.identifier(column.modColumn) }

        let deleteVersion = insertVersion(
            "OLD", operation: 2, mods: modifiable.map { _ in "true" },
            updates: plan.assignExcluded("EXCLUDED") + ["\"operation_type\" = 2"] + modifiable.map { "\(mod($0)) = true" }
        )
        let updateVersion = insertVersion(
            "NEW", operation: 1, mods: modifiable.map { self.distinct("OLD", "NEW", $0) },
            updates: plan.assignExcluded("EXCLUDED") + modifiable.map { "\(mod($0)) = \(versionTable).\(mod($0)) OR EXCLUDED.\(mod($0))" }
        )
        let insertVersion = insertVersion(
            "NEW", operation: 0, mods: modifiable.map { "NEW.\(SQLText.identifier($0.name)) IS NOT NULL" },
            updates: plan.assignExcluded("EXCLUDED") + ["\"operation_type\" = 1"]
                + modifiable.map { "\(mod($0)) = \(versionTable).\(mod($0)) OR " + self.distinct(versionTable, "EXCLUDED", $0) }
        )

        let body = """

            DECLARE
                v_tx bigint := NULLIF(current_setting(\(SQLText.literal(VersioningConfiguration.settingTransactionID)), true), '')::bigint;
                v_previous bigint;
            BEGIN
                IF v_tx IS NULL THEN
                    v_tx := \(self.transactionIDFunction)();
                END IF;
                IF current_setting(\(recorded), true) IS DISTINCT FROM '1' THEN
                    INSERT INTO \(changes) ("transaction_id", "entity_name") VALUES (v_tx, \(SQLText.literal(plan.entityName))) ON CONFLICT DO NOTHING;
                    PERFORM set_config(\(recorded), '1', true);
                END IF;
                IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (\(keyChanged))) THEN
                    DELETE FROM \(versionTable) WHERE \(plan.keyMatch("OLD")) AND "transaction_id" = v_tx AND "operation_type" = 0;
                    IF FOUND THEN
                        UPDATE \(versionTable) SET "end_transaction_id" = NULL WHERE \(plan.keyMatch("OLD")) AND "end_transaction_id" = v_tx;
                    ELSE
                        \(close("OLD"))
                        \(deleteVersion)
                    END IF;
                    IF TG_OP = 'DELETE' THEN
                        RETURN NULL;
                    END IF;
                ELSIF TG_OP = 'UPDATE' THEN
                    \(close("NEW"))
                    \(updateVersion)
                    RETURN NULL;
                END IF;
                \(close("NEW"))
                \(insertVersion)
                RETURN NULL;
            END

            """
        let tag = SQLText.dollarTag("continuum", avoiding: body)
        return "CREATE OR REPLACE FUNCTION \(self.functionName(plan))() RETURNS trigger LANGUAGE plpgsql AS \(tag)\(body)\(tag)"
    }
}
