import SQLKit

/// Everything the engine does differently per database: introspection, the shared schema, the
/// version table's DDL, the triggers (and PostgreSQL's functions), the SQL that begins and ends
/// a scope, how two stored values compare, and atomic blocks.
///
/// The engine (``VersioningEngine``, ``Introspector``, the integrity and drift checks) talks to
/// a dialect only through this protocol; one implementation per database lives under
/// `Dialects/<Database>/`. What a version row holds is not the dialect's business: it renders
/// ``VersionRowLayout``, the one description of the version table's columns and of the values
/// each event writes. See the `ExtendingTheEngine` article.
///
/// Members that only read or run SQL on a connection are `static` (they need no configuration);
/// the generators are instance members, configured with the shared tables' names and the
/// schema holding the versioned table.
protocol Dialect: Sendable {
    var configuration: VersioningConfiguration { get }

    // MARK: Introspection

    /// The schema new objects go to (PostgreSQL's `current_schema()`); `nil` where there are none.
    static func currentSchema(on database: any SQLDatabase) async throws -> String?
    /// Whether a table named `table` exists: one catalog probe.
    static func tableExists(_ table: String, on database: any SQLDatabase) async throws -> Bool
    /// Describes `table`, or returns `nil` when it does not exist.
    static func describe(_ table: String, on database: any SQLDatabase) async throws -> TableDescription?
    /// What `name` is when it exists but is not a plain table ("view", ...); `nil` otherwise.
    static func unsupportedRelationKind(_ name: String, on database: any SQLDatabase) async throws -> String?
    /// The tables `table`'s foreign keys reference (transaction revert orders tables by them).
    static func referencedTables(_ table: String, on database: any SQLDatabase) async throws -> Set<String>
    /// Whether a failed statement aborts the transaction it runs in (PostgreSQL): then the
    /// engine probes before a read that may fail, instead of reading first.
    static var failedStatementAbortsTransaction: Bool { get }
    /// Names of the triggers on `table`, excluding the database's internal ones.
    static func triggers(on table: String, in database: any SQLDatabase) async throws -> Set<String>

    // MARK: Atomic blocks

    /// Opens an atomic block on `connection`: returns the statements that commit and roll it back.
    static func beginAtomic(on connection: any SQLDatabase) async throws -> (commit: [String], rollback: [String])

    // MARK: Shared schema

    /// The statements of ``VersioningEngine/install(on:)``: shared tables, indexes, functions.
    func sharedSchema() -> [String]
    /// The shared functions, replaced by `sync` so that a database installed by an older version
    /// gets the current ones; empty where there are none.
    func sharedFunctions() -> [String]
    /// The statements that replace a versioned table's trigger functions (not its triggers),
    /// for ``VersioningEngine/install(on:)``: they embed the configuration's rule for actor
    /// claims. Empty where the triggers embed no configuration (SQLite).
    func triggerFunctions(_ plan: VersioningPlan) -> [String]
    /// Columns the engine needs on a `transaction` table created by someone else.
    func missingTransactionColumns(existing: Set<String>) -> [String]

    // MARK: Version table

    /// A name of the versioned table's schema, quoted (and qualified, where there are schemas).
    func qualified(_ name: String) -> String
    /// The SQL type of a `transaction_id` column.
    var transactionIDType: String { get }
    /// A boolean literal.
    func boolean(_ value: Bool) -> String
    /// Refuses a plan the database could not hold (name or column-count limits).
    func validate(_ plan: VersioningPlan) throws
    /// The version table's secondary indexes.
    func indexes(_ plan: VersioningPlan) -> [String]
    /// Gives a version column the live column's type, converting its history; `nil` where
    /// columns take any value.
    func alterVersionColumnType(_ plan: VersioningPlan, _ column: ColumnDescription) -> String?

    // MARK: Triggers

    /// The triggers (and functions) that write `plan`'s history, replacing any older ones.
    func createTriggers(_ plan: VersioningPlan) -> [String]
    /// Drops the triggers of `plan` and whatever they alone use.
    func dropTriggers(_ plan: VersioningPlan) -> [String]
    /// What the triggers leave behind once their table is dropped (PostgreSQL's functions).
    func dropOrphanedObjects(_ plan: VersioningPlan) -> [String]
    /// The triggers a correctly versioned table carries.
    func expectedTriggers(_ plan: VersioningPlan) -> Set<String>
    /// Why the installed `triggers` no longer fit `plan` (generated for another kind of table),
    /// or `nil`.
    func outdatedTriggers(_ plan: VersioningPlan, live: TableDescription, installed triggers: Set<String>) -> String?
    /// Whether version columns must have the live column's type (``DriftReport`` reports any that differ).
    var versionColumnsFollowTypes: Bool { get }

    // MARK: Values

    /// An abstract value of a version row (``VersionRowLayout``) in this dialect's SQL, its
    /// parts read from `sources`.
    func render(_ value: VersionValue, _ sources: VersionRowSources) -> String

    /// Whether the live value `live` equals the version's `version`, compared as the triggers
    /// compare (`storedType` is the version column's type when it differs from the live one's).
    func sameValue(live: String, version: String, _ column: ColumnDescription, liveType: String, storedType: String?) -> String

    // MARK: Scopes

    /// Marks the transaction open on `connection` as a scope with `context`.
    func beginScope(_ context: TransactionContext, _ scope: ScopeState, on connection: any SQLDatabase) async throws
    /// Writes the scope's meta to the transaction rows it created and clears the scope's state.
    func endScope(_ scope: ScopeState, on connection: any SQLDatabase) async throws
    /// Whether `database` is the connection `scope` runs on, inside its transaction.
    static func isScopeConnection(_ scope: ScopeState, _ database: any SQLDatabase) async throws -> Bool
    /// Whether a scope's state outlived it (SQLite's state row left active).
    static func hasStaleScope(on database: any SQLDatabase) async throws -> Bool
}

extension Dialect {
    static func hasStaleScope(on database: any SQLDatabase) async throws -> Bool { false }
    func sharedFunctions() -> [String] { [] }
    func triggerFunctions(_ plan: VersioningPlan) -> [String] { [] }
    func missingTransactionColumns(existing: Set<String>) -> [String] { [] }
    func alterVersionColumnType(_ plan: VersioningPlan, _ column: ColumnDescription) -> String? { nil }
    func dropOrphanedObjects(_ plan: VersioningPlan) -> [String] { [] }
    func outdatedTriggers(_ plan: VersioningPlan, live: TableDescription, installed triggers: Set<String>) -> String? { nil }
    var versionColumnsFollowTypes: Bool { false }

    // MARK: Version table, from the layout

    /// The type and constraints of a version column (after its name), as ``VersionColumn/Kind`` says.
    func definition(of column: VersionColumn) -> String {
        switch column.kind {
        case .live(let live):
            [live.type.isEmpty ? nil : live.type, live.isPrimaryKey ? "NOT NULL" : nil].compactMap { $0 }.joined(separator: " ")
        case .transactionID: "\(self.transactionIDType) NOT NULL"
        case .endTransactionID: self.transactionIDType
        case .operation: "SMALLINT NOT NULL"
        case .modifiedFlag: "BOOLEAN NOT NULL DEFAULT \(self.boolean(false))"
        case .smallInt: "SMALLINT"
        }
    }

    /// `CREATE TABLE` of the version table (every column of ``VersionRowLayout``), then its indexes.
    func createVersionTable(_ plan: VersioningPlan) -> [String] {
        let layout = VersionRowLayout(plan)
        let definitions =
            layout.columns.map { column in
                let definition = self.definition(of: column)
                return SQLText.identifier(column.name) + (definition.isEmpty ? "" : " " + definition)
            } + ["PRIMARY KEY (\(layout.conflictTarget))"]
        return ["CREATE TABLE \(self.qualified(plan.versionTable)) (\(definitions.joined(separator: ", ")))"] + self.indexes(plan)
    }

    /// `ADD COLUMN` for every column of ``VersionRowLayout`` that `versionTable` lacks: the
    /// versioned columns a migration added, their `_mod` flags, and any column a newer layout has.
    func addMissingColumns(_ plan: VersioningPlan, to versionTable: TableDescription) -> [String] {
        VersionRowLayout(plan).columns.filter { versionTable.column(named: $0.name) == nil }.map { column in
            // Added to a table that has rows: a versioned column takes NULL in the old versions.
            let definition: String = if case .live(let live) = column.kind { live.type } else { self.definition(of: column) }
            return "ALTER TABLE \(self.qualified(plan.versionTable)) ADD COLUMN \(SQLText.identifier(column.name))"
                + (definition.isEmpty ? "" : " " + definition)
        }
    }

    func renameVersionColumn(_ plan: VersioningPlan, from old: String, to new: String) -> String {
        "ALTER TABLE \(self.qualified(plan.versionTable)) RENAME COLUMN \(SQLText.identifier(old)) TO \(SQLText.identifier(new))"
    }

    func dropVersionTable(_ plan: VersioningPlan) -> String {
        "DROP TABLE IF EXISTS \(self.qualified(plan.versionTable))"
    }
}

extension SQLDialectKind {
    /// The implementation of this dialect, configured with the shared tables' names and, on
    /// PostgreSQL, the schema holding the versioned table (`public` when `nil`).
    func dialect(_ configuration: VersioningConfiguration, schema: String? = nil) -> any Dialect {
        switch self {
        case .sqlite: SQLiteDialect(configuration: configuration)
        case .postgresql: PostgreSQLDialect(configuration: configuration, schema: schema ?? "public")
        }
    }

    /// The implementation's type, for the members that need no configuration.
    var dialectType: any Dialect.Type {
        switch self {
        case .sqlite: SQLiteDialect.self
        case .postgresql: PostgreSQLDialect.self
        }
    }
}

extension Dialect {
    /// Writes the scope's meta on transaction `id` (a query naming it, `NULL` when the scope
    /// created none), through the caller's rights.
    func insertMeta(_ scope: ScopeState, into table: SQLQueryString, transaction id: SQLQueryString, on connection: any SQLDatabase) async throws {
        let meta = scope.meta.sorted { $0.key < $1.key }
        guard !meta.isEmpty else { return }
        var rows: SQLQueryString = ""
        for (index, entry) in meta.enumerated() {
            rows = rows + (index == 0 ? "" : " UNION ALL ") + "SELECT \(bind: entry.key) AS \"k\", \(bind: entry.value) AS \"v\""
        }
        try await connection.raw(
            """
            INSERT INTO \(table) ("transaction_id", "key", "value")
            SELECT t."id", m."k", m."v" FROM (SELECT \(id) AS "id") AS t, (\(rows)) AS m
            WHERE t."id" IS NOT NULL
            ON CONFLICT ("transaction_id", "key") DO UPDATE SET "value" = excluded."value"
            """
        ).run()
    }
}
