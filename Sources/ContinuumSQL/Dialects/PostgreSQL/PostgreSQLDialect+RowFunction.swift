/// The row-level trigger function (inserts, deletes, and the updates of tables that cannot use
/// the statement-level function) and the truncate function.
extension PostgreSQLDialect {
    /// A function body: `header`, the `DECLARE` section of `variables` (name and type), then
    /// `BEGIN` `statements` `END`, on lines of their own.
    func functionBody(_ v: Variables, variables: [(String, String)], _ statements: (inout SQLBlock) -> Void) -> String {
        let block = SQLBlock { block in
            block.line(v.header)
            block.line("DECLARE")
            block.indent { block in
                // `v_cached`: the text of a setting, for ``prologue(_:_:)``.
                for (name, type) in variables + [("v_cached", "text")] { block.line("\(name) \(type);") }
            }
            block.line("BEGIN")
            block.indent(statements)
            block.line("END")
        }
        return "\n" + block.text + "\n"
    }

    /// The row-level function: every insert and delete, and the updates of tables without
    /// ``TableDescription/versionsUpdatesPerStatement``.
    func function(_ plan: VersioningPlan) -> String {
        let v = Variables(plan, self.configuration)
        let (old, new) = (v.qualified("v_old"), v.qualified("v_new"))
        let keyChanged = plan.primaryKey.map { self.keyDiffers(old, new, $0) }.joined(separator: " OR ")
        let updateSources = VersionRowSources(row: Self.column(of: new), before: Self.column(of: old), transactionID: v.tx)
        // NEW and OLD are copied to labelled variables: a user column named "new" or "old"
        // would otherwise capture `NEW."c"` in a query on the version table.
        let variables = [
            ("v_tx", "bigint"), ("v_previous", "bigint"), ("v_recorded", "boolean"), ("v_old", "record"), ("v_new", "record"), ("v_prior", "record"),
        ]
        let body = self.functionBody(v, variables: variables) { block in
            block.append(self.ownTableGuard(plan))
            block.line("-- Both always hold a row of the table: an expression naming an unassigned")
            block.line("-- record fails even in a branch that is not taken.")
            block.line("IF TG_OP = 'INSERT' THEN")
            block.indent { block in
                block.line("v_old := NEW;")
                block.line("v_new := NEW;")
            }
            block.line("ELSIF TG_OP = 'DELETE' THEN")
            block.indent { block in
                block.line("v_old := OLD;")
                block.line("v_new := OLD;")
            }
            block.line("ELSE")
            block.indent { block in
                block.line("v_old := OLD;")
                block.line("v_new := NEW;")
            }
            block.line("END IF;")
            // An UPDATE that changed no versioned value writes nothing (the row-level update
            // trigger has no `WHEN` clause: see ``rowColumnsTrigger``).
            let row = { (reference: String) in plan.columns.map(Self.column(of: reference)).joined(separator: ", ") }
            block.line("IF TG_OP = 'UPDATE' AND pg_catalog.record_image_eq(ROW(\(row(old))), ROW(\(row(new)))) THEN")
            block.indent { $0.line("RETURN NULL;") }
            block.line("END IF;")
            block.append(self.prologue(plan, v))
            block.line("IF TG_OP = 'DELETE' THEN")
            block.indent { block in
                block.append(self.deleteRow(plan, old, v))
                block.line("RETURN NULL;")
            }
            block.line("ELSIF TG_OP = 'UPDATE' AND (\(keyChanged)) THEN")
            block.indent { $0.append(self.keyMove(plan, old: old, new: new, v)) }
            block.line("ELSIF TG_OP = 'UPDATE' THEN")
            block.indent { block in
                block.append(self.closeAndWrite(plan, new, .update, updateSources, v))
                block.line("RETURN NULL;")
            }
            block.line("END IF;")
            block.append(self.insertRow(plan, new, v))
            block.line("RETURN NULL;")
        }
        return Self.function(self.functionName(plan), returns: "trigger", body: body)
    }

    /// A row-level UPDATE that moved its row from key `old` to key `new`. Under a deferrable
    /// key, one statement can swap or shift keys (`SET id = id + 1`): the row's old key may hold
    /// another row of the statement when this event fires, and its new key may have been another
    /// row's. So the old key is gone only if no row of this table holds it now (the row that took
    /// it is versioned by its own event), and when the new key's open version is another
    /// transaction's and not a DELETE, its row was moved away in this statement and the key's
    /// new row is an UPDATE of it (its `_mod` flags against that version's values). Otherwise
    /// the old key is deleted and the new one inserted, as before. (The statement-level function
    /// pairs old and new rows by key instead, which sees the same.)
    func keyMove(_ plan: VersioningPlan, old: String, new: String, _ v: Variables) -> SQLBlock {
        let table = Self.literal(self.qualified(plan.table.name))
        let prior = v.qualified("v_prior")
        let ownRows = "(l.tableoid = \(table)::regclass OR (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = \(table)::regclass) = 'p')"
        let update = VersionRowSources(row: Self.column(of: new), before: Self.column(of: prior), transactionID: v.tx)
        return SQLBlock { block in
            block.line("IF NOT EXISTS (SELECT 1 FROM \(self.qualified(plan.table.name)) AS l WHERE \(plan.keyMatch(old, alias: "l")) AND \(ownRows)) THEN")
            block.indent { $0.append(self.deleteRow(plan, old, v)) }
            block.line("END IF;")
            block.line(
                "SELECT w.* INTO v_prior FROM \(self.qualified(plan.versionTable)) AS w "
                    + "WHERE \(plan.keyMatch(new, alias: "w")) AND w.\"end_transaction_id\" IS NULL LIMIT 1;"
            )
            block.line(
                "IF \(prior).\"transaction_id\" IS NULL OR \(prior).\"transaction_id\" = \(v.tx) OR \(prior).\"operation_type\" = 2 THEN"
            )
            block.indent { $0.append(self.insertRow(plan, new, v)) }
            block.line("ELSE")
            block.indent { $0.append(self.closeAndWrite(plan, new, .update, update, v)) }
            block.line("END IF;")
            block.line("RETURN NULL;")
        }
    }

    /// The truncate function: before `TRUNCATE` removes the rows, each gets a DELETE version
    /// through the same logic as a row-level delete. A partitioned table's rows are read
    /// through it (its history holds its partitions' rows); any other table's with `ONLY`
    /// (an inheritance child versions its own rows).
    func truncateFunction(_ plan: VersioningPlan) -> String {
        let v = Variables(plan, self.configuration)
        let row = v.qualified("v_row")
        let table = self.qualified(plan.table.name)
        let variables = [("v_tx", "bigint"), ("v_previous", "bigint"), ("v_recorded", "boolean"), ("v_row", "record")]
        let body = self.functionBody(v, variables: variables) { block in
            block.append(self.ownTableGuard(plan))
            block.line("FOR v_row IN EXECUTE CASE WHEN (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = TG_RELID) = 'p'")
            block.indent { block in
                block.line("THEN \(Self.dynamic("SELECT * FROM " + table)) ELSE \(Self.dynamic("SELECT * FROM ONLY " + table)) END LOOP")
                block.line("IF v_tx IS NULL THEN")
                block.indent { $0.append(self.prologue(plan, v)) }
                block.line("END IF;")
                block.append(self.deleteRow(plan, row, v))
            }
            block.line("END LOOP;")
            block.line("RETURN NULL;")
        }
        return Self.function(self.truncateFunctionName(plan), returns: "trigger", body: body)
    }
}
