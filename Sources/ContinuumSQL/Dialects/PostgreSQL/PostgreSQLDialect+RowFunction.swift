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
                // `v_cached`: the text of a setting, for ``prologue(_:_:)``; `v_prior`: a key's
                // open version, for ``insertRow(_:_:_:)`` and ``deleteRow(_:_:_:checksHolder:)``.
                for (name, type) in variables + [("v_cached", "text"), ("v_prior", "record")] { block.line("\(name) \(type);") }
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
        let keyChanged = self.keyChanged(old, new, plan)
        let updateSources = VersionRowSources(row: Self.column(of: new), before: Self.column(of: old), transactionID: v.tx)
        // NEW and OLD are copied to labelled variables: a user column named "new" or "old"
        // would otherwise capture `NEW."c"` in a query on the version table.
        let variables = [("v_tx", "bigint"), ("v_previous", "bigint"), ("v_recorded", "boolean"), ("v_old", "record"), ("v_new", "record")]
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
            block.line("IF TG_OP = 'UPDATE' AND \(self.sameVersionedValues(old, new, plan)) THEN")
            block.indent { $0.line("RETURN NULL;") }
            block.line("END IF;")
            block.append(self.prologue(plan, v))
            block.line("IF TG_OP = 'DELETE' THEN")
            block.indent { block in
                block.append(self.deleteRow(plan, old, v))
                block.line("RETURN NULL;")
            }
            block.line("ELSIF TG_OP = 'UPDATE' AND (\(keyChanged)) THEN")
            block.indent { block in
                // The old key goes and the new one comes; under a deferrable key one statement
                // can swap or shift keys, which deleteRow and insertRow handle by the keys' open
                // versions and the rows holding them when this event fires.
                block.append(self.deleteRow(plan, old, v))
                block.append(self.insertRow(plan, new, v))
                block.line("RETURN NULL;")
            }
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
                block.append(self.deleteRow(plan, row, v, checksHolder: false))
            }
            block.line("END LOOP;")
            block.line("RETURN NULL;")
        }
        return Self.function(self.truncateFunctionName(plan), returns: "trigger", body: body)
    }
}
