/// Generates the PostgreSQL schema, version tables, trigger functions and triggers.
///
/// Every object is qualified with the schema holding the versioned table, so a session with
/// another `search_path` (psql, another program) still writes history to the right place.
///
/// Transaction identity: `_continuum_transaction_id()` returns the id cached in a
/// transaction-local setting of the schema's own (``transactionSetting(schema:transactionTable:)``:
/// two versioned schemas written in one database transaction each get their own `transaction`
/// row); the first versioned change of a database transaction in a schema inserts its
/// `transaction` row (actor and address read from the settings a `versioned` scope sets),
/// fills the cache and adds the schema to ``schemasSetting``, where the scope finds every
/// transaction row it must give its metadata. Transaction-local settings follow savepoints, so
/// a rolled-back savepoint takes the cached id with the row it pointed to.
///
/// Generated PL/pgSQL never lets a user column shadow a variable: every function starts with
/// `#variable_conflict use_column` and a block label no table of the function uses, and every
/// variable read inside a query is qualified with that label (``Variables``).
struct PostgreSQLGenerator: Sendable {
    var configuration: VersioningConfiguration
    var schema: String

    /// A string literal read the same whatever `standard_conforming_strings` says: a value with a
    /// backslash becomes an escape string (`E'...'`) with the backslash doubled.
    static func literal(_ value: String) -> String {
        value.contains("\\") ? "E" + SQLText.literal(value.replacingOccurrences(of: "\\", with: "\\\\")) : SQLText.literal(value)
    }

    /// `CREATE OR REPLACE FUNCTION` of a generated PL/pgSQL function, `body` dollar-quoted. Every
    /// generated function pins `search_path = pg_catalog, pg_temp`; all but the key-moved marker
    /// (which only sets a transaction-local setting) run as their owner (`SECURITY DEFINER`), so
    /// writers need no rights on history. Privileges follow each definition (`REVOKE`/`GRANT`).
    static func function(_ name: String, arguments: String = "", returns: String, runsAsOwner: Bool = true, body: String) -> String {
        let tag = SQLText.dollarTag("continuum", avoiding: body)
        return "CREATE OR REPLACE FUNCTION \(name)(\(arguments)) RETURNS \(returns) LANGUAGE plpgsql"
            + (runsAsOwner ? " SECURITY DEFINER" : "") + " SET search_path = pg_catalog, pg_temp AS \(tag)\(body)\(tag)"
    }

    /// SQL for `EXECUTE`, dollar-quoted: no escape processing, whatever the session's settings.
    static func dynamic(_ sql: String) -> String {
        let tag = SQLText.dollarTag("sql", avoiding: sql)
        return tag + sql + tag
    }

    private func qualified(_ name: String) -> String {
        SQLText.identifier(self.schema) + "." + SQLText.identifier(name)
    }

    private var transactionIDFunction: String { self.qualified(VersioningConfiguration.transactionIDFunction) }

    /// The transaction-local setting caching the id of this database transaction's row in the
    /// `transaction` table of `schema`.
    static func transactionSetting(schema: String, transactionTable: String) -> String {
        "continuum.tx_" + Self.hash(schema + "\u{0}" + transactionTable)
    }

    /// The id a cache setting holds, `NULL` when it holds no id (or something else: any session
    /// can write it).
    static func cachedID(_ setting: String) -> String {
        "CASE WHEN current_setting(\(setting), true) ~ '^[0-9]{1,18}$' THEN current_setting(\(setting), true)::bigint END"
    }

    private var transactionSetting: String {
        Self.literal(Self.transactionSetting(schema: self.schema, transactionTable: self.configuration.transactionTable))
    }

    /// The transaction-local setting listing (as a JSON array) the schemas in which this
    /// database transaction created a `transaction` row.
    static let schemasSetting = "continuum.schemas"
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
            CREATE TABLE IF NOT EXISTS \(transaction) ("id" BIGINT NOT NULL DEFAULT nextval(\(Self.literal(sequence))::regclass), \
            "remote_addr" VARCHAR(50), "issued_at" TIMESTAMP WITHOUT TIME ZONE, "user_id" VARCHAR(255), \
            "native_transaction_id" xid8, "login_role" VARCHAR(255), "client_addr" VARCHAR(50), PRIMARY KEY ("id"))
            """,
            // SQLAlchemy-Continuum's table draws ids from the same sequence on the client side;
            // the triggers need it as the column default.
            "ALTER TABLE \(transaction) ALTER COLUMN \"id\" SET DEFAULT nextval(\(Self.literal(sequence))::regclass)",
            "ALTER TABLE \(transaction) ADD COLUMN IF NOT EXISTS \"remote_addr\" VARCHAR(50)",
            "ALTER TABLE \(transaction) ADD COLUMN IF NOT EXISTS \"user_id\" VARCHAR(255)",
            "ALTER TABLE \(transaction) ADD COLUMN IF NOT EXISTS \"native_transaction_id\" xid8",
            // What the database knows, next to the application's claims (user_id, remote_addr).
            "ALTER TABLE \(transaction) ADD COLUMN IF NOT EXISTS \"login_role\" VARCHAR(255)",
            "ALTER TABLE \(transaction) ADD COLUMN IF NOT EXISTS \"client_addr\" VARCHAR(50)",
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
            // The transaction-id function finds the current database transaction's row by it.
            "CREATE INDEX IF NOT EXISTS \"ix_transaction_native_transaction_id\" ON \(transaction) (\"native_transaction_id\")",
        ] + self.sharedFunctions() + self.readerGrants([transaction, changes, meta, registry], schema: true)
    }

    /// `GRANT SELECT` on `tables` (qualified) to the configured reader role, if any.
    func readerGrants(_ tables: [String], schema: Bool = false) -> [String] {
        guard let reader = self.configuration.readerRole else { return [] }
        let role = SQLText.identifier(reader)
        return (schema ? ["GRANT USAGE ON SCHEMA \(SQLText.identifier(self.schema)) TO \(role)"] : [])
            + tables.map { "GRANT SELECT ON \($0) TO \(role)" }
    }

    /// The shared functions, each followed by its privileges. They run as their owner (the role
    /// that installed versioning), so writers need no rights on history: the trigger functions
    /// and these two cannot be called by anyone else (`REVOKE ... FROM PUBLIC`); the scope
    /// helpers, which only touch the caller's own transaction rows, can.
    func sharedFunctions() -> [String] {
        [
            self.transactionIDFunctionDefinition(),
            "REVOKE ALL ON FUNCTION \(self.transactionIDFunction)() FROM PUBLIC",
            self.renumberFunctionDefinition(),
            "REVOKE ALL ON FUNCTION \(self.renumberFunction)(bigint) FROM PUBLIC",
            self.claimFunctionDefinition(),
            "GRANT EXECUTE ON FUNCTION \(self.qualified(VersioningConfiguration.claimFunction))(text, text) TO PUBLIC",
            self.metaFunctionDefinition(),
            "GRANT EXECUTE ON FUNCTION \(self.qualified(VersioningConfiguration.metaFunction))(text[], text[]) TO PUBLIC",
        ]
    }

    /// `claim`, or NULL when the session may not claim an actor.
    private func claimed(_ claim: String) -> String {
        self.mayClaim.map { "CASE WHEN \($0) THEN \(claim) END" } ?? claim
    }

    /// Whether the session may claim an actor (``VersioningConfiguration/actorClaimRoles``);
    /// `nil` when every session may.
    private var mayClaim: String? {
        guard let roles = self.configuration.actorClaimRoles else { return nil }
        guard !roles.isEmpty else { return "false" }
        let names = roles.sorted().map(Self.literal).joined(separator: ", ")
        return "EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r WHERE r.rolname IN (\(names)) AND pg_catalog.pg_has_role(session_user, r.oid, 'MEMBER'))"
    }

    /// Scope helper: gives the current database transaction's row in this schema (if it exists
    /// yet) the actor and address a scope claims, where it has none.
    func claimFunctionDefinition() -> String {
        let transaction = self.qualified(self.configuration.transactionTable)
        let body = """

            BEGIN
                UPDATE \(transaction) SET "user_id" = COALESCE("user_id", NULLIF(p_user, '')),
                    "remote_addr" = COALESCE("remote_addr", NULLIF(p_address, ''))
                WHERE "native_transaction_id" = pg_current_xact_id() AND "issued_at" = now() AT TIME ZONE 'UTC'\(self.mayClaim.map { " AND " + $0 } ?? "");
            END

            """
        return Self.function(self.qualified(VersioningConfiguration.claimFunction), arguments: "p_user text, p_address text", returns: "void", body: body)
    }

    /// Scope helper: records a scope's metadata on the current database transaction's row in
    /// this schema, if it exists.
    func metaFunctionDefinition() -> String {
        let transaction = self.qualified(self.configuration.transactionTable)
        let meta = self.qualified(self.configuration.transactionMetaTable)
        let body = """

            BEGIN
                INSERT INTO \(meta) ("transaction_id", "key", "value")
                SELECT t."id", m."k", m."v" FROM \(transaction) AS t, unnest(p_keys, p_values) AS m("k", "v")
                WHERE t."native_transaction_id" = pg_current_xact_id() AND t."issued_at" = now() AT TIME ZONE 'UTC'
                ON CONFLICT ("transaction_id", "key") DO UPDATE SET "value" = EXCLUDED."value";
            END

            """
        return Self.function(self.qualified(VersioningConfiguration.metaFunction), arguments: "p_keys text[], p_values text[]", returns: "void", body: body)
    }

    /// The statements that stop a trigger function from running for any table but its own:
    /// it runs as the owner, so attached to another table it would write history for rows that
    /// never existed. (Only its owner could attach it: nobody else may execute it.)
    private func ownTableGuard(_ plan: VersioningPlan) -> String {
        let table = Self.literal(self.qualified(plan.table.name))
        return """
            IF TG_RELID <> \(table)::regclass AND pg_partition_root(TG_RELID) IS DISTINCT FROM \(table)::regclass THEN
                    RAISE EXCEPTION 'swift-continuum: this function versions %, not %', \(table)::regclass, TG_RELID::regclass;
                END IF;
            """
    }

    /// Gives the current transaction a new, larger id, everywhere it is recorded. Called by a
    /// trigger that is about to close a version written by a transaction that committed after
    /// this one began: ids then keep following commit order, and every chain stays ordered.
    func renumberFunctionDefinition() -> String {
        let sequence = Self.literal(self.qualified(SQLText.objectName(self.configuration.transactionTable + "_id_seq")))
        let body = """

            DECLARE
                v_new bigint := nextval(\(sequence)::regclass);
                v_table record;
                v_match text;
            BEGIN
                -- Only the caller's own transaction can be renumbered.
                UPDATE \(self.qualified(self.configuration.transactionTable)) SET "id" = v_new
                WHERE "id" = p_old AND "native_transaction_id" = pg_current_xact_id();
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'swift-continuum: transaction % is not the current database transaction; a transaction can only renumber itself', p_old;
                END IF;
                FOR v_table IN
                    SELECT DISTINCT r."version_table", r."columns" FROM \(self.qualified(VersioningConfiguration.registryTable)) AS r
                    JOIN \(self.qualified(self.configuration.transactionChangesTable)) AS c ON c."entity_name" = r."entity_name"
                    WHERE c."transaction_id" = p_old
                LOOP
                    -- The versions this transaction closed are the previous versions of the keys it
                    -- wrote: found through its own versions (transaction_id index, then the key),
                    -- not by scanning every version for its end_transaction_id.
                    SELECT string_agg(format('v.%I = w.%I', k->>'name', k->>'name'), ' AND ' ORDER BY (k->>'primaryKeyPosition')::int)
                    INTO v_match FROM jsonb_array_elements(v_table."columns"::jsonb) AS k WHERE (k->>'primaryKeyPosition')::int > 0;
                    EXECUTE format('UPDATE %I.%I AS v SET "end_transaction_id" = $1 FROM %I.%I AS w WHERE w."transaction_id" = $2 AND %s AND v."end_transaction_id" = $2',
                        \(Self.literal(self.schema)), v_table."version_table", \(Self.literal(self.schema)), v_table."version_table", v_match) USING v_new, p_old;
                    EXECUTE format('UPDATE %I.%I SET "transaction_id" = $1 WHERE "transaction_id" = $2', \(Self.literal(self.schema)), v_table."version_table") USING v_new, p_old;
                END LOOP;
                UPDATE \(self.qualified(self.configuration.transactionChangesTable)) SET "transaction_id" = v_new WHERE "transaction_id" = p_old;
                UPDATE \(self.qualified(self.configuration.transactionMetaTable)) SET "transaction_id" = v_new WHERE "transaction_id" = p_old;
                PERFORM set_config(\(self.transactionSetting), v_new::text, true);
                RETURN v_new;
            END

            """
        return Self.function(self.renumberFunction, arguments: "p_old bigint", returns: "bigint", body: body)
    }

    func transactionIDFunctionDefinition() -> String {
        let transaction = self.qualified(self.configuration.transactionTable)
        let cache = self.transactionSetting
        let schemas = Self.literal(Self.schemasSetting)
        let body = """

            DECLARE
                v_xact xid8 := pg_current_xact_id();
                v_id bigint;
            BEGIN
                -- Any session can set the cache, so it is only a hint: the row it names must be
                -- this database transaction's own. Otherwise find that row by the transaction's id
                -- (and start time: a restored database restarts the xid counter), or create it.
                v_id := \(Self.cachedID(cache));
                IF v_id IS NOT NULL AND EXISTS (
                    SELECT 1 FROM \(transaction) AS t WHERE t."id" = v_id AND t."native_transaction_id" = v_xact
                ) THEN
                    RETURN v_id;
                END IF;
                v_id := NULL;
                SELECT t."id" INTO v_id FROM \(transaction) AS t
                WHERE t."native_transaction_id" = v_xact AND t."issued_at" = now() AT TIME ZONE 'UTC' ORDER BY t."id" DESC LIMIT 1;
                IF v_id IS NULL THEN
                    INSERT INTO \(transaction) ("issued_at", "user_id", "remote_addr", "native_transaction_id", "login_role", "client_addr")
                    VALUES (now() AT TIME ZONE 'UTC',
                            \(self.claimed("NULLIF(current_setting(\(Self.literal(VersioningConfiguration.settingUserID)), true), '')")),
                            \(self.claimed("NULLIF(current_setting(\(Self.literal(VersioningConfiguration.settingRemoteAddress)), true), '')")),
                            v_xact, session_user, host(inet_client_addr()))
                    RETURNING "id" INTO v_id;
                    PERFORM set_config(\(schemas), (COALESCE(NULLIF(current_setting(\(schemas), true), ''), '[]')::jsonb
                        || jsonb_build_array(\(Self.literal(self.schema))::text))::text, true);
                END IF;
                PERFORM set_config(\(cache), v_id::text, true);
                RETURN v_id;
            END

            """
        return Self.function(self.transactionIDFunction, returns: "bigint", body: body)
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

    func alterVersionColumnType(_ plan: VersioningPlan, _ column: ColumnDescription) -> String {
        let name = SQLText.identifier(column.name)
        return "ALTER TABLE \(self.qualified(plan.versionTable)) ALTER COLUMN \(name) TYPE \(column.type) USING \(name)::\(column.type)"
    }

    func renameVersionColumn(_ plan: VersioningPlan, from old: String, to new: String) -> String {
        "ALTER TABLE \(self.qualified(plan.versionTable)) RENAME COLUMN \(SQLText.identifier(old)) TO \(SQLText.identifier(new))"
    }

    // MARK: Triggers

    /// The transaction-local setting that says a primary key of `table` (in `schema`) changed
    /// in this transaction: until it is set, the statement-level update function skips looking
    /// for keys that lost or gained a row.
    static func movedSetting(schema: String, table: String) -> String {
        "continuum.moved_" + Self.hash(schema + "\u{0}" + table)
    }

    private static func hash(_ text: String) -> String { SQLText.hash(text) }

    static let insertDeleteTrigger = "continuum_insert_delete"
    static let updateTrigger = "continuum_update"
    /// With a statement-level update trigger: a row-level trigger that fires only when a row's
    /// primary key changes, to mark the transaction (``movedSetting(schema:table:)``). Its `WHEN`
    /// clause also names every versioned column (in a branch that is never true), so PostgreSQL
    /// refuses to drop a versioned column behind versioning's back, as it does for the row-level
    /// update trigger's `WHEN` clause.
    static let columnsTrigger = "continuum_columns"
    /// `BEFORE TRUNCATE`, per statement: writes a DELETE version of every row the statement is
    /// about to remove (``truncateFunction(_:)``), so `TRUNCATE` (and `TRUNCATE ... CASCADE`
    /// reaching a versioned table) keeps its deletions in history.
    static let truncateTrigger = "continuum_truncate"

    /// The triggers a versioned table carries.
    static func triggerNames(_ plan: VersioningPlan) -> Set<String> {
        plan.updatesPerStatement
            ? [insertDeleteTrigger, updateTrigger, columnsTrigger, truncateTrigger] : [insertDeleteTrigger, updateTrigger, truncateTrigger]
    }

    /// The row-level function: inserts and deletes, and updates of tables that cannot use the
    /// statement-level one.
    func functionName(_ plan: VersioningPlan) -> String {
        self.qualified(SQLText.objectName("_continuum_\(plan.table.name)_version"))
    }

    /// The statement-level update function, reading the statement's transition tables.
    func updateFunctionName(_ plan: VersioningPlan) -> String {
        self.qualified(SQLText.objectName("_continuum_\(plan.table.name)_version_update"))
    }

    /// Drops the triggers, then (with `dropFunction`) their functions (``dropFunctions(_:)``).
    func dropTriggers(_ plan: VersioningPlan, dropFunction: Bool = true) -> [String] {
        let table = self.qualified(plan.table.name)
        var statements = [
            "DROP TRIGGER IF EXISTS \(SQLText.identifier(Self.insertDeleteTrigger)) ON \(table)",
            "DROP TRIGGER IF EXISTS \(SQLText.identifier(Self.updateTrigger)) ON \(table)",
            "DROP TRIGGER IF EXISTS \(SQLText.identifier(Self.columnsTrigger)) ON \(table)",
            "DROP TRIGGER IF EXISTS \(SQLText.identifier(Self.truncateTrigger)) ON \(table)",
        ]
        if dropFunction { statements += self.dropFunctions(plan) }
        return statements
    }

    /// The function of ``columnsTrigger``.
    func keyMovedFunctionName(_ plan: VersioningPlan) -> String {
        self.qualified(SQLText.objectName("_continuum_\(plan.table.name)_key_moved"))
    }

    /// The function of ``truncateTrigger``.
    func truncateFunctionName(_ plan: VersioningPlan) -> String {
        self.qualified(SQLText.objectName("_continuum_\(plan.table.name)_version_truncate"))
    }

    func dropFunctions(_ plan: VersioningPlan) -> [String] {
        [self.functionName(plan), self.updateFunctionName(plan), self.keyMovedFunctionName(plan), self.truncateFunctionName(plan)]
            .map { "DROP FUNCTION IF EXISTS \($0)()" }
    }

    /// Inserts and deletes fire a row-level trigger. Updates of a table with
    /// ``TableDescription/versionsUpdatesPerStatement`` fire a statement-level trigger that
    /// writes the history of every changed row with a few set-based statements (a bulk UPDATE
    /// pays no per-row function call); other tables get a row-level update trigger.
    func createTriggers(_ plan: VersioningPlan) -> [String] {
        let table = self.qualified(plan.table.name)
        var statements = self.readerGrants([self.qualified(plan.versionTable)]) + [
            self.function(plan), "REVOKE ALL ON FUNCTION \(self.functionName(plan))() FROM PUBLIC",
            self.truncateFunction(plan), "REVOKE ALL ON FUNCTION \(self.truncateFunctionName(plan))() FROM PUBLIC",
        ]
        if plan.updatesPerStatement {
            let moved = Self.literal(Self.movedSetting(schema: self.schema, table: plan.table.name))
            statements.append(self.updateFunction(plan))
            statements.append("REVOKE ALL ON FUNCTION \(self.updateFunctionName(plan))() FROM PUBLIC")
            statements.append(Self.function(
                self.keyMovedFunctionName(plan), returns: "trigger", runsAsOwner: false,
                body: " BEGIN PERFORM set_config(\(moved), '1', true); RETURN NULL; END "
            ))
            statements.append("REVOKE ALL ON FUNCTION \(self.keyMovedFunctionName(plan))() FROM PUBLIC")
        }
        statements += self.dropTriggers(plan, dropFunction: false)
        statements.append(
            "CREATE TRIGGER \(SQLText.identifier(Self.insertDeleteTrigger)) AFTER INSERT OR DELETE ON \(table) "
                + "FOR EACH ROW EXECUTE FUNCTION \(self.functionName(plan))()"
        )
        statements.append(
            "CREATE TRIGGER \(SQLText.identifier(Self.truncateTrigger)) BEFORE TRUNCATE ON \(table) "
                + "FOR EACH STATEMENT EXECUTE FUNCTION \(self.truncateFunctionName(plan))()"
        )
        if plan.updatesPerStatement {
            statements.append(
                "CREATE TRIGGER \(SQLText.identifier(Self.updateTrigger)) AFTER UPDATE ON \(table) "
                    + "REFERENCING OLD TABLE AS \(Self.oldRows) NEW TABLE AS \(Self.newRows) "
                    + "FOR EACH STATEMENT EXECUTE FUNCTION \(self.updateFunctionName(plan))()"
            )
            // No column list: a key changed by a BEFORE trigger must mark the transaction too.
            // The never-true branch names every other versioned column, for the dependency.
            // Compared by image: a `WHEN` clause binds its operators when the trigger is created,
            // under the installer's search_path; a function call named with its schema cannot be hijacked.
            var condition = self.differs("OLD", "NEW", plan.primaryKey)
            if !plan.modifiableColumns.isEmpty {
                condition += " OR (false AND (" + plan.modifiableColumns.map { "OLD.\(SQLText.identifier($0.name)) IS NULL" }
                    .joined(separator: " AND ") + "))"
            }
            statements.append(
                "CREATE TRIGGER \(SQLText.identifier(Self.columnsTrigger)) AFTER UPDATE ON \(table) "
                    + "FOR EACH ROW WHEN (\(condition)) EXECUTE FUNCTION \(self.keyMovedFunctionName(plan))()"
            )
        } else {
            statements.append(
                "CREATE TRIGGER \(SQLText.identifier(Self.updateTrigger)) AFTER UPDATE ON \(table) "
                    + "FOR EACH ROW WHEN (\(self.differs("OLD", "NEW", plan.columns))) EXECUTE FUNCTION \(self.functionName(plan))()"
            )
            statements.append("DROP FUNCTION IF EXISTS \(self.updateFunctionName(plan))()")
            statements.append("DROP FUNCTION IF EXISTS \(self.keyMovedFunctionName(plan))()")
        }
        return statements
    }

    static let oldRows = "\"continuum_old_rows\""
    static let newRows = "\"continuum_new_rows\""

    /// Whether the values of `columns` in rows `a` and `b` differ as stored: their binary images
    /// (`record_image_eq`, NULLs equal to each other). A type's own `=` can call two visibly
    /// different values equal (`citext` ignores case, `numeric` ignores scale: `1.0 = 1.000`), and
    /// some types have none (json, point, xml); the images see every difference a reader could,
    /// and need no operator at all. One call compares every column at once.
    private func differs(_ a: String, _ b: String, _ columns: [ColumnDescription]) -> String {
        guard !columns.isEmpty else { return "false" }
        let row = { (reference: String) in columns.map { "\(reference).\(SQLText.identifier($0.name))" }.joined(separator: ", ") }
        return self.differs(row(a), row(b))
    }

    private func differs(_ a: String, _ b: String, _ column: ColumnDescription) -> String {
        self.differs(a, b, [column])
    }

    /// `a` and `b` are comma-separated expressions, compared as one row image.
    private func differs(_ a: String, _ b: String) -> String {
        "NOT pg_catalog.record_image_eq(ROW(\(a)), ROW(\(b)))"
    }

    /// Whether a key column changed: by the type's own equality, which decides what is one key
    /// (and what the primary key's index matches), through the key's own operator (named with
    /// its schema when it is not pg_catalog's: the functions' search_path is pinned).
    private func keyDiffers(_ a: String, _ b: String, _ column: ColumnDescription) -> String {
        let name = SQLText.identifier(column.name)
        return "NOT (\(column.equals("\(a).\(name)", "\(b).\(name)")))"
    }

    /// The statements that find (or create) the transaction and record the entity in
    /// `transaction_changes`, leaving the id in `v_tx`. The first row a transaction changes
    /// records the entity and marks it in a transaction-local setting (rolled back with a
    /// savepoint, like the transaction id): later rows skip the insert.
    private func prologue(_ plan: VersioningPlan, _ v: Variables) -> String {
        let changes = self.qualified(self.configuration.transactionChangesTable)
        let transaction = self.qualified(self.configuration.transactionTable)
        let entity = Self.literal(plan.entityName)
        // The cached id is trusted only once the row it names proves to be this database
        // transaction's; the same query says whether the entity is recorded in
        // transaction_changes yet (`v_recorded`: whether this transaction wrote the table before).
        return """
            v_tx := NULL;
                v_recorded := false;
                SELECT t."id", EXISTS (SELECT 1 FROM \(changes) AS c WHERE c."transaction_id" = t."id" AND c."entity_name" = \(entity))
                INTO v_tx, v_recorded
                FROM \(transaction) AS t WHERE t."id" = \(Self.cachedID(self.transactionSetting)) AND t."native_transaction_id" = pg_current_xact_id();
                IF v_tx IS NULL THEN
                    v_tx := \(self.transactionIDFunction)();
                    v_recorded := false;
                END IF;
                IF NOT v_recorded THEN
                    INSERT INTO \(changes) ("transaction_id", "entity_name") VALUES (\(v.tx), \(entity)) ON CONFLICT DO NOTHING;
                END IF;
            """
    }

    /// After closing versions: if one was written by a younger transaction, renumber this one.
    /// The renumbering finds the versions this transaction closed through the keys of its own
    /// versions; the version `close` just closed has none yet (its key's new version comes next),
    /// so it is given the new id here, found by its key and transaction.
    private func conflictRenumber(_ v: Variables, _ plan: VersioningPlan? = nil, _ row: String? = nil) -> String {
        var renumbered = "v_tx := \(self.renumberFunction)(\(v.tx));"
        if let plan, let row {
            renumbered += "\n            UPDATE \(self.qualified(plan.versionTable)) SET \"end_transaction_id\" = \(v.tx) "
                + "WHERE \(plan.keyMatch(row)) AND \"transaction_id\" = \(v.previous);"
        }
        return """
            IF \(v.previous) > \(v.tx) THEN
                        \(renumbered)
                    END IF;
            """
    }

    /// Closes the key's open version. If a transaction that began later already committed
    /// that version (READ COMMITTED lets it), this transaction's id is older than the version
    /// it closes: renumber this transaction so ids follow commit order.
    private func close(_ plan: VersioningPlan, _ row: String, _ v: Variables) -> String {
        """
        UPDATE \(self.qualified(plan.versionTable)) SET "end_transaction_id" = \(v.tx) WHERE \(plan.keyMatch(row)) \
        AND "end_transaction_id" IS NULL AND "transaction_id" <> \(v.tx) RETURNING "transaction_id" INTO v_previous;
                \(self.conflictRenumber(v, plan, row))
        """
    }

    private func insertVersion(_ plan: VersioningPlan, _ v: Variables, values: [String], operation: Int, mods: [String], updates: [String]) -> String {
        let all = values + [v.tx, "NULL", String(operation)] + mods
        return "INSERT INTO \(self.qualified(plan.versionTable)) (\(plan.versionColumnList)) VALUES (\(all.joined(separator: ", "))) "
            + "ON CONFLICT (\(plan.keyList), \"transaction_id\") "
            + (updates.isEmpty ? "DO NOTHING;" : "DO UPDATE SET \(updates.joined(separator: ", "));")
    }

    private func modifiable(_ plan: VersioningPlan) -> [ColumnDescription] { plan.tracksModifiedColumns ? plan.modifiableColumns : [] }

    /// The row `row` disappears from its key: a DELETE version, or, when this transaction
    /// inserted the key, no version and the previous one reopened.
    private func deleteRow(_ plan: VersioningPlan, _ row: String, _ v: Variables) -> String {
        let versionTable = self.qualified(plan.versionTable)
        let modifiable = self.modifiable(plan)
        let version = self.insertVersion(
            plan, v, values: plan.values(row), operation: 2, mods: modifiable.map { _ in "true" },
            updates: plan.assignExcluded("EXCLUDED") + ["\"operation_type\" = 2"] + modifiable.map { "\(SQLText.identifier($0.modColumn)) = true" }
        )
        return """
            DELETE FROM \(versionTable) WHERE \(plan.keyMatch(row)) AND "transaction_id" = \(v.tx) AND "operation_type" = 0;
                    IF FOUND THEN
                        UPDATE \(versionTable) SET "end_transaction_id" = NULL WHERE \(plan.keyMatch(row)) AND "end_transaction_id" = \(v.tx);
                    ELSE
                        \(self.close(plan, row, v))
                        \(version)
                    END IF;
            """
    }

    /// The row `row` appears under its key: an INSERT version, an UPDATE when merged into this
    /// transaction's version of the key.
    private func insertRow(_ plan: VersioningPlan, _ row: String, _ v: Variables) -> String {
        let versionTable = self.qualified(plan.versionTable)
        let version = self.insertVersion(
            plan, v, values: plan.values(row), operation: 0, mods: self.modifiable(plan).map { "\(row).\(SQLText.identifier($0.name)) IS NOT NULL" },
            updates: plan.assignExcluded("EXCLUDED") + ["\"operation_type\" = 1"]
                + self.modifiable(plan).map { column in
                    let mod = SQLText.identifier(column.modColumn)
                    return "\(mod) = \(versionTable).\(mod) OR " + self.differs(versionTable, "EXCLUDED", column)
                }
        )
        return self.close(plan, row, v) + "\n        " + version
    }

    /// `mod = version.mod OR EXCLUDED.mod`: an update merged into this transaction's version.
    private func mergedMods(_ plan: VersioningPlan) -> [String] {
        let versionTable = self.qualified(plan.versionTable)
        return self.modifiable(plan).map { column in
            let mod = SQLText.identifier(column.modColumn)
            return "\(mod) = \(versionTable).\(mod) OR EXCLUDED.\(mod)"
        }
    }

    /// The row-level function: every insert and delete, and the updates of tables without
    /// ``TableDescription/versionsUpdatesPerStatement``.
    private func function(_ plan: VersioningPlan) -> String {
        let v = Variables(plan, self.configuration)
        let (old, new) = (v.qualified("v_old"), v.qualified("v_new"))
        let keyChanged = plan.primaryKey.map { self.keyDiffers(old, new, $0) }.joined(separator: " OR ")
        let updateVersion = self.insertVersion(
            plan, v, values: plan.values(new), operation: 1, mods: self.modifiable(plan).map { self.differs(old, new, $0) },
            updates: plan.assignExcluded("EXCLUDED") + self.mergedMods(plan)
        )
        // NEW and OLD are copied to labelled variables: a user column named "new" or "old"
        // would otherwise capture `NEW."c"` in a query on the version table.
        let body = """

            \(v.header)
            DECLARE
                v_tx bigint;
                v_previous bigint;
                v_recorded boolean;
                v_old record;
                v_new record;
            BEGIN
                \(self.ownTableGuard(plan))
                -- Both always hold a row of the table: an expression naming an unassigned
                -- record fails even in a branch that is not taken.
                IF TG_OP = 'INSERT' THEN
                    v_old := NEW;
                    v_new := NEW;
                ELSIF TG_OP = 'DELETE' THEN
                    v_old := OLD;
                    v_new := OLD;
                ELSE
                    v_old := OLD;
                    v_new := NEW;
                END IF;
                \(self.prologue(plan, v))
                IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (\(keyChanged))) THEN
                    \(self.deleteRow(plan, old, v))
                    IF TG_OP = 'DELETE' THEN
                        RETURN NULL;
                    END IF;
                ELSIF TG_OP = 'UPDATE' THEN
                    \(self.close(plan, new, v))
                    \(updateVersion)
                    RETURN NULL;
                END IF;
                \(self.insertRow(plan, new, v))
                RETURN NULL;
            END

            """
        return Self.function(self.functionName(plan), returns: "trigger", body: body)
    }

    /// The truncate function: before `TRUNCATE` removes the rows, each gets a DELETE version
    /// through the same logic as a row-level delete. A partitioned table's rows are read
    /// through it (its history holds its partitions' rows); any other table's with `ONLY`
    /// (an inheritance child versions its own rows).
    private func truncateFunction(_ plan: VersioningPlan) -> String {
        let v = Variables(plan, self.configuration)
        let row = v.qualified("v_row")
        let table = self.qualified(plan.table.name)
        let body = """

            \(v.header)
            DECLARE
                v_tx bigint;
                v_previous bigint;
                v_recorded boolean;
                v_row record;
            BEGIN
                \(self.ownTableGuard(plan))
                FOR v_row IN EXECUTE CASE WHEN (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = TG_RELID) = 'p'
                    THEN \(Self.dynamic("SELECT * FROM " + table)) ELSE \(Self.dynamic("SELECT * FROM ONLY " + table)) END LOOP
                    IF v_tx IS NULL THEN
                        \(self.prologue(plan, v))
                    END IF;
                    \(self.deleteRow(plan, row, v))
                END LOOP;
                RETURN NULL;
            END

            """
        return Self.function(self.truncateFunctionName(plan), returns: "trigger", body: body)
    }

    /// The statement-level update function. Rows are paired by key between the statement's old
    /// and new transition tables:
    /// - a key in both whose versioned values differ is an in-place update;
    /// - a key only in the old rows lost its row, a key only in the new rows gained one (a key
    ///   change): these go row by row through the same logic as a DELETE and an INSERT.
    ///
    /// A statement over at most `VersioningConfiguration.staticPlanRowLimit` rows runs static SQL (plans
    /// cached by PL/pgSQL) and writes its updates row by row, like the row-level function. A
    /// larger one runs its queries through `EXECUTE`, planned for their size, and writes its
    /// updates set-based: one UPDATE closes the open versions, one INSERT writes (or merges) the
    /// new ones. A cached plan keeps the transition-table sizes it was made for, so without the
    /// split a nested loop planned for one row would later face 100,000 (quadratic), or a hash
    /// join planned for a bulk update would scan the whole version table on every single-row
    /// update. A statement that changed no versioned value writes nothing, not even a transaction.
    private func updateFunction(_ plan: VersioningPlan) -> String {
        let v = Variables(plan, self.configuration)
        let row = v.qualified("v_row")
        let versionTable = self.qualified(plan.versionTable)
        let columns = plan.columns
        let keyJoin = plan.primaryKey.map { $0.equals("o.\(SQLText.identifier($0.name))", "n.\(SQLText.identifier($0.name))") }
            .joined(separator: " AND ")
        // Keys included: a key can change its image without changing under its type's `=`.
        let anyChanged = self.differs("o", "n", columns)
        // The pairs' columns are named by position ("n1", "m1", ...): a user column can have any name.
        let newNames = columns.indices.map { "\"n\($0 + 1)\"" }
        let position = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1.name, $0) })
        let pairKeyMatch = plan.primaryKey.map { $0.equals("v.\(SQLText.identifier($0.name))", "p.\(newNames[position[$0.name]!])") }
            .joined(separator: " AND ")
        // The `_mod` flags are computed where the pairs are formed: the pairs carry one column per
        // versioned column and one per flag, not the old values too (a wide table stays within
        // PostgreSQL's 1,664 target entries).
        let modNames = self.modifiable(plan).indices.map { "\"m\($0 + 1)\"" }
        let updates = plan.assignExcluded("EXCLUDED") + self.mergedMods(plan)
        let onConflict = "ON CONFLICT (\(plan.keyList), \"transaction_id\") "
            + (updates.isEmpty ? "DO NOTHING" : "DO UPDATE SET \(updates.joined(separator: ", "))")
        let gone = "SELECT o.* FROM \(Self.oldRows) AS o WHERE NOT EXISTS (SELECT 1 FROM \(Self.newRows) AS n WHERE \(keyJoin))"
        // Queries over both transition tables pair them with a FULL JOIN: PostgreSQL runs a full
        // join only as a hash or merge join, never as a nested loop, and transition tables have
        // no index, so any other join risks a nested loop planned for a few rows that then meets
        // a million (quadratic; seen from 150,000 rows on). Filters on the joined rows go outside
        // an `OFFSET 0` subquery, so the planner cannot turn the full join into an inner or anti join.
        let firstOld = "o.\(SQLText.identifier(plan.primaryKey[0].name))"
        let firstNew = "n.\(SQLText.identifier(plan.primaryKey[0].name))"
        let paired = "\(Self.oldRows) AS o FULL JOIN \(Self.newRows) AS n ON \(keyJoin)"
        // New values are read from the table itself where the caller can see the row: an AFTER
        // ROW trigger may have changed it again (and versioned that) before this statement
        // trigger runs, and the version must hold the row as it is now. Where the row is not
        // visible (deleted meanwhile, whose delete version then takes these values; or hidden by
        // a row-level security policy), the new transition row's values are used, as a row-level
        // trigger would.
        let table = self.qualified(plan.table.name)
        let liveJoin = plan.primaryKey.map { $0.equals("l.\(SQLText.identifier($0.name))", "n.\(SQLText.identifier($0.name))") }
            .joined(separator: " AND ")
        let firstKey = SQLText.identifier(plan.primaryKey[0].name)
        func newValue(_ column: ColumnDescription) -> String {
            let name = SQLText.identifier(column.name)
            return "CASE WHEN l.\(firstKey) IS NULL THEN n.\(name) ELSE l.\(name) END"
        }
        let newColumns = columns.map { "\(newValue($0)) AS \(SQLText.identifier($0.name))" }
        // Keys that lost their row (old rows without a new one) and keys that gained one.
        // The marker column is named unlike every column of the table (the rows keep their names).
        var marker = "continuum_side"
        while plan.table.columns.contains(where: { $0.name == marker }) { marker += "_" }
        let goneRows = "SELECT j.* FROM (SELECT o.*, \(firstNew) IS NULL AS \(SQLText.identifier(marker)) FROM \(paired) OFFSET 0) AS j "
            + "WHERE j.\(SQLText.identifier(marker))"
        let arrivedRows = "SELECT j.* FROM (SELECT \(newColumns.joined(separator: ", ")), \(firstOld) IS NULL AS \(SQLText.identifier(marker)) "
            + "FROM \(paired) LEFT JOIN \(table) AS l ON \(liveJoin) OFFSET 0) AS j WHERE j.\(SQLText.identifier(marker))"
        // One pass: did a key move, did a row that kept its key change?
        let check = "SELECT COALESCE(bool_or(\(firstOld) IS NULL OR \(firstNew) IS NULL), false), "
            + "COALESCE(bool_or(\(firstOld) IS NOT NULL AND \(firstNew) IS NOT NULL AND \(anyChanged)), false) FROM \(paired)"
        // The set-based write of a large statement, the transaction id bound as `$1`.
        // `merging` false: the transaction has written no version of this table yet, so no key
        // can conflict and a plain INSERT does (no speculative insertion per row).
        func write(merging: Bool = true) -> String {
            let tx = "$1"
            let values = (newNames + [tx, "NULL", "1"] + modNames).map { $0 == tx || $0 == "NULL" || $0 == "1" ? $0 : "p.\($0)" }
            let flags = self.modifiable(plan).map { self.differs("o.\(SQLText.identifier($0.name))", newValue($0)) }
            let joined = "SELECT " + (zip(columns.map(newValue), newNames).map { "\($0) AS \($1)" } + zip(flags, modNames).map { "\($0) AS \($1)" })
                .joined(separator: ", ")
                + ", \(firstOld) IS NOT NULL AND \(firstNew) IS NOT NULL AND \(anyChanged) AS \"continuum_changed\" "
                + "FROM \(paired) LEFT JOIN \(table) AS l ON \(liveJoin) OFFSET 0"
            let pairs = "SELECT \((newNames + modNames).map { "j.\($0)" }.joined(separator: ", ")) FROM (\(joined)) AS j WHERE j.\"continuum_changed\""
            return """
                WITH "pairs" AS MATERIALIZED (\(pairs)), \
                "closed" AS (UPDATE \(versionTable) AS v SET "end_transaction_id" = \(tx) FROM "pairs" AS p \
                WHERE \(pairKeyMatch) AND v."end_transaction_id" IS NULL AND v."transaction_id" <> \(tx) RETURNING v."transaction_id"), \
                "merged" AS (INSERT INTO \(versionTable) (\(plan.versionColumnList)) SELECT \(values.joined(separator: ", ")) \
                FROM "pairs" AS p\(merging ? " " + onConflict : "")) \
                SELECT max("transaction_id") FROM "closed"
                """
        }

        // Small statements go row by row, like the row-level function, with static SQL: key
        // changes (rare) through the same loops as large statements, then every changed row with
        // its new values and the old values of tracked columns under aliases no column of the
        // table uses.
        var prefix = "continuum_old_"
        while plan.table.columns.contains(where: { $0.name.hasPrefix(prefix) }) { prefix += "_" }
        let tracked = self.modifiable(plan)
        let oldAliases = tracked.indices.map { "\"\(prefix)\($0 + 1)\"" }
        let changedRows = "SELECT " + (newColumns + zip(tracked, oldAliases).map { "o.\(SQLText.identifier($0.name)) AS \($1)" })
            .joined(separator: ", ")
            + " FROM \(Self.newRows) AS n JOIN \(Self.oldRows) AS o ON \(keyJoin) LEFT JOIN \(table) AS l ON \(liveJoin) WHERE \(anyChanged)"
        let rowVersion = self.insertVersion(
            plan, v, values: plan.values(row), operation: 1,
            mods: zip(tracked, oldAliases).map { self.differs("\(row).\($1)", "\(row).\(SQLText.identifier($0.name))") },
            updates: plan.assignExcluded("EXCLUDED") + self.mergedMods(plan)
        )

        // Keys that lost their row, then keys that gained one, row by row (rare: key changes).
        let moves = """
            FOR v_row IN EXECUTE \(Self.dynamic(goneRows)) LOOP
                        \(self.deleteRow(plan, row, v))
                    END LOOP;
                    FOR v_row IN EXECUTE \(Self.dynamic(arrivedRows)) LOOP
                        \(self.insertRow(plan, row, v))
                    END LOOP;
            """

        let body = """

            \(v.header)
            DECLARE
                v_tx bigint;
                v_previous bigint;
                v_recorded boolean;
                v_moved boolean;
                v_changed boolean;
                v_first boolean;
                v_row record;
            BEGIN
                \(self.ownTableGuard(plan))
                IF (SELECT count(*) FROM \(Self.newRows)) <= \(VersioningConfiguration.staticPlanRowLimit) THEN
                    IF current_setting(\(Self.literal(Self.movedSetting(schema: self.schema, table: plan.table.name))), true) = '1'
                       AND EXISTS (\(gone)) THEN
                        \(self.prologue(plan, v))
                        \(moves)
                    END IF;
                    FOR v_row IN \(changedRows) LOOP
                        IF v_tx IS NULL THEN
                            \(self.prologue(plan, v))
                        END IF;
                        \(self.close(plan, row, v))
                        \(rowVersion)
                    END LOOP;
                    RETURN NULL;
                END IF;
                EXECUTE \(Self.dynamic(check)) INTO v_moved, v_changed;
                IF NOT v_moved AND NOT v_changed THEN
                    RETURN NULL;
                END IF;
                \(self.prologue(plan, v))
                v_first := NOT v_recorded;
                IF v_moved THEN
                    \(moves)
                END IF;
                IF v_changed THEN
                    IF v_first AND NOT v_moved THEN
                        EXECUTE \(Self.dynamic(write(merging: false))) INTO v_previous USING \(v.tx);
                    ELSE
                        EXECUTE \(Self.dynamic(write())) INTO v_previous USING \(v.tx);
                    END IF;
                    \(self.conflictRenumber(v))
                END IF;
                RETURN NULL;
            END

            """
        return Self.function(self.updateFunctionName(plan), returns: "trigger", body: body)
    }
}

/// The variables of one generated PL/pgSQL function as queries read them: qualified with the
/// function's block label, which differs from the name of every table the function reads, so
/// that no user column (a column named `v_tx`, `v_row`, `new`, ...) can capture a variable.
/// Each function body starts with ``header``: `#variable_conflict use_column` makes an
/// unqualified name in a query a column, never a variable.
struct Variables: Sendable {
    let label: String

    init(_ plan: VersioningPlan, _ configuration: VersioningConfiguration) {
        let taken: Set<String> = [plan.table.name, plan.versionTable, configuration.transactionTable, configuration.transactionChangesTable]
        var label = "continuum_fn"
        while taken.contains(label) { label += "_" }
        self.label = label
    }

    var header: String { "#variable_conflict use_column\n<<\(self.label)>>" }
    func qualified(_ name: String) -> String { "\(self.label).\(name)" }
    var tx: String { self.qualified("v_tx") }
    var previous: String { self.qualified("v_previous") }
}
