import SQLKit

/// How a versioned table no longer matches its version table or triggers, and the call that
/// repairs it.
public struct DriftReport: Sendable, Hashable, CustomStringConvertible {
    /// One mismatch.
    public enum Problem: Sendable, Hashable, CustomStringConvertible {
        /// The live table is gone.
        case tableMissing
        /// The version table is gone.
        case versionTableMissing
        /// Triggers that should be on the table are not (a table rebuilt by a migration loses them).
        case triggersMissing([String])
        /// Columns the table gained that history does not capture yet.
        case columnsAdded([String])
        /// Columns the triggers still copy but the table no longer has: writes fail until sync.
        case columnsDropped([String])
        /// Columns whose type or key membership changed since the triggers were generated.
        /// `sync` regenerates the triggers; it does not change the version table's column type,
        /// which keeps old values as they were stored.
        case columnsChanged([String])
        /// Versioned columns missing from the version table.
        case versionColumnsMissing([String])
        /// The triggers were generated for another kind of table. PostgreSQL: the table joined a
        /// partitioning or inheritance tree after it was versioned, so its statement-level update
        /// trigger misses rows reached through the parent (or sees a child's rows): `sync`
        /// replaces it with the row-level trigger.
        case triggersOutdated(String)

        public var description: String {
            func list(_ names: [String]) -> String { names.map { "\"\($0)\"" }.joined(separator: ", ") }
            return switch self {
            case .tableMissing: "the table no longer exists"
            case .versionTableMissing: "the version table no longer exists"
            case .triggersMissing(let names): "triggers missing: \(list(names))"
            case .columnsAdded(let names): "columns not versioned yet: \(list(names))"
            case .columnsDropped(let names): "columns dropped from the table but still copied by the triggers: \(list(names))"
            case .columnsChanged(let names): "columns changed type or key membership: \(list(names))"
            case .versionColumnsMissing(let names): "columns missing from the version table: \(list(names))"
            case .triggersOutdated(let reason): "triggers outdated: \(reason)"
            }
        }
    }

    /// The live table.
    public var table: String
    /// What no longer matches.
    public var problems: [Problem]
    /// The engine call that repairs it.
    public var fix: String

    public var description: String {
        "versioning of table \"\(self.table)\" has drifted: \(self.problems.map(\.description).joined(separator: "; ")). Fix: \(self.fix)"
    }
}

extension VersioningEngine {
    /// Reports every versioned table whose triggers or version table no longer match it.
    /// An empty result means history is being captured as configured.
    public func checkDrift(on database: any SQLDatabase) async throws -> [DriftReport] {
        var reports: [DriftReport] = []
        for table in try await self.versionedTables(on: database) {
            if let report = try await self.checkDrift(table.table, on: database) { reports.append(report) }
        }
        return reports
    }

    /// Reports how `table` drifted from its versioning, or `nil` when it matches.
    ///
    /// - Throws: ``ContinuumError/tableNotVersioned(_:)``.
    public func checkDrift(_ table: String, on database: any SQLDatabase) async throws -> DriftReport? {
        let entry = try await RegistryEntry.require(table, from: database)
        let introspector = try Introspector(database)
        let quotedTable = "\"\(table.replacingOccurrences(of: "\"", with: "\\\""))\""
        guard let live = try await introspector.describe(table) else {
            return DriftReport(table: table, problems: [.tableMissing], fix: "try await engine.disable(\(quotedTable), on: db)")
        }
        guard let versionTable = try await introspector.describe(entry.versionTable) else {
            return DriftReport(
                table: table, problems: [.versionTableMissing],
                fix: "try await engine.disable(\(quotedTable), on: db), then engine.enable(\(quotedTable), on: db)"
            )
        }
        var problems: [DriftReport.Problem] = []
        var (plan, generator) = try await self.registeredPlan(entry, on: database)
        plan.table.versionsUpdatesPerStatement = live.versionsUpdatesPerStatement
        let triggers = try await introspector.triggers(on: table)
        let missingTriggers = generator.expectedTriggers(plan).subtracting(triggers)
        if !missingTriggers.isEmpty { problems.append(.triggersMissing(missingTriggers.sorted())) }
        if case .postgresql = generator, !live.versionsUpdatesPerStatement, triggers.contains(PostgreSQLGenerator.columnsTrigger) {
            problems.append(.triggersOutdated(
                "the update trigger runs per statement, but the table is now partitioned, a partition or part of an inheritance tree"
            ))
        }

        let recorded = Dictionary(uniqueKeysWithValues: entry.columns.map { ($0.name, $0) })
        let versioned = live.columns.filter { !entry.options.excludedColumns.contains($0.name) }
        let added = versioned.filter { recorded[$0.name] == nil }.map(\.name)
        let dropped = entry.columns.filter { live.column(named: $0.name) == nil }.map(\.name)
        let changed = versioned.compactMap { column -> String? in
            guard let old = recorded[column.name] else { return nil }
            return old.type == column.type && old.primaryKeyPosition == column.primaryKeyPosition ? nil : column.name
        }
        let missingInVersionTable = entry.columns.filter { versionTable.column(named: $0.name) == nil }.map(\.name)
        if !added.isEmpty { problems.append(.columnsAdded(added)) }
        if !dropped.isEmpty { problems.append(.columnsDropped(dropped)) }
        if !changed.isEmpty { problems.append(.columnsChanged(changed)) }
        if !missingInVersionTable.isEmpty { problems.append(.versionColumnsMissing(missingInVersionTable)) }
        guard !problems.isEmpty else { return nil }
        return DriftReport(
            table: table, problems: problems,
            fix: "try await engine.sync(\(quotedTable), on: db) (FluentContinuum: Model.syncVersioning(on: db))"
        )
    }
}
