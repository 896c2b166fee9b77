/// The PL/pgSQL fragments the trigger functions share: finding the transaction, closing a
/// key's open version, and writing version rows, which render ``VersionRowLayout``.
extension PostgreSQLDialect {
    /// The statements that stop a trigger function from running for any table but its own:
    /// it runs as the owner, so attached to another table it would write history for rows that
    /// never existed. (Only its owner could attach it: nobody else may execute it.)
    func ownTableGuard(_ plan: VersioningPlan) -> SQLBlock {
        let table = Self.literal(self.qualified(plan.table.name))
        return SQLBlock { block in
            block.line("IF TG_RELID <> \(table)::regclass AND pg_partition_root(TG_RELID) IS DISTINCT FROM \(table)::regclass THEN")
            block.indent { $0.line("RAISE EXCEPTION 'swift-continuum: this function versions %, not %', \(table)::regclass, TG_RELID::regclass;") }
            block.line("END IF;")
        }
    }

    /// The statements that find (or create) the transaction and record the entity in
    /// `transaction_changes`, leaving the id in `v_tx` and in `v_recorded` whether this
    /// transaction wrote the table before (when not, it has no version of any of its keys, so
    /// the version rows it writes need no `ON CONFLICT`). The first row a transaction changes
    /// creates its row (inline: a call of the transaction-id function would cost a second
    /// owner-run function call on every transaction's first write) and caches the id in a
    /// transaction-local setting (rolled back with a savepoint, like the row).
    func prologue(_ plan: VersioningPlan, _ v: Variables) -> SQLBlock {
        let changes = self.qualified(self.configuration.transactionChangesTable)
        let transaction = self.qualified(self.configuration.transactionTable)
        let entity = Self.literal(plan.entityName)
        let recorded = "EXISTS (SELECT 1 FROM \(changes) AS c WHERE c.\"transaction_id\" = t.\"id\" AND c.\"entity_name\" = \(entity))"
        let record = "INSERT INTO \(changes) (\"transaction_id\", \"entity_name\") VALUES (\(v.tx), \(entity))"
        let setting = self.transactionSetting
        let own = self.ownTransactionRow("t")
        return SQLBlock { block in
            block.line("v_tx := NULL;")
            block.line("v_recorded := false;")
            // The cached id is trusted only once the row it names proves to be this database
            // transaction's (any session can write the setting); the same query says whether the
            // entity is recorded yet.
            block.line("v_cached := current_setting(\(setting), true);")
            block.line("IF \(Self.holdsID("v_cached")) THEN")
            block.indent { block in
                block.line("SELECT t.\"id\", \(recorded) INTO v_tx, v_recorded")
                block.line("FROM \(transaction) AS t WHERE t.\"id\" = \(v.qualified("v_cached"))::bigint AND t.\"native_transaction_id\" = pg_current_xact_id();")
            }
            block.line("END IF;")
            block.line("IF v_tx IS NULL THEN")
            block.indent { block in
                // A transaction created just now has recorded nothing.
                let created = SQLBlock { $0.line(record + ";") }
                // The row exists but the cache does not name it (the session reset it).
                let existing = SQLBlock { block in
                    block.line("SELECT t.\"id\", \(recorded) INTO v_tx, v_recorded FROM \(transaction) AS t")
                    block.line("WHERE \(own) ORDER BY t.\"id\" DESC LIMIT 1;")
                    block.line("IF NOT v_recorded THEN")
                    block.indent { $0.line(record + " ON CONFLICT DO NOTHING;") }
                    block.line("END IF;")
                }
                block.append(self.createTransaction(into: "v_tx", scratch: "v_cached", created: created, existing: existing))
                block.line("PERFORM set_config(\(setting), v_tx::text, true);")
            }
            block.line("ELSIF NOT v_recorded THEN")
            block.indent { $0.line(record + " ON CONFLICT DO NOTHING;") }
            block.line("END IF;")
        }
    }

    /// The current database transaction's rows in the `transaction` table, as a condition on
    /// `alias`: its transaction id and start time (a restored database restarts the xid
    /// counter, so the id alone may match an old row).
    func ownTransactionRow(_ alias: String) -> String {
        "\(alias).\"native_transaction_id\" = pg_current_xact_id() AND \(alias).\"issued_at\" = now() AT TIME ZONE 'UTC'"
    }

    /// Creates the current database transaction's row, unless it has one, with the id in
    /// `variable` (left `NULL` when the row exists). When it created the row, adds this schema
    /// to the list of schemas in which the transaction has a row (``schemasSetting``; `scratch`,
    /// a text variable, holds the list meanwhile) and runs `created`; otherwise `existing`. The
    /// list is JSON kept by text operations: a JSON round trip costs more than the rest of the
    /// statement.
    func createTransaction(into variable: String, scratch: String, created: SQLBlock = SQLBlock(), existing: SQLBlock) -> SQLBlock {
        let transaction = self.qualified(self.configuration.transactionTable)
        let schemas = Self.literal(Self.schemasSetting)
        let element = Self.jsonString(self.schema)
        return SQLBlock { block in
            block.line("INSERT INTO \(transaction) (\"issued_at\", \"user_id\", \"remote_addr\", \"native_transaction_id\", \"login_role\", \"client_addr\")")
            block.line("SELECT now() AT TIME ZONE 'UTC',")
            block.line("    \(self.claimed("NULLIF(current_setting(\(Self.literal(VersioningConfiguration.settingUserID)), true), '')")),")
            block.line("    \(self.claimed("NULLIF(current_setting(\(Self.literal(VersioningConfiguration.settingRemoteAddress)), true), '')")),")
            block.line("    pg_current_xact_id(), session_user, host(inet_client_addr())")
            block.line("WHERE NOT EXISTS (SELECT 1 FROM \(transaction) AS t WHERE \(self.ownTransactionRow("t")))")
            block.line("RETURNING \"id\" INTO \(variable);")
            block.line("IF \(variable) IS NOT NULL THEN")
            block.indent { block in
                block.line("\(scratch) := current_setting(\(schemas), true);")
                block.line(
                    "PERFORM set_config(\(schemas), CASE WHEN \(scratch) IS NULL OR \(scratch) NOT LIKE '[%]' OR \(scratch) = '[]' "
                        + "THEN \(Self.literal("[" + element + "]")) ELSE left(\(scratch), -1) || \(Self.literal("," + element + "]")) END, true);"
                )
                block.append(created)
            }
            block.line("ELSE")
            block.indent { $0.append(existing) }
            block.line("END IF;")
        }
    }

    /// After closing versions: if one was written by a younger transaction, renumber this one.
    /// The renumbering finds the versions this transaction closed through the keys of its own
    /// versions; the version `close` just closed has none yet (its key's new version comes next),
    /// so it is given the new id here, found by its key and transaction.
    func conflictRenumber(_ v: Variables, _ plan: VersioningPlan? = nil, _ row: String? = nil) -> SQLBlock {
        SQLBlock { block in
            block.line("IF \(v.previous) > \(v.tx) THEN")
            block.indent { block in
                block.line("v_tx := \(self.renumberFunction)(\(v.tx));")
                if let plan, let row {
                    block.line(
                        "UPDATE \(self.qualified(plan.versionTable)) SET \"end_transaction_id\" = \(v.tx) "
                            + "WHERE \(plan.keyMatch(row)) AND \"transaction_id\" = \(v.previous);"
                    )
                }
            }
            block.line("END IF;")
        }
    }

    /// Closes the key's open version. If a transaction that began later already committed
    /// that version (READ COMMITTED lets it), this transaction's id is older than the version
    /// it closes: renumber this transaction so ids follow commit order.
    func close(_ plan: VersioningPlan, _ row: String, _ v: Variables) -> SQLBlock {
        SQLBlock { block in
            block.line(
                "UPDATE \(self.qualified(plan.versionTable)) SET \"end_transaction_id\" = \(v.tx) WHERE \(plan.keyMatch(row)) "
                    + "AND \"end_transaction_id\" IS NULL AND \"transaction_id\" <> \(v.tx) RETURNING \"transaction_id\" INTO v_previous;"
            )
            block.append(self.conflictRenumber(v, plan, row))
        }
    }

    /// Closes the key's open version (``close(_:_:_:)``), then writes `event`'s version. When
    /// the close found a version of another transaction, this transaction has no version of
    /// the key yet (a version of its own would be the key's open one, and close skips those),
    /// and when the transaction had not written the table before (`v_recorded`, from
    /// ``prologue(_:_:)``), none of any key: a plain INSERT does. Otherwise the INSERT merges
    /// into this transaction's version, if any (`ON CONFLICT`: a speculative insertion, which
    /// costs more).
    ///
    /// `mergingFrom`: where a merge reads the row's values instead of `sources` (a `FROM` list
    /// and the sources reading it), for ``rowByRowUpdates``: see there.
    func closeAndWrite(
        _ plan: VersioningPlan, _ row: String, _ event: VersionEvent, _ sources: VersionRowSources, _ v: Variables,
        mergingFrom: (from: String, sources: VersionRowSources)? = nil
    ) -> SQLBlock {
        SQLBlock { block in
            block.append(self.close(plan, row, v))
            block.line("IF \(v.previous) IS NOT NULL OR NOT v_recorded THEN")
            block.indent { $0.line(self.insertVersion(plan, event, sources, merging: false)) }
            block.line("ELSE")
            block.indent { block in
                if let mergingFrom {
                    block.line(self.insertVersion(plan, event, mergingFrom.sources, from: mergingFrom.from))
                } else {
                    block.line(self.insertVersion(plan, event, sources))
                }
            }
            block.line("END IF;")
        }
    }

    /// The row `row` disappears from its key: a DELETE version, or, when this transaction
    /// inserted the key, no version and the previous one reopened.
    ///
    /// With `checksHolder` (a DELETE or a key change, fired after its statement): when this
    /// transaction already has the key's version and a row of the table holds the key again,
    /// that version is the other row's (one statement moved another row onto the key: a swap
    /// or shift under a deferrable key, `INSERT ... ON CONFLICT DO UPDATE` moving the key away,
    /// a row moved between partitions), and stays. Without it (``truncateFunction(_:)``, which
    /// runs before its rows go), the row is still there.
    func deleteRow(_ plan: VersioningPlan, _ row: String, _ v: Variables, checksHolder: Bool = true) -> SQLBlock {
        let versionTable = self.qualified(plan.versionTable)
        let sources = VersionRowSources(row: Self.column(of: row), transactionID: v.tx)
        let write = self.closeAndWrite(plan, row, .delete, sources, v)
        let prior = v.qualified("v_prior")
        return SQLBlock { block in
            // A transaction that had not written the table before inserted no key of it.
            block.line("IF NOT v_recorded THEN")
            block.indent { $0.append(write) }
            block.line("ELSE")
            block.indent { block in
                block.line(self.openVersion(plan, row, whole: false))
                block.line("IF \(prior).\"transaction_id\" IS DISTINCT FROM \(v.tx) THEN")
                block.indent { $0.append(write) }
                if checksHolder {
                    block.line("ELSIF \(self.keyHeld(plan, row)) THEN")
                    block.indent { $0.line("NULL;") }
                }
                block.line("ELSIF \(prior).\"operation_type\" = 0 THEN")
                block.indent { block in
                    block.line("DELETE FROM \(versionTable) WHERE \(plan.keyMatch(row)) AND \"transaction_id\" = \(v.tx);")
                    block.line("UPDATE \(versionTable) SET \"end_transaction_id\" = NULL WHERE \(plan.keyMatch(row)) AND \"end_transaction_id\" = \(v.tx);")
                }
                block.line("ELSE")
                block.indent { $0.line(self.insertVersion(plan, .delete, sources)) }
                block.line("END IF;")
            }
            block.line("END IF;")
        }
    }

    /// Whether a row of the table (of a partitioned table: of any partition; of any other, its
    /// own, not an inheritance child's: ``TableDescription/liveRows(_:dialect:)``) holds `row`'s key.
    func keyHeld(_ plan: VersioningPlan, _ row: String) -> String {
        let rows = plan.table.liveRows(self.qualified(plan.table.name), dialect: .postgresql)
        return "EXISTS (SELECT 1 FROM \(rows) AS l WHERE \(plan.keyMatch(row, alias: "l")))"
    }

    /// The row `row` appears under its key, by the key's open version (read first: a new key
    /// usually has none, and a read costs about half an `UPDATE` that closes nothing):
    /// - none: an INSERT version (no `ON CONFLICT`: this transaction's own version of a key is
    ///   always the key's open one, since closing skips the transaction's own versions);
    /// - a DELETE version: of this transaction, the INSERT merges into it (an UPDATE); of
    ///   another, it is closed and the INSERT written;
    /// - a live version: the key's row was replaced in this transaction without a DELETE
    ///   version (``deleteRow(_:_:_:checksHolder:)`` leaves the key to the row that took it),
    ///   so the row is an UPDATE of that version (`_mod` flags against its values; merged into
    ///   it when it is this transaction's, keeping its operation).
    func insertRow(_ plan: VersioningPlan, _ row: String, _ v: Variables) -> SQLBlock {
        let prior = v.qualified("v_prior")
        let sources = VersionRowSources(row: Self.column(of: row), transactionID: v.tx)
        let update = VersionRowSources(row: Self.column(of: row), before: Self.column(of: prior), transactionID: v.tx)
        return SQLBlock { block in
            block.line(self.openVersion(plan, row, whole: false))
            block.line("IF \(prior).\"transaction_id\" IS NULL THEN")
            block.indent { $0.line(self.insertVersion(plan, .insert, sources, merging: false)) }
            block.line("ELSIF \(prior).\"operation_type\" = 2 AND \(prior).\"transaction_id\" = \(v.tx) THEN")
            block.indent { $0.line(self.insertVersion(plan, .insert, sources)) }
            block.line("ELSIF \(prior).\"operation_type\" = 2 THEN")
            block.indent { $0.append(self.closeAndWrite(plan, row, .insert, sources, v)) }
            block.line("ELSE")
            block.indent { block in
                // The `_mod` flags compare with the version's values (rare: read them only now).
                if !VersionRowLayout(plan).columnsReadBefore(.update).isEmpty { block.line(self.openVersion(plan, row, whole: true)) }
                block.append(self.closeAndWrite(plan, row, .update, update, v))
            }
            block.line("END IF;")
        }
    }

    /// `SELECT ... INTO v_prior`: the open version of `row`'s key, whole or only its
    /// `transaction_id` and `operation_type`.
    func openVersion(_ plan: VersioningPlan, _ row: String, whole: Bool) -> String {
        "SELECT " + (whole ? "w.*" : "w.\"transaction_id\", w.\"operation_type\"") + " INTO v_prior FROM \(self.qualified(plan.versionTable)) AS w "
            + "WHERE \(plan.keyMatch(row, alias: "w")) AND w.\"end_transaction_id\" IS NULL LIMIT 1;"
    }

    /// `<row>."c"`.
    static func column(of row: String) -> (ColumnDescription) -> String {
        { "\(row).\(SQLText.identifier($0.name))" }
    }

    // MARK: Version rows

    /// `INSERT ... VALUES (...) ON CONFLICT ...;`: the version row `event` writes, read from
    /// `sources`; without `merging`, no `ON CONFLICT` (the transaction has no version of the key).
    /// With `from` (a `FROM` list `sources` reads), `INSERT ... SELECT ... FROM from`.
    func insertVersion(_ plan: VersioningPlan, _ event: VersionEvent, _ sources: VersionRowSources, merging: Bool = true, from: String? = nil) -> String {
        let layout = VersionRowLayout(plan)
        let values = layout.written(event).map { self.render($0, sources) }.joined(separator: ", ")
        // `WHERE true`: an ON CONFLICT right after a join's ON clause would read as part of it.
        let rows = from.map { "SELECT \(values) FROM \($0) WHERE true" } ?? "VALUES (\(values))"
        return "INSERT INTO \(self.qualified(plan.versionTable)) (\(layout.columnList)) \(rows)"
            + (merging ? " " + self.onConflict(plan, event) : "") + ";"
    }

    /// `ON CONFLICT (key, "transaction_id") DO ...`: `event` merged into this transaction's
    /// version of the key.
    func onConflict(_ plan: VersioningPlan, _ event: VersionEvent) -> String {
        let layout = VersionRowLayout(plan)
        var sources = VersionRowSources(row: { _ in preconditionFailure("a merge reads no row") }, transactionID: "")
        sources.kept = self.qualified(plan.versionTable)
        let updates = layout.merged(event).map { "\(SQLText.identifier($0.column.name)) = \(self.render($0.value, sources))" }
        return "ON CONFLICT (\(layout.conflictTarget)) " + (updates.isEmpty ? "DO NOTHING" : "DO UPDATE SET \(updates.joined(separator: ", "))")
    }

    /// `value` in PostgreSQL's SQL.
    func render(_ value: VersionValue, _ sources: VersionRowSources) -> String {
        switch value {
        case .row(let column): sources.row(column)
        case .before(let column): sources.before(column)
        case .transactionID: sources.transactionID
        case .null: "NULL"
        case .true: self.boolean(true)
        case .operation(let event): String(event.operationType)
        case .isSet(let column): "\(sources.row(column)) IS NOT NULL"
        case .kept(let name, _): "\(sources.kept).\(SQLText.identifier(name))"
        case .incoming(let column): "\(sources.incoming).\(SQLText.identifier(column.name))"
        case .incomingFlag(let name): "\(sources.incoming).\(SQLText.identifier(name))"
        case .differs(let a, let b): self.differs(self.render(a, sources), self.render(b, sources))
        case .or(let a, let b): "\(self.render(a, sources)) OR \(self.render(b, sources))"
        }
    }
}
