/// Which triggers and functions a versioned table gets, and how they are created and dropped.
extension PostgreSQLDialect {
    // MARK: Triggers

    static let insertDeleteTrigger = "continuum_insert_delete"
    static let updateTrigger = "continuum_update"
    /// With a statement-level update trigger: a disabled row-level trigger that never fires. Its
    /// `WHEN` clause names every versioned column (in a condition that is never true), so
    /// PostgreSQL refuses to drop a versioned column behind versioning's back, as it does for the
    /// row-level update trigger's `WHEN` clause. Disabled, it costs nothing: PostgreSQL would
    /// otherwise read and prepare the clause again for every UPDATE statement (up to format 2 it
    /// was enabled, and marked the transaction when a key changed; the update function now
    /// counts the rows that kept their key instead).
    static let columnsTrigger = "continuum_columns"
    /// The same with a row-level update trigger, under a name of its own (so the drift check
    /// tells which kind of update trigger a table carries). The row-level update trigger has no
    /// `WHEN` clause either: PostgreSQL prepares a row trigger's `WHEN` clause again for every
    /// `UPDATE` statement, which cost more than the function's own test of whether the row
    /// changed (in ``function(_:)``).
    static let rowColumnsTrigger = "continuum_row_columns"
    /// `BEFORE TRUNCATE`, per statement: writes a DELETE version of every row the statement is
    /// about to remove (``truncateFunction(_:)``), so `TRUNCATE` (and `TRUNCATE ... CASCADE`
    /// reaching a versioned table) keeps its deletions in history.
    static let truncateTrigger = "continuum_truncate"

    /// The triggers a versioned table carries.
    func expectedTriggers(_ plan: VersioningPlan) -> Set<String> { Self.triggerNames(plan) }

    /// The triggers a versioned table carries.
    static func triggerNames(_ plan: VersioningPlan) -> Set<String> {
        plan.updatesPerStatement
            ? [insertDeleteTrigger, updateTrigger, columnsTrigger, truncateTrigger]
            : [insertDeleteTrigger, updateTrigger, rowColumnsTrigger, truncateTrigger]
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

    /// Drops the triggers and their functions.
    func dropTriggers(_ plan: VersioningPlan) -> [String] { self.dropTriggers(plan, dropFunction: true) }

    /// The functions outlive a dropped table.
    func dropOrphanedObjects(_ plan: VersioningPlan) -> [String] { self.dropFunctions(plan) }

    /// A table that joined a partition tree or an inheritance tree, or grew past
    /// ``VersioningPlan/statementUpdateColumnLimit`` versioned columns, needs the row-level
    /// update trigger: the statement-level one it carries is outdated.
    func outdatedTriggers(_ plan: VersioningPlan, live: TableDescription, installed triggers: Set<String>) -> String? {
        guard !plan.updatesPerStatement, triggers.contains(Self.columnsTrigger) else { return nil }
        if plan.updateTrigger == .perRow {
            return "the update trigger runs per statement, but the table's options ask for one per row"
        }
        return live.versionsUpdatesPerStatement
            ? "the update trigger runs per statement, but the table now has more than \(VersioningPlan.statementUpdateColumnLimit) versioned columns"
            : "the update trigger runs per statement, but the table is now partitioned, a partition or part of an inheritance tree"
    }

    /// Drops the triggers, then (with `dropFunction`) their functions (``dropFunctions(_:)``).
    func dropTriggers(_ plan: VersioningPlan, dropFunction: Bool) -> [String] {
        let table = self.qualified(plan.table.name)
        var statements = [
            "DROP TRIGGER IF EXISTS \(SQLText.identifier(Self.insertDeleteTrigger)) ON \(table)",
            "DROP TRIGGER IF EXISTS \(SQLText.identifier(Self.updateTrigger)) ON \(table)",
            "DROP TRIGGER IF EXISTS \(SQLText.identifier(Self.columnsTrigger)) ON \(table)",
            "DROP TRIGGER IF EXISTS \(SQLText.identifier(Self.rowColumnsTrigger)) ON \(table)",
            "DROP TRIGGER IF EXISTS \(SQLText.identifier(Self.truncateTrigger)) ON \(table)",
        ]
        if dropFunction { statements += self.dropFunctions(plan) }
        return statements
    }

    /// The function of ``columnsTrigger``, which never runs (its name dates from format 2, when
    /// it marked the transaction when a key changed).
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
    /// The trigger functions, each run as the owner and executable by nobody else.
    func triggerFunctions(_ plan: VersioningPlan) -> [String] {
        var statements = [
            self.function(plan), "REVOKE ALL ON FUNCTION \(self.functionName(plan))() FROM PUBLIC",
            self.truncateFunction(plan), "REVOKE ALL ON FUNCTION \(self.truncateFunctionName(plan))() FROM PUBLIC",
        ]
        if plan.updatesPerStatement {
            statements.append(self.updateFunction(plan))
            statements.append("REVOKE ALL ON FUNCTION \(self.updateFunctionName(plan))() FROM PUBLIC")
        }
        return statements
    }

    /// ``TableDescription/versionsUpdatesPerStatement`` fire a statement-level trigger that
    /// writes the history of every changed row with a few set-based statements (a bulk UPDATE
    /// pays no per-row function call); other tables get a row-level update trigger.
    func createTriggers(_ plan: VersioningPlan) -> [String] {
        let table = self.qualified(plan.table.name)
        var statements = self.readerGrants([self.qualified(plan.versionTable)]) + self.triggerFunctions(plan)
        statements.append(
            Self.function(self.keyMovedFunctionName(plan), returns: "trigger", runsAsOwner: false, body: " BEGIN RETURN NULL; END "))
        statements.append("REVOKE ALL ON FUNCTION \(self.keyMovedFunctionName(plan))() FROM PUBLIC")
        // Never true, and disabled: it only holds the dependency on every versioned column.
        // (A `WHEN` clause binds its operators when the trigger is created; it has none.)
        let condition = "false AND (" + plan.columns.map { "OLD.\(SQLText.identifier($0.name)) IS NULL" }.joined(separator: " AND ") + ")"
        let columnsTrigger = plan.updatesPerStatement ? Self.columnsTrigger : Self.rowColumnsTrigger
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
        } else {
            statements.append(
                "CREATE TRIGGER \(SQLText.identifier(Self.updateTrigger)) AFTER UPDATE ON \(table) "
                    + "FOR EACH ROW EXECUTE FUNCTION \(self.functionName(plan))()"
            )
            statements.append("DROP FUNCTION IF EXISTS \(self.updateFunctionName(plan))()")
        }
        statements.append(
            "CREATE TRIGGER \(SQLText.identifier(columnsTrigger)) AFTER UPDATE ON \(table) "
                + "FOR EACH ROW WHEN (\(condition)) EXECUTE FUNCTION \(self.keyMovedFunctionName(plan))()"
        )
        statements.append("ALTER TABLE \(table) DISABLE TRIGGER \(SQLText.identifier(columnsTrigger))")
        return statements
    }

    /// The transition tables of the statement-level update trigger.
    static let oldRows = "\"continuum_old_rows\""
    static let newRows = "\"continuum_new_rows\""
}
