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
    /// `transaction_changes`, leaving the id in `v_tx`. The first row a transaction changes
    /// records the entity and marks it in a transaction-local setting (rolled back with a
    /// savepoint, like the transaction id): later rows skip the insert.
    func prologue(_ plan: VersioningPlan, _ v: Variables) -> SQLBlock {
        let changes = self.qualified(self.configuration.transactionChangesTable)
        let transaction = self.qualified(self.configuration.transactionTable)
        let entity = Self.literal(plan.entityName)
        // The cached id is trusted only once the row it names proves to be this database
        // transaction's; the same query says whether the entity is recorded in
        // transaction_changes yet (`v_recorded`: whether this transaction wrote the table before).
        // With nothing cached (the first write of a transaction), there is nothing to prove.
        let setting = self.transactionSetting
        return SQLBlock { block in
            block.line("v_tx := NULL;")
            block.line("v_recorded := false;")
            block.line("IF current_setting(\(setting), true) ~ '^[0-9]{1,18}$' THEN")
            block.indent { block in
                block.line("SELECT t.\"id\", EXISTS (SELECT 1 FROM \(changes) AS c WHERE c.\"transaction_id\" = t.\"id\" AND c.\"entity_name\" = \(entity))")
                block.line("INTO v_tx, v_recorded")
                block.line(
                    "FROM \(transaction) AS t WHERE t.\"id\" = current_setting(\(setting), true)::bigint AND t.\"native_transaction_id\" = pg_current_xact_id();"
                )
            }
            block.line("END IF;")
            block.line("IF v_tx IS NULL THEN")
            block.indent { block in
                block.line("v_tx := \(self.transactionIDFunction)();")
                block.line("v_recorded := false;")
            }
            block.line("END IF;")
            block.line("IF NOT v_recorded THEN")
            block.indent {
                $0.line("INSERT INTO \(changes) (\"transaction_id\", \"entity_name\") VALUES (\(v.tx), \(entity)) ON CONFLICT DO NOTHING;")
            }
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
    /// so a plain INSERT does; otherwise the INSERT merges into this transaction's version, if
    /// any (`ON CONFLICT`: a speculative insertion, which costs more).
    func closeAndWrite(_ plan: VersioningPlan, _ row: String, _ event: VersionEvent, _ sources: VersionRowSources, _ v: Variables) -> SQLBlock {
        SQLBlock { block in
            block.append(self.close(plan, row, v))
            block.line("IF \(v.previous) IS NOT NULL THEN")
            block.indent { $0.line(self.insertVersion(plan, event, sources, merging: false)) }
            block.line("ELSE")
            block.indent { $0.line(self.insertVersion(plan, event, sources)) }
            block.line("END IF;")
        }
    }

    /// The row `row` disappears from its key: a DELETE version, or, when this transaction
    /// inserted the key, no version and the previous one reopened.
    func deleteRow(_ plan: VersioningPlan, _ row: String, _ v: Variables) -> SQLBlock {
        let versionTable = self.qualified(plan.versionTable)
        return SQLBlock { block in
            block.line("DELETE FROM \(versionTable) WHERE \(plan.keyMatch(row)) AND \"transaction_id\" = \(v.tx) AND \"operation_type\" = 0;")
            block.line("IF FOUND THEN")
            block.indent {
                $0.line("UPDATE \(versionTable) SET \"end_transaction_id\" = NULL WHERE \(plan.keyMatch(row)) AND \"end_transaction_id\" = \(v.tx);")
            }
            block.line("ELSE")
            block.indent { block in
                block.append(self.closeAndWrite(plan, row, .delete, VersionRowSources(row: Self.column(of: row), transactionID: v.tx), v))
            }
            block.line("END IF;")
        }
    }

    /// The row `row` appears under its key: an INSERT version, an UPDATE when merged into this
    /// transaction's version of the key.
    func insertRow(_ plan: VersioningPlan, _ row: String, _ v: Variables) -> SQLBlock {
        SQLBlock { block in
            block.append(self.closeAndWrite(plan, row, .insert, VersionRowSources(row: Self.column(of: row), transactionID: v.tx), v))
        }
    }

    /// `<row>."c"`.
    static func column(of row: String) -> (ColumnDescription) -> String {
        { "\(row).\(SQLText.identifier($0.name))" }
    }

    // MARK: Version rows

    /// `INSERT ... VALUES (...) ON CONFLICT ...;`: the version row `event` writes, read from
    /// `sources`; without `merging`, no `ON CONFLICT` (the transaction has no version of the key).
    func insertVersion(_ plan: VersioningPlan, _ event: VersionEvent, _ sources: VersionRowSources, merging: Bool = true) -> String {
        let layout = VersionRowLayout(plan)
        let values = layout.written(event).map { self.render($0, sources) }
        return "INSERT INTO \(self.qualified(plan.versionTable)) (\(layout.columnList)) VALUES (\(values.joined(separator: ", ")))"
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
