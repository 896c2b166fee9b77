/// PostgreSQL: the activity table (SQLAlchemy-Continuum's ActivityPlugin shape) and the two
/// owner-run functions through which the application records activities.
///
/// The application role gets no rights on the activity table (it is history): it calls
/// `_continuum_record_activity`, which takes the transaction id from the database
/// (`_continuum_transaction_id()`, the current database transaction's own row), looks the
/// object's and target's version tables up in the registry by entity name, and inserts the row.
extension PostgreSQLDialect {
    /// The activity table, its sequence and indexes, and the functions. A table
    /// SQLAlchemy-Continuum created is kept (its ids are drawn from the same sequence).
    func activitySchema() -> [String] {
        let table = self.configuration.activityTable
        let activity = self.qualified(table)
        let sequence = self.qualified(SQLText.objectName(table + "_id_seq"))
        return [
            "CREATE SEQUENCE IF NOT EXISTS \(sequence)",
            """
            CREATE TABLE IF NOT EXISTS \(activity) ("id" BIGINT NOT NULL DEFAULT nextval(\(Self.literal(sequence))::regclass), \
            "verb" VARCHAR(255), "data" JSON, "transaction_id" BIGINT NOT NULL, "object_type" VARCHAR(255), "object_id" BIGINT, \
            "object_tx_id" BIGINT, "target_type" VARCHAR(255), "target_id" BIGINT, "target_tx_id" BIGINT, PRIMARY KEY ("id"))
            """,
            // SQLAlchemy-Continuum draws ids from the sequence on the client side; the function needs the default.
            "ALTER TABLE \(activity) ALTER COLUMN \"id\" SET DEFAULT nextval(\(Self.literal(sequence))::regclass)",
            "CREATE INDEX IF NOT EXISTS \(SQLText.identifier(SQLText.objectName("ix_\(table)_transaction_id"))) ON \(activity) (\"transaction_id\")",
            "CREATE INDEX IF NOT EXISTS \(SQLText.identifier(SQLText.objectName("ix_\(table)_object"))) ON \(activity) (\"object_type\", \"object_id\")",
            "CREATE INDEX IF NOT EXISTS \(SQLText.identifier(SQLText.objectName("ix_\(table)_target"))) ON \(activity) (\"target_type\", \"target_id\")",
            self.currentTransactionFunctionDefinition(),
            "GRANT EXECUTE ON FUNCTION \(self.qualified(VersioningConfiguration.currentTransactionFunction))() TO PUBLIC",
            self.activityFunctionDefinition(),
            "GRANT EXECUTE ON FUNCTION \(self.qualified(VersioningConfiguration.activityFunction))(text, text, text, bigint, text, bigint) TO PUBLIC",
        ] + self.readerGrants([activity])
    }

    /// The id of the current database transaction's row in this schema, creating the row (with
    /// the scope's claims) if no versioned write has yet: `_continuum_transaction_id()`, which
    /// only trusts its cache when the row it names is this database transaction's own.
    func currentTransactionFunctionDefinition() -> String {
        let body = """

            BEGIN
                RETURN \(self.transactionIDFunction)();
            END

            """
        return Self.function(self.qualified(VersioningConfiguration.currentTransactionFunction), returns: "bigint", body: body)
    }

    /// Records an activity in the current database transaction. The object's and target's
    /// versioned tables are found in the registry by entity name (the first by table name when
    /// several share one); their version at the activity is the latest one written at or before
    /// its transaction. Returns the new row's id and transaction ids (the versions' only to a
    /// login that may read their version table), or, writing nothing, an
    /// error code (`object:entity`, `object:key`, `target:entity`, `target:key`) when an entity's
    /// type names no versioned table or its table has no single integer key: the application
    /// role cannot read the registry to check beforehand.
    func activityFunctionDefinition() -> String {
        let registry = self.qualified(VersioningConfiguration.registryTable)
        let activity = self.qualified(self.configuration.activityTable)
        func lookup(_ side: String) -> String {
            """
                IF p_\(side)_type IS NOT NULL THEN
                    SELECT r."version_table",
                        (SELECT k->>'name' FROM jsonb_array_elements(r."columns"::jsonb) AS k WHERE (k->>'primaryKeyPosition')::int = 1),
                        (SELECT k->>'type' FROM jsonb_array_elements(r."columns"::jsonb) AS k WHERE (k->>'primaryKeyPosition')::int = 1),
                        (SELECT count(*) FROM jsonb_array_elements(r."columns"::jsonb) AS k WHERE (k->>'primaryKeyPosition')::int > 0)
                    INTO v_\(side)_version_table, v_\(side)_key, v_key_type, v_keys
                    FROM \(registry) AS r WHERE r."entity_name" = p_\(side)_type ORDER BY r."table_name" LIMIT 1;
                    IF NOT FOUND THEN
                        RETURN QUERY SELECT NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, '\(side):entity'::text;
                        RETURN;
                    END IF;
                    IF v_keys <> 1 OR v_key_type IS NULL OR v_key_type NOT IN ('smallint', 'integer', 'bigint') OR p_\(side)_id IS NULL THEN
                        RETURN QUERY SELECT NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, '\(side):key'::text;
                        RETURN;
                    END IF;
                END IF;

            """
        }
        func version(_ side: String) -> String {
            """
                IF p_\(side)_type IS NOT NULL THEN
                    EXECUTE format('SELECT max(v."transaction_id") FROM %I.%I AS v WHERE v.%I = $1 AND v."transaction_id" <= $2',
                        \(Self.literal(self.schema)), v_\(side)_version_table, v_\(side)_key) INTO v_\(side)_tx USING p_\(side)_id, v_tx;
                END IF;

            """
        }
        let body = """

            DECLARE
                v_tx bigint;
                v_key_type text;
                v_keys bigint;
                v_object_version_table text;
                v_object_key text;
                v_object_tx bigint;
                v_target_version_table text;
                v_target_key text;
                v_target_tx bigint;
                v_id bigint;
            BEGIN
            \(lookup("object"))\(lookup("target"))    -- The current database transaction's own row, created now if nothing was written yet.
                v_tx := \(self.transactionIDFunction)();
            \(version("object"))\(version("target"))    INSERT INTO \(activity) ("verb", "data", "transaction_id", "object_type", "object_id", "object_tx_id",
                    "target_type", "target_id", "target_tx_id")
                VALUES (p_verb, p_data::json, v_tx, p_object_type, p_object_id, v_object_tx, p_target_type, p_target_id, v_target_tx)
                RETURNING "id" INTO v_id;
                -- The versions' transaction ids are history: returned only to a login that may read them.
                RETURN QUERY SELECT v_id, v_tx,
                    CASE WHEN v_object_version_table IS NOT NULL AND has_table_privilege(session_user,
                        format('%I.%I', \(Self.literal(self.schema)), v_object_version_table), 'SELECT') THEN v_object_tx END,
                    CASE WHEN v_target_version_table IS NOT NULL AND has_table_privilege(session_user,
                        format('%I.%I', \(Self.literal(self.schema)), v_target_version_table), 'SELECT') THEN v_target_tx END,
                    NULL::text;
            END

            """
        return Self.function(
            self.qualified(VersioningConfiguration.activityFunction),
            arguments: "p_verb text, p_data text, p_object_type text, p_object_id bigint, p_target_type text, p_target_id bigint",
            returns: "TABLE (\"o_id\" bigint, \"o_transaction_id\" bigint, \"o_object_tx_id\" bigint, \"o_target_tx_id\" bigint, \"o_error\" text)",
            body: body
        )
    }
}
