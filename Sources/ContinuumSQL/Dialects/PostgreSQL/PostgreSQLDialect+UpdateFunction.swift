/// The statement-level update function, reading the statement's transition tables.
extension PostgreSQLDialect {
    /// The statement-level update function. Rows are paired by key between the statement's old
    /// and new transition tables:
    /// - a key in both whose versioned values differ is an in-place update;
    /// - a key only in the old rows lost its row, a key only in the new rows gained one (a key
    ///   change): these go row by row through the same logic as a DELETE and an INSERT.
    ///
    /// A statement over at most `VersioningConfiguration.staticPlanRowLimit` rows runs static SQL (plans
    /// cached by PL/pgSQL) and writes its updates row by row, like the row-level function: one
    /// query pairs its rows by key (and counts the pairs: fewer pairs than rows means a key lost
    /// or gained its row, and only then do the key-move queries run). A
    /// larger one runs its queries through `EXECUTE`, planned for their size, and writes its
    /// updates set-based: one UPDATE closes the open versions, one INSERT writes (or merges) the
    /// new ones. A cached plan keeps the transition-table sizes it was made for, so without the
    /// split a nested loop planned for one row would later face 100,000 (quadratic), or a hash
    /// join planned for a bulk update would scan the whole version table on every single-row
    /// update. A statement that changed no versioned value writes nothing, not even a transaction.
    func updateFunction(_ plan: VersioningPlan) -> String {
        let v = Variables(plan, self.configuration)
        let rows = TransitionTables(plan, self)
        let moves = self.keyMoves(plan, rows, v)
        let variables = [
            ("v_tx", "bigint"), ("v_previous", "bigint"), ("v_recorded", "boolean"), ("v_moved", "boolean"),
            ("v_changed", "boolean"), ("v_first", "boolean"), ("v_row", "record"), ("v_count", "bigint"), ("v_pairs", "bigint"),
            ("v_old", "record"), ("v_new", "record"),
        ]
        let body = self.functionBody(v, variables: variables) { block in
            block.append(self.ownTableGuard(plan))
            // Small statements go row by row, like the row-level function, with static SQL: every
            // changed row, then key changes (rare, found by counting the rows that kept their key)
            // through the same loops as large statements. The keys of the two sets differ, so
            // their order does not matter.
            block.line("SELECT count(*) INTO v_count FROM \(Self.newRows);")
            block.append(self.singleRowUpdate(plan, rows, v))
            block.line("IF v_count <= \(VersioningConfiguration.staticPlanRowLimit) THEN")
            block.indent { block in
                block.append(self.rowByRowUpdates(plan, rows, v))
                block.line("IF v_pairs < v_count THEN")
                block.indent { block in
                    block.line("IF v_tx IS NULL THEN")
                    block.indent { $0.append(self.prologue(plan, v)) }
                    block.line("END IF;")
                    block.append(moves)
                }
                block.line("END IF;")
                block.line("RETURN NULL;")
            }
            block.line("END IF;")
            block.line("EXECUTE \(Self.dynamic(rows.check)) INTO v_moved, v_changed;")
            block.line("IF NOT v_moved AND NOT v_changed THEN")
            block.indent { $0.line("RETURN NULL;") }
            block.line("END IF;")
            block.append(self.prologue(plan, v))
            block.line("v_first := NOT v_recorded;")
            block.line("IF v_moved THEN")
            block.indent { $0.append(moves) }
            block.line("END IF;")
            block.line("IF v_changed THEN")
            block.indent { block in
                block.line("IF v_first AND NOT v_moved THEN")
                block.indent { $0.line("EXECUTE \(Self.dynamic(self.setBasedUpdates(plan, rows, merging: false))) INTO v_previous USING \(v.tx);") }
                block.line("ELSE")
                block.indent { $0.line("EXECUTE \(Self.dynamic(self.setBasedUpdates(plan, rows, merging: true))) INTO v_previous USING \(v.tx);") }
                block.line("END IF;")
                block.append(self.conflictRenumber(v))
            }
            block.line("END IF;")
            block.line("RETURN NULL;")
        }
        return Self.function(self.updateFunctionName(plan), returns: "trigger", body: body)
    }

    /// Keys that lost their row, then keys that gained one, row by row (rare: key changes),
    /// through the same logic as a DELETE and an INSERT.
    private func keyMoves(_ plan: VersioningPlan, _ rows: TransitionTables, _ v: Variables) -> SQLBlock {
        let row = v.qualified("v_row")
        return SQLBlock { block in
            block.line("FOR v_row IN EXECUTE \(Self.dynamic(rows.goneRows)) LOOP")
            block.indent { $0.append(self.deleteRow(plan, row, v)) }
            block.line("END LOOP;")
            block.line("FOR v_row IN EXECUTE \(Self.dynamic(rows.arrivedRows)) LOOP")
            block.indent { $0.append(self.insertRow(plan, row, v)) }
            block.line("END LOOP;")
        }
    }

    /// A statement that updated one row and kept its key (what an ORM's save sends): its old
    /// and new row are read by two single-table queries instead of the pairing join (which
    /// costs a hash join's set-up; 21,000 instructions per statement), then versioned as
    /// ``rowByRowUpdates(_:_:_:)`` versions a pair. A changed key falls through to it (the
    /// pairing then finds no pair, and the key-move path runs).
    private func singleRowUpdate(_ plan: VersioningPlan, _ rows: TransitionTables, _ v: Variables) -> SQLBlock {
        let (old, new) = (v.qualified("v_old"), v.qualified("v_new"))
        let sources = VersionRowSources(row: Self.column(of: new), before: Self.column(of: old), transactionID: v.tx)
        let live = VersionRowSources(row: { rows.newValue($0, transitionRow: new) }, before: Self.column(of: old), transactionID: v.tx)
        let liveRow = "(SELECT) AS z LEFT JOIN \(rows.table) AS l ON \(rows.liveJoin(new))"
        return SQLBlock { block in
            block.line("IF v_count = 1 THEN")
            block.indent { block in
                block.line("SELECT * INTO v_new FROM \(Self.newRows);")
                block.line("SELECT * INTO v_old FROM \(Self.oldRows);")
                block.line("IF NOT (\(self.keyChanged(old, new, plan))) THEN")
                block.indent { block in
                    block.line("IF NOT \(self.sameVersionedValues(old, new, plan)) THEN")
                    block.indent { block in
                        block.append(self.prologue(plan, v))
                        block.append(self.closeAndWrite(plan, new, .update, sources, v, mergingFrom: (liveRow, live)))
                    }
                    block.line("END IF;")
                    block.line("RETURN NULL;")
                }
                block.line("END IF;")
            }
            block.line("END IF;")
        }
    }

    /// The updates of a small statement, row by row with static SQL: every row that kept its
    /// key, counted in `v_pairs`, with its new values, the old values its version reads (the
    /// `_mod` flags' columns) and whether a versioned value changed, under aliases no column of
    /// the table uses; the changed ones get their version.
    ///
    /// The new values are the transition table's, not the live row's (``TransitionTables/newValue(_:)``,
    /// a join that costs a tenth of the function): an AFTER ROW trigger that changed the row
    /// again before this function runs had its change versioned first, so this transaction then
    /// has the key's open version, and only a merge into it (`ON CONFLICT`) can meet a newer row.
    /// A merge reads the live row; a plain INSERT (the open version is another transaction's,
    /// or the transaction had not written the table) cannot have been overtaken.
    private func rowByRowUpdates(_ plan: VersioningPlan, _ rows: TransitionTables, _ v: Variables) -> SQLBlock {
        let row = v.qualified("v_row")
        var prefix = "continuum_old_"
        while plan.table.columns.contains(where: { $0.name.hasPrefix(prefix) }) { prefix += "_" }
        let tracked = VersionRowLayout(plan).columnsReadBefore(.update)
        let oldAliases = tracked.indices.map { "\"\(prefix)\($0 + 1)\"" }
        let oldAlias = Dictionary(uniqueKeysWithValues: zip(tracked.map(\.name), oldAliases))
        let changed = "\"\(prefix)changed\""
        let pairedRows =
            "SELECT "
            + (rows.transitionColumns + zip(tracked, oldAliases).map { "o.\(SQLText.identifier($0.name)) AS \($1)" } + ["\(rows.anyChanged) AS \(changed)"])
            .joined(separator: ", ")
            + " FROM \(Self.newRows) AS n JOIN \(Self.oldRows) AS o ON \(rows.keyJoin)"
        let before: (ColumnDescription) -> String = { "\(row).\(oldAlias[$0.name]!)" }
        let sources = VersionRowSources(row: Self.column(of: row), before: before, transactionID: v.tx)
        let live = VersionRowSources(row: { rows.newValue($0, transitionRow: row) }, before: before, transactionID: v.tx)
        let liveRow = "(SELECT) AS z LEFT JOIN \(rows.table) AS l ON \(rows.liveJoin(row))"
        return SQLBlock { block in
            block.line("v_pairs := 0;")
            block.line("FOR v_row IN \(pairedRows) LOOP")
            block.indent { block in
                block.line("v_pairs := v_pairs + 1;")
                block.line("IF \(row).\(changed) THEN")
                block.indent { block in
                    block.line("IF v_tx IS NULL THEN")
                    block.indent { $0.append(self.prologue(plan, v)) }
                    block.line("END IF;")
                    block.append(self.closeAndWrite(plan, row, .update, sources, v, mergingFrom: (liveRow, live)))
                }
                block.line("END IF;")
            }
            block.line("END LOOP;")
        }
    }

    /// The updates of a large statement, set-based, the transaction id bound as `$1`: one UPDATE
    /// closes the open versions, one INSERT writes the new ones; it returns the largest id of
    /// the versions it closed. `merging` false: the transaction has written no version of this
    /// table yet, so no key can conflict and a plain INSERT does (no speculative insertion per row).
    ///
    /// Every value of the update's version row that reads the rows is computed where the pairs
    /// are formed, under a name given by position (a user column can have any name): "n1", ...
    /// for the versioned columns' new values, "m1", ... for the others (the `_mod` flags). The
    /// pairs carry those, not the old values too (a wide table stays within PostgreSQL's 1,664
    /// target entries).
    private func setBasedUpdates(_ plan: VersioningPlan, _ rows: TransitionTables, merging: Bool) -> String {
        let tx = "$1"
        let versionTable = self.qualified(plan.versionTable)
        let layout = VersionRowLayout(plan)
        let sources = VersionRowSources(row: { rows.newValue($0) }, before: { "o.\(SQLText.identifier($0.name))" }, transactionID: tx)
        var newPairs: [(value: String, name: String)] = []
        var otherPairs: [(value: String, name: String)] = []
        var newNames: [String: String] = [:]
        var values: [String] = []
        for value in layout.written(.update) {
            if case .row(let column) = value {
                let name = "\"n\(newPairs.count + 1)\""
                newPairs.append((rows.newValue(column), name))
                newNames[column.name] = name
                values.append("p.\(name)")
            } else if value.readsRows {
                let name = "\"m\(otherPairs.count + 1)\""
                otherPairs.append((self.render(value, sources), name))
                values.append("p.\(name)")
            } else {
                values.append(self.render(value, sources))
            }
        }
        let pairs = newPairs + otherPairs
        let pairKeyMatch = plan.primaryKey.map { $0.equals("v.\(SQLText.identifier($0.name))", "p.\(newNames[$0.name]!)") }
            .joined(separator: " AND ")
        let joined =
            "SELECT " + pairs.map { "\($0.value) AS \($0.name)" }.joined(separator: ", ")
            + ", \(rows.firstOld) IS NOT NULL AND \(rows.firstNew) IS NOT NULL AND \(rows.anyChanged) AS \"continuum_changed\" "
            + "FROM \(rows.paired) LEFT JOIN \(rows.table) AS l ON \(rows.liveJoin) OFFSET 0"
        let selected = "SELECT \(pairs.map { "j.\($0.name)" }.joined(separator: ", ")) FROM (\(joined)) AS j WHERE j.\"continuum_changed\""
        return """
            WITH "pairs" AS MATERIALIZED (\(selected)), \
            "closed" AS (UPDATE \(versionTable) AS v SET "end_transaction_id" = \(tx) FROM "pairs" AS p \
            WHERE \(pairKeyMatch) AND v."end_transaction_id" IS NULL AND v."transaction_id" <> \(tx) RETURNING v."transaction_id"), \
            "merged" AS (INSERT INTO \(versionTable) (\(layout.columnList)) SELECT \(values.joined(separator: ", ")) \
            FROM "pairs" AS p\(merging ? " " + self.onConflict(plan, .update) : "")) \
            SELECT max("transaction_id") FROM "closed"
            """
    }
}

/// The queries of the statement-level update function over the statement's transition tables
/// (`o`: old rows, `n`: new rows, `l`: the live table), for one versioned table.
struct TransitionTables {
    /// The versioned table, qualified.
    let table: String
    /// `o."k" = n."k" AND ...` over the primary key.
    let keyJoin: String
    /// `l."k" = n."k" AND ...`: the live row of a new row.
    let liveJoin: String
    /// The old and new rows paired by key.
    let paired: String
    /// The first key column of the old and of the new row (`NULL` where a side is missing).
    let firstOld: String
    let firstNew: String
    /// Whether a pair's versioned values differ (keys included: a key can change its image
    /// without changing under its type's `=`).
    let anyChanged: String
    private let firstKey: String
    private let columns: [ColumnDescription]
    private let primaryKeyColumns: [ColumnDescription]
    /// A column named unlike every column of the table, marking the rows of a key that moved.
    private let marker: String

    init(_ plan: VersioningPlan, _ dialect: PostgreSQLDialect) {
        self.table = dialect.qualified(plan.table.name)
        self.columns = plan.columns
        self.primaryKeyColumns = plan.primaryKey
        self.keyJoin = plan.primaryKey.map { $0.equals("o.\(SQLText.identifier($0.name))", "n.\(SQLText.identifier($0.name))") }
            .joined(separator: " AND ")
        self.liveJoin = plan.primaryKey.map { $0.equals("l.\(SQLText.identifier($0.name))", "n.\(SQLText.identifier($0.name))") }
            .joined(separator: " AND ")
        self.anyChanged = dialect.differs("o", "n", plan.columns)
        self.firstKey = SQLText.identifier(plan.primaryKey[0].name)
        self.firstOld = "o.\(self.firstKey)"
        self.firstNew = "n.\(self.firstKey)"
        // Queries over both transition tables pair them with a FULL JOIN: PostgreSQL runs a full
        // join only as a hash or merge join, never as a nested loop, and transition tables have
        // no index, so any other join risks a nested loop planned for a few rows that then meets
        // a million (quadratic; seen from 150,000 rows on). Filters on the joined rows go outside
        // an `OFFSET 0` subquery, so the planner cannot turn the full join into an inner or anti join.
        self.paired = "\(PostgreSQLDialect.oldRows) AS o FULL JOIN \(PostgreSQLDialect.newRows) AS n ON \(self.keyJoin)"
        var marker = "continuum_side"
        while plan.table.columns.contains(where: { $0.name == marker }) { marker += "_" }
        self.marker = SQLText.identifier(marker)
    }

    /// A column's new value. It is read from the table itself where the caller can see the row:
    /// an AFTER ROW trigger may have changed it again (and versioned that) before this statement
    /// trigger runs, and the version must hold the row as it is now. Where the row is not
    /// visible (deleted meanwhile, whose delete version then takes these values; or hidden by a
    /// row-level security policy), the new transition row's values are used, as a row-level
    /// trigger would.
    /// `transitionRow`: where the new transition row's values are read (default `n`).
    func newValue(_ column: ColumnDescription, transitionRow: String = "n") -> String {
        let name = SQLText.identifier(column.name)
        return "CASE WHEN l.\(self.firstKey) IS NULL THEN \(transitionRow).\(name) ELSE l.\(name) END"
    }

    /// Every versioned column's new value, under its own name.
    var newColumns: [String] { self.columns.map { "\(self.newValue($0)) AS \(SQLText.identifier($0.name))" } }

    /// Every versioned column of the new transition row, under its own name.
    var transitionColumns: [String] { self.columns.map { "n.\(SQLText.identifier($0.name)) AS \(SQLText.identifier($0.name))" } }

    /// `l."k" = <row>."k" AND ...`: the live row of `row`'s key.
    func liveJoin(_ row: String) -> String {
        self.primaryKeyColumns.map { $0.equals("l.\(SQLText.identifier($0.name))", "\(row).\(SQLText.identifier($0.name))") }.joined(separator: " AND ")
    }

    /// The rows of keys that lost their row (old rows without a new one), as they were.
    var goneRows: String {
        "SELECT j.* FROM (SELECT o.*, \(self.firstNew) IS NULL AS \(self.marker) FROM \(self.paired) OFFSET 0) AS j WHERE j.\(self.marker)"
    }

    /// The rows of keys that gained one, with their new values.
    var arrivedRows: String {
        "SELECT j.* FROM (SELECT \(self.newColumns.joined(separator: ", ")), \(self.firstOld) IS NULL AS \(self.marker) "
            + "FROM \(self.paired) LEFT JOIN \(self.table) AS l ON \(self.liveJoin) OFFSET 0) AS j WHERE j.\(self.marker)"
    }

    /// One pass: did a key move, did a row that kept its key change?
    var check: String {
        "SELECT COALESCE(bool_or(\(self.firstOld) IS NULL OR \(self.firstNew) IS NULL), false), "
            + "COALESCE(bool_or(\(self.firstOld) IS NOT NULL AND \(self.firstNew) IS NOT NULL AND \(self.anyChanged)), false) FROM \(self.paired)"
    }
}
