/// Names of the shared tables, and whether to create SQLAlchemy-Continuum's optional indexes;
/// chosen once for a database.
///
/// The defaults are SQLAlchemy-Continuum's, so a database versioned by one can be read by the
/// other. Change them only when those names are taken.
public struct VersioningConfiguration: Sendable, Hashable {
    /// The transaction log. Default `transaction`.
    public var transactionTable: String
    /// Which entities changed in each transaction. Default `transaction_changes`.
    public var transactionChangesTable: String
    /// Key/value metadata of each transaction. Default `transaction_meta`.
    public var transactionMetaTable: String
    /// The activity feed (SQLAlchemy-Continuum's ActivityPlugin table). Default `activity`.
    /// See ``VersioningEngine/installActivity(on:)``.
    public var activityTable: String

    /// Whether ``VersioningEngine/install(on:)`` also creates the activity table (as
    /// ``VersioningEngine/installActivity(on:)`` does). Default `false`: the activity feed is
    /// opt-in.
    public var createsActivityTable: Bool

    /// Whether `enable` also creates SQLAlchemy-Continuum's four other version-table indexes
    /// (`end_transaction_id`, `operation_type`, `(key, transaction_id DESC)` and
    /// `(key, transaction_id, end_transaction_id)`). Default `false`: the primary key serves
    /// every per-entity read, and each index costs every versioned write. Neither library
    /// needs them to read the other's history; indexes already present are kept.
    public var createsContinuumIndexes: Bool

    /// PostgreSQL: a role that may read history. `install` grants it `SELECT` on the transaction
    /// log and the registry, `enable` and `sync` on each version table. Writers need nothing on
    /// history (the triggers run as the owner); the role that reads history through the engine
    /// or FluentContinuum (the application's, often) needs this. Default `nil`: no grants.
    public var readerRole: String?

    /// PostgreSQL: the roles whose sessions may claim an actor (`userID`, `remoteAddress` of a
    /// scope). A session of any other role still writes history, recorded under its login role
    /// (`login_role`), but its claims are not recorded. Membership counts. Default `nil`: every
    /// session's claims are recorded. The rule is part of the generated functions: `install`
    /// applies it to the shared functions and to the trigger functions of every table already
    /// versioned, `enable` and `sync` to the table's; use one configuration for all of them.
    public var actorClaimRoles: Set<String>?

    /// PostgreSQL: statements updating at most this many rows run the update function's static
    /// SQL (plans cached by PL/pgSQL); larger ones run it through `EXECUTE`. Read when triggers
    /// are generated; tests bind it to 0 to drive every statement through the `EXECUTE` path.
    /// (A task-local rather than a stored property: the public struct's layout stays as it is.)
    @TaskLocal package static var staticPlanRowLimit = 32

    public init(
        transactionTable: String = "transaction",
        transactionChangesTable: String = "transaction_changes",
        transactionMetaTable: String = "transaction_meta",
        createsContinuumIndexes: Bool = false,
        readerRole: String? = nil,
        actorClaimRoles: Set<String>? = nil,
        activityTable: String = "activity",
        createsActivityTable: Bool = false
    ) {
        self.activityTable = activityTable
        self.createsActivityTable = createsActivityTable
        self.readerRole = readerRole
        self.actorClaimRoles = actorClaimRoles
        self.transactionTable = transactionTable
        self.transactionChangesTable = transactionChangesTable
        self.transactionMetaTable = transactionMetaTable
        self.createsContinuumIndexes = createsContinuumIndexes
    }

    /// Tables and functions the engine owns, with the `_continuum_` prefix.
    package static let registryTable = "_continuum_tables"
    static let stateTable = "_continuum_state"
    static let transactionIDFunction = "_continuum_transaction_id"
    static let renumberFunction = "_continuum_renumber_transaction"
    /// PostgreSQL scope helpers, callable by the application role.
    static let claimFunction = "_continuum_claim"
    static let metaFunction = "_continuum_meta"
    /// PostgreSQL: the current database transaction's id (creating its row), callable by the
    /// application role.
    static let currentTransactionFunction = "_continuum_current_transaction"
    /// PostgreSQL: records an activity, callable by the application role.
    static let activityFunction = "_continuum_record_activity"
    /// PostgreSQL transaction-local settings the scope and the triggers share.
    /// The transaction id cache of triggers generated before format 2 (one for every schema,
    /// which let two versioned schemas in one transaction corrupt each other's history). The
    /// scope still reads it, so a database upgraded but not yet synced keeps its metadata.
    static let legacySettingTransactionID = "continuum.transaction_id"
    static let settingUserID = "continuum.user_id"
    static let settingRemoteAddress = "continuum.remote_addr"

    func validate() throws {
        for name in [self.transactionTable, self.transactionChangesTable, self.transactionMetaTable, self.activityTable] + (self.readerRole.map { [$0] } ?? []) {
            try SQLText.validate(name)
        }
    }
}

/// How one table is versioned. Every field has a default; pass only what differs.
///
/// ```swift
/// try await engine.enable("article", options: .init(excludedColumns: ["views"], tracksModifiedColumns: true), on: db)
/// ```
public struct TableVersioningOptions: Sendable, Hashable, Codable {
    /// Columns left out of history: not copied, and a change to them alone writes no version.
    /// Primary-key columns cannot be excluded.
    public var excludedColumns: Set<String>
    /// The version table's name. Default: the table's name followed by `_version`.
    public var versionTableName: String?
    /// Adds a `<column>_mod` boolean per versioned non-key column, set by the triggers when a
    /// version changed that column (SQLAlchemy-Continuum's PropertyModTrackerPlugin).
    public var tracksModifiedColumns: Bool
    /// The name recorded in `transaction_changes.entity_name`. Default: the table's name
    /// (FluentContinuum passes the model's type name, as Continuum records the class name).
    public var entityName: String?
    /// SQLite only: reject writes to the table made outside a `versioned` scope instead of
    /// giving each changed row a transaction of its own. PostgreSQL groups every transaction
    /// by itself and ignores this flag.
    public var requiresScope: Bool
    /// PostgreSQL only: how the table's updates are versioned. Default
    /// ``UpdateTrigger/perStatement``; SQLite always versions per row.
    public var updateTrigger: UpdateTrigger

    /// PostgreSQL only: which trigger versions a table's updates.
    ///
    /// Measured in server instructions (BENCHMARKS.md, "PostgreSQL write path, format 5"):
    /// against the statement-level trigger, the row-level one costs 11% less versioning work on
    /// a single-row `UPDATE` inside a larger transaction (265k against 299k instructions), 47%
    /// less on an `UPDATE` that changes nothing (41k against 78k), and 2.3 times as much per row
    /// on a bulk `UPDATE` of 10,000 rows (228k against 100k); a bulk `UPDATE` that changes no
    /// versioned value costs it 29k per row against 10k.
    public enum UpdateTrigger: String, Sendable, Hashable, Codable {
        /// One call per statement, over the statement's transition tables: a bulk `UPDATE` pays
        /// no per-row function call. Partitioned tables, partitions, tables in an inheritance
        /// tree and tables of more than 500 versioned columns get ``perRow`` whatever is asked.
        case perStatement
        /// One call per updated row (the function returns at once for a row whose versioned
        /// values did not change): for tables updated a row at a time. A row that
        /// another AFTER ROW trigger changes again within the statement is versioned as that
        /// trigger left it only if the other trigger fires after this one (triggers fire in
        /// name order; this one is `continuum_update`).
        case perRow
    }

    public init(
        excludedColumns: Set<String> = [],
        versionTableName: String? = nil,
        tracksModifiedColumns: Bool = false,
        entityName: String? = nil,
        requiresScope: Bool = false,
        updateTrigger: UpdateTrigger = .perStatement
    ) {
        self.excludedColumns = excludedColumns
        self.versionTableName = versionTableName
        self.tracksModifiedColumns = tracksModifiedColumns
        self.entityName = entityName
        self.requiresScope = requiresScope
        self.updateTrigger = updateTrigger
    }

    private enum CodingKeys: String, CodingKey {
        case excludedColumns, versionTableName, tracksModifiedColumns, entityName, requiresScope, updateTrigger
    }

    /// Options saved by an older version lack the newer fields: they take their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.excludedColumns = try container.decodeIfPresent(Set<String>.self, forKey: .excludedColumns) ?? []
        self.versionTableName = try container.decodeIfPresent(String.self, forKey: .versionTableName)
        self.tracksModifiedColumns = try container.decodeIfPresent(Bool.self, forKey: .tracksModifiedColumns) ?? false
        self.entityName = try container.decodeIfPresent(String.self, forKey: .entityName)
        self.requiresScope = try container.decodeIfPresent(Bool.self, forKey: .requiresScope) ?? false
        self.updateTrigger = try container.decodeIfPresent(UpdateTrigger.self, forKey: .updateTrigger) ?? .perStatement
    }
}
