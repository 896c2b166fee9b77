/// Everything the generators need to know about one versioned table.
struct VersioningPlan: Sendable, Hashable {
    var table: TableDescription
    var versionTable: String
    /// The versioned columns: the live columns minus the excluded ones, in table order.
    var columns: [ColumnDescription]
    var tracksModifiedColumns: Bool
    var entityName: String
    var requiresScope: Bool
    var updateTrigger: TableVersioningOptions.UpdateTrigger
    var configuration: VersioningConfiguration
    /// SQLite: whether the version table has a rowid, by which the triggers find the one
    /// version row they update. An adopted `WITHOUT ROWID` table has none: the triggers then
    /// find it by its key (slower: SQLite copies the row to a temporary table first).
    var versionTableHasRowid = true

    static let transactionColumn = "transaction_id"
    static let endTransactionColumn = "end_transaction_id"
    static let operationColumn = "operation_type"
    static let modSuffix = "_mod"

    init(table: TableDescription, options: TableVersioningOptions, configuration: VersioningConfiguration) throws {
        for column in table.columns { try SQLText.validate(column.name) }
        guard !table.primaryKey.isEmpty else { throw ContinuumError.noPrimaryKey(table: table.name) }
        for name in options.excludedColumns.sorted() {
            guard let column = table.column(named: name) else { throw ContinuumError.unknownColumn(table: table.name, column: name) }
            if column.isPrimaryKey {
                throw ContinuumError.primaryKeyExcluded(table: table.name, column: name)
            }
        }
        let versionTable = options.versionTableName ?? table.name + "_version"
        try SQLText.validate(versionTable)
        if versionTable == table.name {
            throw ContinuumError.versionTableSameAsTable(table.name)
        }
        let entityName = options.entityName ?? table.name
        if entityName.isEmpty || entityName.utf8.count > 255 {
            throw ContinuumError.invalidEntityName(table: table.name)
        }
        self.table = table
        self.versionTable = versionTable
        self.columns = table.columns.filter { !options.excludedColumns.contains($0.name) }
        self.tracksModifiedColumns = options.tracksModifiedColumns
        self.entityName = entityName
        self.requiresScope = options.requiresScope
        self.updateTrigger = options.updateTrigger
        self.configuration = configuration

        // Every column the version row layout adds to the versioned ones: bookkeeping, `_mod` flags.
        let reserved = Set(VersionRowLayout(self).columns.filter { if case .live = $0.kind { false } else { true } }.map(\.name))
        for column in self.columns where reserved.contains(column.name) {
            throw ContinuumError.versionTableConflict(table: table.name, versionTable: versionTable, column: column.name)
        }
    }

    var primaryKey: [ColumnDescription] { self.table.primaryKey }

    /// PostgreSQL: the most versioned columns a table's updates are versioned per statement
    /// for. The statement-level function joins old rows, new rows and the live table, whose
    /// columns together must stay within PostgreSQL's 1,664 entries per query; a wider table
    /// gets the row-level update trigger, which has no such limit.
    static let statementUpdateColumnLimit = 500

    /// PostgreSQL: whether updates are versioned by the statement-level trigger: a plain table
    /// (``TableDescription/versionsUpdatesPerStatement``) of at most ``statementUpdateColumnLimit``
    /// versioned columns, unless its options ask for the row-level one.
    var updatesPerStatement: Bool {
        self.table.versionsUpdatesPerStatement && self.columns.count <= Self.statementUpdateColumnLimit
            && self.updateTrigger == .perStatement
    }

    /// Versioned columns outside the primary key: the ones an update can change in place and
    /// the ones that get a `_mod` flag.
    var modifiableColumns: [ColumnDescription] { self.columns.filter { !$0.isPrimaryKey } }

    /// The `_mod` columns, empty when tracking is off.
    var modColumns: [String] { self.tracksModifiedColumns ? self.modifiableColumns.map(\.modColumn) : [] }

    /// `"k1" = <ref>."k1" AND ...` over the primary key, optionally qualifying the left side.
    /// With `dialect` (SQL the engine sends itself, under the caller's search path) every
    /// operator is named with its schema on PostgreSQL.
    func keyMatch(_ reference: String, alias: String? = nil, dialect: SQLDialectKind? = nil) -> String {
        self.primaryKey.map { column in
            let left = alias.map { "\($0).\(SQLText.identifier(column.name))" } ?? SQLText.identifier(column.name)
            let right = "\(reference).\(SQLText.identifier(column.name))"
            return dialect.map { column.equals(left, right, in: $0) } ?? column.equals(left, right)
        }.joined(separator: " AND ")
    }

    /// `op` for comparing the whole key as a row (`(k1, k2) > (...)`): on PostgreSQL named with
    /// the schema of the key's operators when they all live in one (`pg_catalog` for most
    /// types), plain when a key mixes schemas.
    func keyRowOperator(_ op: String, dialect: SQLDialectKind) -> String {
        let schemas = Set(self.primaryKey.map { $0.equalityOperatorSchema ?? "pg_catalog" })
        guard schemas.count == 1 else { return op }
        return dialect.named(op, schema: schemas.first)
    }

    /// The key columns, quoted and comma-separated.
    var keyList: String { self.primaryKey.map { SQLText.identifier($0.name) }.joined(separator: ", ") }

    /// The version table's secondary indexes as (name suffix, column list, partial-index
    /// condition). The primary key `(key, transaction_id)` already serves every per-entity
    /// read, so by default there are two more: `transaction_id`, for reading a transaction's
    /// changes, and a partial index on open versions, which keeps closing the previous version
    /// one probe however long the entity's history and whatever the planner's statistics. Each
    /// index costs every versioned write, so SQLAlchemy-Continuum's other four are created only
    /// on request (``VersioningConfiguration/createsContinuumIndexes``).
    var indexDefinitions: [(suffix: String, columns: String, condition: String?)] {
        var indexes: [(suffix: String, columns: String, condition: String?)] = [("transaction_id", "\"transaction_id\"", nil)]
        if self.configuration.createsContinuumIndexes {
            indexes += [
                ("end_transaction_id", "\"end_transaction_id\"", nil),
                ("operation_type", "\"operation_type\"", nil),
                ("pk_transaction_id", "\(self.keyList), \"transaction_id\" DESC", nil),
                ("pk_validity", "\(self.keyList), \"transaction_id\", \"end_transaction_id\"", nil),
            ]
        }
        indexes.append(("open", self.keyList, "\"end_transaction_id\" IS NULL"))
        return indexes
    }

    /// `CREATE INDEX` statements for the version table, `table` being its (qualified) quoted name.
    func createIndexes(on table: String, name: (String) -> String) -> [String] {
        self.indexDefinitions.map { index in
            "CREATE INDEX IF NOT EXISTS \(SQLText.identifier(name("ix_\(self.versionTable)_\(index.suffix)"))) ON \(table) (\(index.columns))"
                + (index.condition.map { " WHERE \($0)" } ?? "")
        }
    }

    /// The options that produced this plan, as the registry stores them.
    var options: TableVersioningOptions {
        TableVersioningOptions(
            excludedColumns: Set(self.table.columns.map(\.name)).subtracting(self.columns.map(\.name)),
            versionTableName: self.versionTable,
            tracksModifiedColumns: self.tracksModifiedColumns,
            entityName: self.entityName,
            requiresScope: self.requiresScope,
            updateTrigger: self.updateTrigger
        )
    }
}

extension ColumnDescription {
    var modColumn: String { self.name + VersioningPlan.modSuffix }
}
