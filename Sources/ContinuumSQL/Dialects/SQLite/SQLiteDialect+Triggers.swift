/// SQLite's triggers: one per event, each body rendering ``VersionRowLayout``.
extension SQLiteDialect {
    private func differs(_ a: String, _ b: String, _ column: ColumnDescription) -> String {
        let name = SQLText.identifier(column.name)
        return Self.differs("\(a).\(name)", "\(b).\(name)", column)
    }

    /// The triggers of a versioned table, by what they version.
    enum Trigger: String, CaseIterable {
        case insert
        /// An update that keeps the key (exists only when the table has non-key columns).
        case update
        case delete
        /// An update that changes the key: a delete of the old key, an insert of the new one.
        case keyUpdate = "key_update"

        func name(_ plan: VersioningPlan) -> String { "_continuum_\(plan.table.name)_\(self.rawValue)" }
    }

    func dropTriggers(_ plan: VersioningPlan) -> [String] {
        Trigger.allCases.map { "DROP TRIGGER IF EXISTS \(SQLText.identifier($0.name(plan)))" }
    }

    func expectedTriggers(_ plan: VersioningPlan) -> Set<String> {
        Set(Trigger.allCases.filter { $0 != .update || !plan.modifiableColumns.isEmpty }.map { $0.name(plan) })
    }

    /// SQLite compiles every trigger that may fire into each write statement it prepares (and
    /// SQLiteNIO prepares every statement anew), so trigger bodies stay small and the update
    /// triggers name their columns (`UPDATE OF`): an UPDATE that sets no key column never
    /// compiles the key-change trigger, one that sets only excluded columns compiles none.
    ///
    /// A trigger runs once per row, so no statement of a body may need a temporary table per
    /// row (an ephemeral b-tree costs more than the version row it helps to write): a version
    /// row is written from `VALUES`, not from a `SELECT` that reads the version table, and an
    /// open version is closed by its rowid (an `UPDATE` that scans the open-versions index while
    /// changing `end_transaction_id` collects its rows in a temporary table first).
    func createTriggers(_ plan: VersioningPlan) -> [String] {
        let table = SQLText.identifier(plan.table.name)
        let name = { (trigger: Trigger) in SQLText.identifier(trigger.name(plan)) }
        let keyUnchanged = plan.primaryKey.map { "OLD.\(SQLText.identifier($0.name)) IS NEW.\(SQLText.identifier($0.name))" }
        let keyChanged = plan.primaryKey.map { "OLD.\(SQLText.identifier($0.name)) IS NOT NEW.\(SQLText.identifier($0.name))" }
        // `UPDATE OF` matches the names an UPDATE sets: a rowid key also changes through its aliases.
        let rowidAliases = plan.table.keyIsRowid ? ["rowid", "oid", "_rowid_"].filter { plan.table.column(named: $0) == nil } : []
        let keyColumns = (plan.primaryKey.map(\.name) + rowidAliases).map(SQLText.identifier).joined(separator: ", ")
        let valueColumns = plan.modifiableColumns.map { SQLText.identifier($0.name) }.joined(separator: ", ")
        let valueChanged = plan.modifiableColumns.map { self.differs("OLD", "NEW", $0) }

        // An insert whose values equal the key's open, live version changes nothing: that is an
        // `INSERT OR REPLACE` of an identical row (the replace itself fires no delete trigger).
        let sameAsOpen = SQLText.balanced(
            ["v.\"end_transaction_id\" IS NULL", "v.\"operation_type\" <> 2"]
                + plan.primaryKey.map { "v.\(SQLText.identifier($0.name)) = NEW.\(SQLText.identifier($0.name))" }
                + plan.modifiableColumns.map { column in
                    column.type.uppercased().contains("JSON")
                        ? "NOT " + self.differs("v", "NEW", column)
                        : "v.\(SQLText.identifier(column.name)) IS NEW.\(SQLText.identifier(column.name)) COLLATE BINARY"
                }, "AND")

        var statements = self.dropTriggers(plan)
        statements.append(
            "CREATE TRIGGER \(name(.insert)) AFTER INSERT ON \(table) "
                + "WHEN NOT EXISTS (SELECT 1 FROM \(SQLText.identifier(plan.versionTable)) AS v WHERE \(sameAsOpen)) "
                + self.body(plan, self.insertStatements(plan, row: "NEW"))
        )
        if !valueChanged.isEmpty {
            statements.append(
                "CREATE TRIGGER \(name(.update)) AFTER UPDATE OF \(valueColumns) ON \(table) "
                    + "WHEN \(keyUnchanged.joined(separator: " AND ")) AND (\(SQLText.balanced(valueChanged, "OR"))) "
                    + self.body(plan, self.updateStatements(plan))
            )
        }
        statements.append(
            "CREATE TRIGGER \(name(.delete)) AFTER DELETE ON \(table) " + self.body(plan, self.deleteStatements(plan, row: "OLD"))
        )
        statements.append(
            "CREATE TRIGGER \(name(.keyUpdate)) AFTER UPDATE OF \(keyColumns) ON \(table) WHEN \(keyChanged.joined(separator: " OR ")) "
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
            // `changes()` is the count of the statement just before: 1 when it created the
            // transaction row (the state row's condition held), 0 otherwise. A constant WHERE
            // clause is tested before the state table is opened.
            "UPDATE \(self.state) SET \"transaction_id\" = last_insert_rowid() WHERE changes()",
            // An upsert, not `INSERT OR IGNORE`: a conflict clause of the statement that fires
            // the trigger (`OR ABORT`, an upsert's update) replaces the body's `OR IGNORE`.
            "INSERT INTO \(changes) (\"transaction_id\", \"entity_name\") SELECT \"transaction_id\", \(SQLText.literal(plan.entityName)) "
                + "FROM \(self.state) WHERE true ON CONFLICT DO NOTHING",
        ]
        body += statements
        return "BEGIN " + body.map { $0 + "; " }.joined() + "END"
    }

    /// A row appears under a key: a new INSERT version, or an UPDATE when the key existed
    /// before this transaction (deleted earlier in it, or replaced by `INSERT OR REPLACE`).
    /// The key's previous open version decides which: read by one scalar subquery in `VALUES`
    /// (a `SELECT` joining the version table it inserts into would be copied to a temporary
    /// table first), or, when `_mod` flags compare each column with it, by a join.
    private func insertStatements(_ plan: VersioningPlan, row: String) -> [String] {
        let layout = VersionRowLayout(plan)
        let versionTable = SQLText.identifier(plan.versionTable)
        let previousOpen = "p.\"end_transaction_id\" IS NULL AND p.\"transaction_id\" <> "
        guard plan.tracksModifiedColumns else {
            var sources = VersionRowSources(row: { "\(row).\(SQLText.identifier($0.name))" }, transactionID: self.tx)
            sources.replaced = { column in
                "(SELECT p.\(SQLText.identifier(column)) FROM \(versionTable) AS p WHERE \(plan.keyMatch(row, alias: "p")) AND \(previousOpen)\(self.tx))"
            }
            return [
                "INSERT INTO \(versionTable) (\(layout.columnList)) VALUES (\(self.written(layout, .insert, sources))) "
                    + self.onConflict(plan, layout, .insert),
                self.closePrevious(plan, row: row),
            ]
        }
        var sources = VersionRowSources(row: { "\(row).\(SQLText.identifier($0.name))" }, transactionID: "s.\"transaction_id\"")
        sources.replaced = { "p.\(SQLText.identifier($0))" }
        return [
            "INSERT INTO \(versionTable) (\(layout.columnList)) SELECT \(self.written(layout, .insert, sources)) "
                + "FROM \(self.state) AS s LEFT JOIN \(versionTable) AS p ON \(plan.keyMatch(row, alias: "p")) "
                + "AND \(previousOpen)s.\"transaction_id\" WHERE true \(self.onConflict(plan, layout, .insert))",
            self.closePrevious(plan, row: row),
        ]
    }

    /// A row changes in place: an UPDATE version, merged into this transaction's version if any.
    private func updateStatements(_ plan: VersioningPlan) -> [String] {
        let layout = VersionRowLayout(plan)
        let versionTable = SQLText.identifier(plan.versionTable)
        let sources = VersionRowSources(
            row: { "NEW.\(SQLText.identifier($0.name))" }, before: { "OLD.\(SQLText.identifier($0.name))" }, transactionID: self.tx
        )
        return [
            "INSERT INTO \(versionTable) (\(layout.columnList)) VALUES (\(self.written(layout, .update, sources))) "
                + self.onConflict(plan, layout, .update),
            self.closePrevious(plan, row: "NEW"),
        ]
    }

    /// A row disappears: a DELETE version keeping its last values; or, when the row was
    /// inserted in this same transaction, no version at all and the previous one reopened.
    private func deleteStatements(_ plan: VersioningPlan, row: String) -> [String] {
        let layout = VersionRowLayout(plan)
        let versionTable = SQLText.identifier(plan.versionTable)
        let sources = VersionRowSources(row: { "\(row).\(SQLText.identifier($0.name))" }, transactionID: self.tx)
        return [
            // This transaction's INSERT version of the key is left as it is (and removed next).
            "INSERT INTO \(versionTable) (\(layout.columnList)) VALUES (\(self.written(layout, .delete, sources))) "
                + "\(self.onConflict(plan, layout, .delete)) WHERE \(versionTable).\"operation_type\" <> 0",
            "DELETE FROM \(versionTable) WHERE \(plan.keyMatch(row)) AND \"transaction_id\" = \(self.tx) AND \"operation_type\" = 0",
            // Reopen the previous version when the transaction's insert was just undone (the
            // DELETE removed a row: `changes()`), close it when the transaction keeps a version.
            "UPDATE \(versionTable) SET \"end_transaction_id\" = CASE WHEN changes() THEN NULL ELSE \(self.tx) END WHERE "
                + self.onlyRow(
                    plan,
                    "\(plan.keyMatch(row)) AND \"transaction_id\" <> \(self.tx) AND (\"end_transaction_id\" IS NULL OR \"end_transaction_id\" = \(self.tx))"
                ),
        ]
    }

    /// Closes the key's open version of an earlier transaction.
    private func closePrevious(_ plan: VersioningPlan, row: String) -> String {
        "UPDATE \(SQLText.identifier(plan.versionTable)) SET \"end_transaction_id\" = \(self.tx) WHERE "
            + self.onlyRow(plan, "\(plan.keyMatch(row)) AND \"end_transaction_id\" IS NULL AND \"transaction_id\" <> \(self.tx)")
    }

    /// The `WHERE` clause of an `UPDATE` of the version row matching `condition` (there is at
    /// most one: the key's version of an earlier transaction that is open or that this
    /// transaction closed), found by its rowid. An `UPDATE` that finds its rows by an index scan
    /// copies their rowids to a temporary table first when a subquery is part of its `WHERE`
    /// clause or the index depends on the column it sets (the open-versions index on
    /// `end_transaction_id`); one by rowid updates in place.
    private func onlyRow(_ plan: VersioningPlan, _ condition: String) -> String {
        let names = Set(VersionRowLayout(plan).columns.map { $0.name.lowercased() })
        guard plan.versionTableHasRowid, let rowid = ["rowid", "oid", "_rowid_"].first(where: { !names.contains($0) }) else { return condition }
        return "\(rowid) = (SELECT \(rowid) FROM \(SQLText.identifier(plan.versionTable)) WHERE \(condition))"
    }

    // MARK: Version rows

    /// The values of the version row `event` writes, comma-separated.
    private func written(_ layout: VersionRowLayout, _ event: VersionEvent, _ sources: VersionRowSources) -> String {
        layout.written(event).map { self.render($0, sources) }.joined(separator: ", ")
    }

    /// `ON CONFLICT (key, "transaction_id") DO UPDATE SET ...`: the merge of `event` into this
    /// transaction's version of the key.
    private func onConflict(_ plan: VersioningPlan, _ layout: VersionRowLayout, _ event: VersionEvent) -> String {
        var sources = VersionRowSources(row: { _ in preconditionFailure("a merge reads no row") }, transactionID: self.tx)
        sources.kept = SQLText.identifier(plan.versionTable)
        sources.incoming = "excluded"
        let assignments = layout.merged(event).map { "\(SQLText.identifier($0.column.name)) = \(self.render($0.value, sources))" }
        return "ON CONFLICT (\(layout.conflictTarget)) DO UPDATE SET \(assignments.joined(separator: ", "))"
    }

    /// `value` in SQLite's SQL. An insert that lands on a key whose previous version is live
    /// (``VersionRowSources/replaced``: `INSERT OR REPLACE`, whose replace fires no delete
    /// trigger) is an update of that version: its operation and flags are read against it.
    /// Merged into a version this transaction wrote, an insert keeps that version's operation
    /// unless it was a delete (a replace of a row the transaction inserted stays an insert).
    func render(_ value: VersionValue, _ sources: VersionRowSources) -> String {
        let render = { (value: VersionValue) in self.render(value, sources) }
        switch value {
        case .row(let column): return sources.row(column)
        case .before(let column): return sources.before(column)
        case .transactionID: return sources.transactionID
        case .null: return "NULL"
        case .true: return self.boolean(true)
        case .operation(.update) where !sources.kept.isEmpty:
            let kept = "\(sources.kept).\"operation_type\""
            return "CASE WHEN \(kept) = 2 THEN 1 ELSE \(kept) END"
        case .operation(.insert) where sources.replaced != nil:
            return "CASE WHEN \(sources.replaced!("operation_type")) IN (0, 1) THEN 1 ELSE 0 END"
        case .operation(let operation): return String(operation.operationType)
        case .isSet(let column):
            guard let replaced = sources.replaced else { return "\(sources.row(column)) IS NOT NULL" }
            let previous = replaced(column.name)
            return "CASE WHEN \(replaced("operation_type")) IN (0, 1) THEN \(Self.differs(sources.row(column), previous, column)) "
                + "ELSE \(sources.row(column)) IS NOT NULL END"
        case .kept(let name, _): return "\(sources.kept).\(SQLText.identifier(name))"
        case .incoming(let column): return "\(sources.incoming).\(SQLText.identifier(column.name))"
        case .incomingFlag(let name): return "\(sources.incoming).\(SQLText.identifier(name))"
        case .differs(let a, let b):
            guard let column = a.comparedColumn ?? b.comparedColumn else { preconditionFailure("a comparison of no column") }
            return Self.differs(render(a), render(b), column)
        case .or(let a, let b): return "\(render(a)) OR \(render(b))"
        }
    }
}
