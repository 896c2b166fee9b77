/// The shared functions every versioned table's triggers call: transaction ids, renumbering,
/// and the helpers a scope calls.
extension PostgreSQLDialect {
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
    func claimed(_ claim: String) -> String {
        self.mayClaim.map { "CASE WHEN \($0) THEN \(claim) END" } ?? claim
    }

    /// Whether the session may claim an actor (``VersioningConfiguration/actorClaimRoles``);
    /// `nil` when every session may.
    var mayClaim: String? {
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
                -- Activities recorded in this transaction (the activity table is optional).
                IF to_regclass(\(Self.literal(self.qualified(self.configuration.activityTable)))) IS NOT NULL THEN
                    EXECUTE format('UPDATE %I.%I SET "transaction_id" = $1, '
                        || '"object_tx_id" = CASE WHEN "object_tx_id" = $2 THEN $1 ELSE "object_tx_id" END, '
                        || '"target_tx_id" = CASE WHEN "target_tx_id" = $2 THEN $1 ELSE "target_tx_id" END WHERE "transaction_id" = $2',
                        \(Self.literal(self.schema)), \(Self.literal(self.configuration.activityTable))) USING v_new, p_old;
                END IF;
                PERFORM set_config(\(self.transactionSetting), v_new::text, true);
                RETURN v_new;
            END

            """
        return Self.function(self.renumberFunction, arguments: "p_old bigint", returns: "bigint", body: body)
    }

    func transactionIDFunctionDefinition() -> String {
        let transaction = self.qualified(self.configuration.transactionTable)
        let cache = self.transactionSetting
        let existing = SQLBlock { $0.line("SELECT t.\"id\" INTO v_id FROM \(transaction) AS t WHERE \(self.ownTransactionRow("t")) ORDER BY t.\"id\" DESC LIMIT 1;") }
        let create = self.createTransaction(into: "v_id", scratch: "v_scratch", existing: existing).text
            .split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
        let body = """

            DECLARE
                v_xact xid8 := pg_current_xact_id();
                v_id bigint;
                v_scratch text;
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
            \(create)
                PERFORM set_config(\(cache), v_id::text, true);
                RETURN v_id;
            END

            """
        return Self.function(self.transactionIDFunction, returns: "bigint", body: body)
    }

}
