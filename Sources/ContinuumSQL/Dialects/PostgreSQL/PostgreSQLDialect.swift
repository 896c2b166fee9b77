import SQLKit

/// PostgreSQL: the shared schema, version tables, trigger functions and triggers, introspection, scopes.
///
/// The generator is split by function family: `+SharedFunctions` (transaction ids, renumbering,
/// scope helpers), `+Triggers` (which triggers and functions a table gets), `+VersionRows` (the
/// statements that write version rows, rendering ``VersionRowLayout``), `+RowFunction` (the
/// row-level and truncate functions), `+UpdateFunction` (the statement-level update function),
/// `+Introspection` (the catalogs) and `+Scope` (what a `versioned` scope runs). This file holds
/// the shared schema, the version table's DDL and limits, value comparison and atomic blocks.
///
/// Every object is qualified with the schema holding the versioned table, so a session with
/// another `search_path` (psql, another program) still writes history to the right place.
///
/// Transaction identity: `_continuum_transaction_id()` returns the id cached in a
/// transaction-local setting of the schema's own (``transactionSetting(schema:transactionTable:)``:
/// two versioned schemas written in one database transaction each get their own `transaction`
/// row); the first versioned change of a database transaction in a schema inserts its
/// `transaction` row (actor and address read from the settings a `versioned` scope sets),
/// fills the cache and adds the schema to ``schemasSetting``, where the scope finds every
/// transaction row it must give its metadata. Transaction-local settings follow savepoints, so
/// a rolled-back savepoint takes the cached id with the row it pointed to.
///
/// Generated PL/pgSQL never lets a user column shadow a variable: every function starts with
/// `#variable_conflict use_column` and a block label no table of the function uses, and every
/// variable read inside a query is qualified with that label (``Variables``).
struct PostgreSQLDialect: Dialect {
    var configuration: VersioningConfiguration
    var schema: String

    /// A string literal read the same whatever `standard_conforming_strings` says: a value with a
    /// backslash becomes an escape string (`E'...'`) with the backslash doubled.
    static func literal(_ value: String) -> String {
        value.contains("\\") ? "E" + SQLText.literal(value.replacingOccurrences(of: "\\", with: "\\\\")) : SQLText.literal(value)
    }

    /// `CREATE OR REPLACE FUNCTION` of a generated PL/pgSQL function, `body` dollar-quoted. Every
    /// generated function pins `search_path = pg_catalog, pg_temp`; all but the key-moved marker
    /// (which only sets a transaction-local setting) run as their owner (`SECURITY DEFINER`), so
    /// writers need no rights on history. Privileges follow each definition (`REVOKE`/`GRANT`).
    static func function(_ name: String, arguments: String = "", returns: String, runsAsOwner: Bool = true, body: String) -> String {
        let tag = SQLText.dollarTag("continuum", avoiding: body)
        return "CREATE OR REPLACE FUNCTION \(name)(\(arguments)) RETURNS \(returns) LANGUAGE plpgsql"
            + (runsAsOwner ? " SECURITY DEFINER" : "") + " SET search_path = pg_catalog, pg_temp AS \(tag)\(body)\(tag)"
    }

    /// SQL for `EXECUTE`, dollar-quoted: no escape processing, whatever the session's settings.
    /// `value` as a JSON string (quoted, escaped), for a JSON text built in SQL.
    static func jsonString(_ value: String) -> String {
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }

    static func dynamic(_ sql: String) -> String {
        let tag = SQLText.dollarTag("sql", avoiding: sql)
        return tag + sql + tag
    }

    func qualified(_ name: String) -> String {
        SQLText.identifier(self.schema) + "." + SQLText.identifier(name)
    }

    var transactionIDFunction: String { self.qualified(VersioningConfiguration.transactionIDFunction) }

    /// The transaction-local setting caching the id of this database transaction's row in the
    /// `transaction` table of `schema`.
    static func transactionSetting(schema: String, transactionTable: String) -> String {
        "continuum.tx_" + SQLText.hash(schema + "\u{0}" + transactionTable)
    }

    /// Whether `text` (an SQL expression) is 1–18 digits, a bigint the cast cannot reject:
    /// checked with `length` and `ltrim`, cheaper than a regular expression in every write.
    static func holdsID(_ text: String) -> String {
        "length(\(text)) BETWEEN 1 AND 18 AND ltrim(\(text), '0123456789') = ''"
    }

    /// The id a cache setting holds, `NULL` when it holds no id (or something else: any session
    /// can write it).
    static func cachedID(_ setting: String) -> String {
        "CASE WHEN \(Self.holdsID("current_setting(\(setting), true)")) THEN current_setting(\(setting), true)::bigint END"
    }

    var transactionSetting: String {
        Self.literal(Self.transactionSetting(schema: self.schema, transactionTable: self.configuration.transactionTable))
    }

    /// The transaction-local setting listing (as a JSON array) the schemas in which this
    /// database transaction created a `transaction` row.
    static let schemasSetting = "continuum.schemas"
    var renumberFunction: String { self.qualified(VersioningConfiguration.renumberFunction) }

    // MARK: Shared schema

    func sharedSchema() -> [String] {
        let transaction = self.qualified(self.configuration.transactionTable)
        let sequence = self.qualified(SQLText.objectName(self.configuration.transactionTable + "_id_seq"))
        let changes = self.qualified(self.configuration.transactionChangesTable)
        let meta = self.qualified(self.configuration.transactionMetaTable)
        let registry = self.qualified(VersioningConfiguration.registryTable)
        return [
            "CREATE SEQUENCE IF NOT EXISTS \(sequence)",
            """
            CREATE TABLE IF NOT EXISTS \(transaction) ("id" BIGINT NOT NULL DEFAULT nextval(\(Self.literal(sequence))::regclass), \
            "remote_addr" VARCHAR(50), "issued_at" TIMESTAMP WITHOUT TIME ZONE, "user_id" VARCHAR(255), \
            "native_transaction_id" xid8, "login_role" VARCHAR(255), "client_addr" VARCHAR(50), PRIMARY KEY ("id"))
            """,
            // SQLAlchemy-Continuum's table draws ids from the same sequence on the client side;
            // the triggers need it as the column default.
            "ALTER TABLE \(transaction) ALTER COLUMN \"id\" SET DEFAULT nextval(\(Self.literal(sequence))::regclass)",
            "ALTER TABLE \(transaction) ADD COLUMN IF NOT EXISTS \"remote_addr\" VARCHAR(50)",
            "ALTER TABLE \(transaction) ADD COLUMN IF NOT EXISTS \"user_id\" VARCHAR(255)",
            "ALTER TABLE \(transaction) ADD COLUMN IF NOT EXISTS \"native_transaction_id\" xid8",
            // What the database knows, next to the application's claims (user_id, remote_addr).
            "ALTER TABLE \(transaction) ADD COLUMN IF NOT EXISTS \"login_role\" VARCHAR(255)",
            "ALTER TABLE \(transaction) ADD COLUMN IF NOT EXISTS \"client_addr\" VARCHAR(50)",
            """
            CREATE TABLE IF NOT EXISTS \(changes) ("transaction_id" BIGINT NOT NULL, "entity_name" VARCHAR(255) NOT NULL, \
            PRIMARY KEY ("transaction_id", "entity_name"))
            """,
            """
            CREATE TABLE IF NOT EXISTS \(meta) ("transaction_id" BIGINT NOT NULL, "key" VARCHAR(255) NOT NULL, "value" TEXT, \
            PRIMARY KEY ("transaction_id", "key"))
            """,
            """
            CREATE TABLE IF NOT EXISTS \(registry) ("table_name" TEXT NOT NULL PRIMARY KEY, "version_table" TEXT NOT NULL, \
            "entity_name" TEXT NOT NULL, "options" TEXT NOT NULL, "columns" TEXT NOT NULL, "format_version" INTEGER NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS \"ix_transaction_user_id\" ON \(transaction) (\"user_id\")",
            "CREATE INDEX IF NOT EXISTS \"ix_transaction_issued_at\" ON \(transaction) (\"issued_at\")",
            // The transaction-id function finds the current database transaction's row by it.
            "CREATE INDEX IF NOT EXISTS \"ix_transaction_native_transaction_id\" ON \(transaction) (\"native_transaction_id\")",
        ] + self.sharedFunctions() + self.readerGrants([transaction, changes, meta, registry], schema: true)
    }

    /// `GRANT SELECT` on `tables` (qualified) to the configured reader role, if any.
    func readerGrants(_ tables: [String], schema: Bool = false) -> [String] {
        guard let reader = self.configuration.readerRole else { return [] }
        let role = SQLText.identifier(reader)
        return (schema ? ["GRANT USAGE ON SCHEMA \(SQLText.identifier(self.schema)) TO \(role)"] : [])
            + tables.map { "GRANT SELECT ON \($0) TO \(role)" }
    }

    /// The shared functions, each followed by its privileges. They run as their owner (the role
    /// that installed versioning), so writers need no rights on history: the trigger functions
    /// and these two cannot be called by anyone else (`REVOKE ... FROM PUBLIC`); the scope

    var transactionIDType: String { "BIGINT" }
    func boolean(_ value: Bool) -> String { value ? "true" : "false" }

    // MARK: Version table

    /// Refuses a plan the database could not hold: a derived name PostgreSQL would cut to 63
    /// bytes (the version table's, a `_mod` column's: cutting would break SQLAlchemy-Continuum's
    /// naming and can collide with another table), or more version-table columns than
    /// PostgreSQL allows (1,600).
    func validate(_ plan: VersioningPlan) throws {
        let table = plan.table.name
        let columnCount = VersionRowLayout(plan).columns.count
        if plan.versionTable.utf8.count > SQLText.postgresNameLimit {
            throw ContinuumError.versionTableNameTooLong(table: table, versionTable: plan.versionTable)
        }
        if let long = plan.modColumns.first(where: { $0.utf8.count > SQLText.postgresNameLimit }) {
            throw ContinuumError.modifiedFlagNameTooLong(table: table, column: String(long.dropLast(VersioningPlan.modSuffix.count)))
        }
        if columnCount > 1600 {
            throw ContinuumError.tooManyColumns(table: table, columns: columnCount, limit: 1600)
        }
    }

    func indexes(_ plan: VersioningPlan) -> [String] {
        plan.createIndexes(on: self.qualified(plan.versionTable)) { SQLText.objectName($0) }
    }

    /// Gives a version column the live column's type (after a migration widened it, say),
    /// converting the history it holds.
    func alterVersionColumnType(_ plan: VersioningPlan, _ column: ColumnDescription) -> String? {
        let name = SQLText.identifier(column.name)
        return "ALTER TABLE \(self.qualified(plan.versionTable)) ALTER COLUMN \(name) TYPE \(column.type) USING \(name)::\(column.type)"
    }

    var versionColumnsFollowTypes: Bool { true }

    // MARK: Values

    /// Whether the values of `columns` in rows `a` and `b` differ as stored: their binary images
    /// (`record_image_eq`, NULLs equal to each other). A type's own `=` can call two visibly
    /// different values equal (`citext` ignores case, `numeric` ignores scale: `1.0 = 1.000`), and
    /// some types have none (json, point, xml); the images see every difference a reader could,
    /// and need no operator at all. One call compares every column at once.
    func differs(_ a: String, _ b: String, _ columns: [ColumnDescription]) -> String {
        guard !columns.isEmpty else { return "false" }
        let row = { (reference: String) in columns.map { "\(reference).\(SQLText.identifier($0.name))" }.joined(separator: ", ") }
        return self.differs(row(a), row(b))
    }

    func differs(_ a: String, _ b: String, _ column: ColumnDescription) -> String {
        self.differs(a, b, [column])
    }

    /// Whether rows `a` and `b` hold the same values in every versioned column (the negation of
    /// ``differs(_:_:_:)``, without the `NOT`).
    func sameVersionedValues(_ a: String, _ b: String, _ plan: VersioningPlan) -> String {
        let row = { (reference: String) in plan.columns.map { "\(reference).\(SQLText.identifier($0.name))" }.joined(separator: ", ") }
        return "pg_catalog.record_image_eq(ROW(\(row(a))), ROW(\(row(b))))"
    }

    /// Whether the key of row `old` differs from row `new`'s (``keyDiffers(_:_:_:)`` per column).
    func keyChanged(_ old: String, _ new: String, _ plan: VersioningPlan) -> String {
        plan.primaryKey.map { self.keyDiffers(old, new, $0) }.joined(separator: " OR ")
    }

    /// `a` and `b` are comma-separated expressions, compared as one row image.
    func differs(_ a: String, _ b: String) -> String {
        "NOT pg_catalog.record_image_eq(ROW(\(a)), ROW(\(b)))"
    }

    /// Whether a key column changed: by the type's own equality, which decides what is one key
    /// (and what the primary key's index matches), through the key's own operator (named with
    /// its schema when it is not pg_catalog's: the functions' search_path is pinned).
    func keyDiffers(_ a: String, _ b: String, _ column: ColumnDescription) -> String {
        let name = SQLText.identifier(column.name)
        return "NOT (\(column.equals("\(a).\(name)", "\(b).\(name)")))"
    }

    /// The statements that find (or create) the transaction and record the entity in
    /// `transaction_changes`, leaving the id in `v_tx`. The first row a transaction changes
    /// records the entity and marks it in a transaction-local setting (rolled back with a

    /// As the triggers compare: binary images, the version's value read as the live type.
    func sameValue(live: String, version: String, _ column: ColumnDescription, liveType: String, storedType: String?) -> String {
        let version = storedType == nil || storedType == liveType ? version : "CAST(\(version) AS \(liveType))"
        return "pg_catalog.record_image_eq(ROW(\(live)), ROW(\(version)))"
    }

    // MARK: Atomic blocks

    /// A savepoint inside a transaction block. PostgreSQL refuses `SAVEPOINT` outside one, and
    /// then the engine opens one with `BEGIN`. Which of the two happened is asked of the
    /// database (``SQLDatabase/inTransactionBlock()``), never read from the error's text.
    static func beginAtomic(on connection: any SQLDatabase) async throws -> (commit: [String], rollback: [String]) {
        let savepoint = "\"_continuum_atomic\""
        do {
            try await connection.run(generated: "SAVEPOINT \(savepoint)")
            return (["RELEASE SAVEPOINT \(savepoint)"], ["ROLLBACK TO SAVEPOINT \(savepoint)", "RELEASE SAVEPOINT \(savepoint)"])
        } catch {
            // No transaction block is open (SQLSTATE 25P01): the failed statement ran in an
            // implicit transaction of its own and left nothing behind, so open one. Any other
            // failure (inside a block, which the failed SAVEPOINT has now aborted) is the caller's.
            guard try await !connection.inTransactionBlock() else { throw error }
            try await connection.run(generated: "BEGIN")
            return (["COMMIT"], ["ROLLBACK"])
        }
    }
}
