/// The statement-level update function, reading the statement's transition tables.
extension PostgreSQLDialect {
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
    func updateFunction(_ plan: VersioningPlan) -> String {
        let v = Variables(plan, self.configuration)
        let row = v.qualified("v_row")
        let versionTable = self.qualified(plan.versionTable)
        let columns = plan.columns
        let keyJoin = plan.primaryKey.map { $0.equals("o.\(SQLText.identifier($0.name))", "n.\(SQLText.identifier($0.name))") }
            .joined(separator: " AND ")
        // Keys included: a key can change its image without changing under its type's `=`.
        let anyChanged = self.differs("o", "n", columns)
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
        // The set-based write of a large statement, the transaction id bound as `$1`. Every value
        // of the update's version row that reads the rows is computed where the pairs are formed,
        // under a name given by position (a user column can have any name): "n1", ... for the
        // versioned columns' new values, "m1", ... for the others (the `_mod` flags). The pairs
        // carry those, not the old values too (a wide table stays within PostgreSQL's 1,664
        // target entries).
        let layout = VersionRowLayout(plan)
        let pairSources = VersionRowSources(row: newValue, before: { "o.\(SQLText.identifier($0.name))" }, transactionID: "$1")
        var newPairs: [(value: String, name: String)] = []
        var otherPairs: [(value: String, name: String)] = []
        var newNames: [String: String] = [:]
        var values: [String] = []
        for value in layout.written(.update) {
            if case .row(let column) = value {
                let name = "\"n\(newPairs.count + 1)\""
                newPairs.append((newValue(column), name))
                newNames[column.name] = name
                values.append("p.\(name)")
            } else if value.readsRows {
                let name = "\"m\(otherPairs.count + 1)\""
                otherPairs.append((self.render(value, pairSources), name))
                values.append("p.\(name)")
            } else {
                values.append(self.render(value, pairSources))
            }
        }
        let pairs = newPairs + otherPairs
        let pairKeyMatch = plan.primaryKey.map { $0.equals("v.\(SQLText.identifier($0.name))", "p.\(newNames[$0.name]!)") }
            .joined(separator: " AND ")
        // `merging` false: the transaction has written no version of this table yet, so no key
        // can conflict and a plain INSERT does (no speculative insertion per row).
        func write(merging: Bool = true) -> String {
            let tx = "$1"
            let joined = "SELECT " + pairs.map { "\($0.value) AS \($0.name)" }.joined(separator: ", ")
                + ", \(firstOld) IS NOT NULL AND \(firstNew) IS NOT NULL AND \(anyChanged) AS \"continuum_changed\" "
                + "FROM \(paired) LEFT JOIN \(table) AS l ON \(liveJoin) OFFSET 0"
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

        // Small statements go row by row, like the row-level function, with static SQL: key
        // changes (rare) through the same loops as large statements, then every changed row with
        // its new values and the old values of tracked columns under aliases no column of the
        // table uses.
        var prefix = "continuum_old_"
        while plan.table.columns.contains(where: { $0.name.hasPrefix(prefix) }) { prefix += "_" }
        let tracked = layout.columnsReadBefore(.update)
        let oldAliases = tracked.indices.map { "\"\(prefix)\($0 + 1)\"" }
        let oldAlias = Dictionary(uniqueKeysWithValues: zip(tracked.map(\.name), oldAliases))
        let changedRows = "SELECT " + (newColumns + zip(tracked, oldAliases).map { "o.\(SQLText.identifier($0.name)) AS \($1)" })
            .joined(separator: ", ")
            + " FROM \(Self.newRows) AS n JOIN \(Self.oldRows) AS o ON \(keyJoin) LEFT JOIN \(table) AS l ON \(liveJoin) WHERE \(anyChanged)"
        let rowVersion = self.insertVersion(
            plan, .update,
            VersionRowSources(row: Self.column(of: row), before: { "\(row).\(oldAlias[$0.name]!)" }, transactionID: v.tx)
        )

        // Keys that lost their row, then keys that gained one, row by row (rare: key changes).
        let moves = SQLBlock { block in
            block.line("FOR v_row IN EXECUTE \(Self.dynamic(goneRows)) LOOP")
            block.indent { $0.append(self.deleteRow(plan, row, v)) }
            block.line("END LOOP;")
            block.line("FOR v_row IN EXECUTE \(Self.dynamic(arrivedRows)) LOOP")
            block.indent { $0.append(self.insertRow(plan, row, v)) }
            block.line("END LOOP;")
        }

        let variables = [
            ("v_tx", "bigint"), ("v_previous", "bigint"), ("v_recorded", "boolean"), ("v_moved", "boolean"),
            ("v_changed", "boolean"), ("v_first", "boolean"), ("v_row", "record"),
        ]
        let moved = Self.literal(Self.movedSetting(schema: self.schema, table: plan.table.name))
        let body = self.functionBody(v, variables: variables) { block in
            block.append(self.ownTableGuard(plan))
            block.line("IF (SELECT count(*) FROM \(Self.newRows)) <= \(VersioningConfiguration.staticPlanRowLimit) THEN")
            block.indent { block in
                block.line("IF current_setting(\(moved), true) = '1'")
                block.line("   AND EXISTS (\(gone)) THEN")
                block.indent { block in
                    block.append(self.prologue(plan, v))
                    block.append(moves)
                }
                block.line("END IF;")
                block.line("FOR v_row IN \(changedRows) LOOP")
                block.indent { block in
                    block.line("IF v_tx IS NULL THEN")
                    block.indent { $0.append(self.prologue(plan, v)) }
                    block.line("END IF;")
                    block.append(self.close(plan, row, v))
                    block.line(rowVersion)
                }
                block.line("END LOOP;")
                block.line("RETURN NULL;")
            }
            block.line("END IF;")
            block.line("EXECUTE \(Self.dynamic(check)) INTO v_moved, v_changed;")
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
                block.indent { $0.line("EXECUTE \(Self.dynamic(write(merging: false))) INTO v_previous USING \(v.tx);") }
                block.line("ELSE")
                block.indent { $0.line("EXECUTE \(Self.dynamic(write())) INTO v_previous USING \(v.tx);") }
                block.line("END IF;")
                block.append(self.conflictRenumber(v))
            }
            block.line("END IF;")
            block.line("RETURN NULL;")
        }
        return Self.function(self.updateFunctionName(plan), returns: "trigger", body: body)
    }
}
