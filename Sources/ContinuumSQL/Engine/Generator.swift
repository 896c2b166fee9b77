/// Dispatches to the generator of a dialect.
enum Generator: Sendable {
    case sqlite(SQLiteGenerator)
    case postgresql(PostgreSQLGenerator)

    init(_ dialect: SQLDialectKind, configuration: VersioningConfiguration, schema: String?) {
        switch dialect {
        case .sqlite: self = .sqlite(.init(configuration: configuration))
        case .postgresql: self = .postgresql(.init(configuration: configuration, schema: schema ?? "public"))
        }
    }

    func sharedSchema() -> [String] {
        switch self {
        case .sqlite(let g): g.sharedSchema()
        case .postgresql(let g): g.sharedSchema()
        }
    }

    /// Refuses a plan the database could not hold: a derived name PostgreSQL would cut to 63
    /// bytes (the version table's, a `_mod` column's: cutting would break SQLAlchemy-Continuum's
    /// naming and can collide with another table), or more version-table columns than the
    /// database allows (PostgreSQL 1,600; SQLite 2,000).
    func validate(_ plan: VersioningPlan) throws {
        let table = plan.table.name
        let columnCount = plan.columns.count + 3 + plan.modColumns.count
        switch self {
        case .postgresql:
            if plan.versionTable.utf8.count > SQLText.postgresNameLimit {
                throw ContinuumError.versionTableNameTooLong(table: table, versionTable: plan.versionTable)
            }
            if let long = plan.modColumns.first(where: { $0.utf8.count > SQLText.postgresNameLimit }) {
                throw ContinuumError.modifiedFlagNameTooLong(table: table, column: String(long.dropLast(VersioningPlan.modSuffix.count)))
            }
            if columnCount > 1600 {
                throw ContinuumError.tooManyColumns(table: table, columns: columnCount, limit: 1600)
            }
        case .sqlite:
            if columnCount > 2000 {
                throw ContinuumError.tooManyColumns(table: table, columns: columnCount, limit: 2000)
            }
        }
    }

    /// The shared functions, replaced by `sync` so that a database installed by an older
    /// version gets the current ones (PostgreSQL only).
    func sharedFunctions() -> [String] {
        switch self {
        case .sqlite: []
        case .postgresql(let g): g.sharedFunctions()
        }
    }

    func createVersionTable(_ plan: VersioningPlan) -> [String] {
        switch self {
        case .sqlite(let g): g.createVersionTable(plan)
        case .postgresql(let g): g.createVersionTable(plan)
        }
    }

    func indexes(_ plan: VersioningPlan) -> [String] {
        switch self {
        case .sqlite(let g): g.indexes(plan)
        case .postgresql(let g): g.indexes(plan)
        }
    }

    func addVersionColumn(_ plan: VersioningPlan, _ column: ColumnDescription) -> [String] {
        switch self {
        case .sqlite(let g): g.addVersionColumn(plan, column)
        case .postgresql(let g): g.addVersionColumn(plan, column)
        }
    }

    func addModColumn(_ plan: VersioningPlan, _ column: ColumnDescription) -> String {
        switch self {
        case .sqlite(let g): g.addModColumn(plan, column)
        case .postgresql(let g): g.addModColumn(plan, column)
        }
    }

    /// PostgreSQL: gives a version column the live column's type (after a migration widened
    /// it, say), converting the history it holds; `nil` on SQLite, whose columns take any value.
    func alterVersionColumnType(_ plan: VersioningPlan, _ column: ColumnDescription) -> String? {
        switch self {
        case .sqlite: nil
        case .postgresql(let g): g.alterVersionColumnType(plan, column)
        }
    }

    func renameVersionColumn(_ plan: VersioningPlan, from old: String, to new: String) -> String {
        switch self {
        case .sqlite(let g): g.renameVersionColumn(plan, from: old, to: new)
        case .postgresql(let g): g.renameVersionColumn(plan, from: old, to: new)
        }
    }

    func createTriggers(_ plan: VersioningPlan) -> [String] {
        switch self {
        case .sqlite(let g): g.dropTriggers(plan) + g.createTriggers(plan)
        case .postgresql(let g): g.createTriggers(plan)
        }
    }

    func dropTriggers(_ plan: VersioningPlan) -> [String] {
        switch self {
        case .sqlite(let g): g.dropTriggers(plan)
        case .postgresql(let g): g.dropTriggers(plan)
        }
    }

    /// The triggers a correctly versioned table carries.
    func expectedTriggers(_ plan: VersioningPlan) -> Set<String> {
        switch self {
        case .sqlite(let g):
            let names = g.triggerNames(plan)
            // The in-place update trigger exists only when the table has non-key columns.
            return Set(plan.modifiableColumns.isEmpty ? [names[0], names[2], names[3]] : names)
        case .postgresql:
            return PostgreSQLGenerator.triggerNames(plan)
        }
    }
}
