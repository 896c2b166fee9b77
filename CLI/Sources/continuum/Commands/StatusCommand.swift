import ArgumentParser
import ContinuumSQL
import Foundation
import SQLKit

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List the versioned tables with their version counts and drift, and the command that fixes each problem.",
        discussion: """
            Exits with 1 when a table has drifted from its versioning (a migration ran without \
            `continuum sync`) or the database has no shared schema.

            Example:
              continuum --database sqlite:app.sqlite status
              continuum --database sqlite:app.sqlite status --json
            """
    )

    @OptionGroup var connection: DatabaseOptions
    @OptionGroup var output: OutputOptions

    struct TableStatus: Encodable {
        var table: String
        var versionTable: String
        var entityName: String
        var versions: Int?
        var excludedColumns: [String]
        var tracksModifiedColumns: Bool
        /// SQLite: writes outside a scope are refused.
        var requiresScope: Bool
        /// PostgreSQL: `per-statement` or `per-row`, as installed (partitioned and inherited
        /// tables get `per-row` whatever their options ask); `nil` on SQLite.
        var updateTrigger: String?
        var drift: [String]
        var fix: String?

        enum CodingKeys: String, CodingKey {
            case table, versionTable = "version_table", entityName = "entity_name", versions
            case excludedColumns = "excluded_columns", tracksModifiedColumns = "tracks_modified_columns", drift, fix
            case requiresScope = "requires_scope", updateTrigger = "update_trigger"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.table, forKey: .table)
            try container.encode(self.versionTable, forKey: .versionTable)
            try container.encode(self.entityName, forKey: .entityName)
            try container.encode(self.versions, forKey: .versions)
            try container.encode(self.excludedColumns, forKey: .excludedColumns)
            try container.encode(self.tracksModifiedColumns, forKey: .tracksModifiedColumns)
            try container.encode(self.requiresScope, forKey: .requiresScope)
            try container.encode(self.updateTrigger, forKey: .updateTrigger)
            try container.encode(self.drift, forKey: .drift)
            try container.encode(self.fix, forKey: .fix)
        }
    }

    struct Report: Encodable {
        var installed: Bool
        var tables: [TableStatus]
        var problems: Int
    }

    /// How the table's updates are versioned: by its installed `continuum_update` trigger, or by
    /// its options when that trigger is missing (drift reports it); `nil` on SQLite.
    static func updateTrigger(_ table: VersionedTable, _ session: Session) async throws -> String? {
        guard session.dialect == .postgresql else { return nil }
        let quoted = "\"" + table.table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        let row = try await session.sql.raw(
            """
            SELECT (t."tgtype" & 1) = 1 AS "per_row" FROM pg_catalog.pg_trigger AS t
            WHERE t."tgrelid" = CAST(pg_catalog.to_regclass(\(bind: quoted)) AS oid) AND t."tgname" = 'continuum_update'
            """
        ).first()
        let perRow = try row?.decode(column: "per_row", as: Bool.self) ?? (table.options.updateTrigger == .perRow)
        return perRow ? "per-row" : "per-statement"
    }

    func run() async throws {
        let printer = Printer(self.output)
        let report = try await self.connection.withSession { session, _ in
            guard try await session.engine.isInstalled(on: session.sql) else {
                return Report(installed: false, tables: [], problems: 1)
            }
            var tables: [TableStatus] = []
            for versioned in try await session.engine.versionedTables(on: session.sql) {
                let drift = try await session.engine.checkDrift(versioned.table, on: session.sql)
                var versions: Int?
                if drift?.problems.contains(.versionTableMissing) != true {
                    versions = try await session.sql
                        .raw("SELECT COUNT(*) AS \"n\" FROM \(ident: versioned.versionTable)").first()?.decode(column: "n", as: Int.self)
                }
                var fix: String?
                if let drift {
                    if drift.problems.contains(.tableMissing) {
                        fix = "continuum disable \(versioned.table)"
                    } else if drift.problems.contains(.versionTableMissing) {
                        fix = "continuum disable \(versioned.table) && continuum enable \(versioned.table)"
                    } else {
                        fix = "continuum sync \(versioned.table)"
                    }
                }
                tables.append(
                    TableStatus(
                        table: versioned.table, versionTable: versioned.versionTable, entityName: versioned.entityName, versions: versions,
                        excludedColumns: versioned.options.excludedColumns.sorted(), tracksModifiedColumns: versioned.options.tracksModifiedColumns,
                        requiresScope: versioned.options.requiresScope,
                        updateTrigger: try await Self.updateTrigger(versioned, session),
                        drift: drift?.problems.map(\.description) ?? [], fix: fix
                    ))
            }
            return Report(installed: true, tables: tables, problems: tables.filter { $0.fix != nil }.count)
        }
        if self.output.json {
            try JSONOutput.print(report)
        } else if !report.installed {
            printer.line("no versioning schema in this database: run `continuum init`, then `continuum enable TABLE`")
        } else if report.tables.isEmpty {
            printer.line("no table is versioned yet: run `continuum enable TABLE`")
        } else {
            let style = printer.style
            printer.table(
                ["table", "version table", "entity", "versions", "options", "state"],
                report.tables.map { table in
                    var options: [String] = []
                    if !table.excludedColumns.isEmpty { options.append("excludes \(table.excludedColumns.joined(separator: ","))") }
                    if table.tracksModifiedColumns { options.append("tracks modified") }
                    if table.requiresScope { options.append("requires scope") }
                    if table.updateTrigger == "per-row" { options.append("per-row updates") }
                    return [
                        table.table, table.versionTable, table.entityName, table.versions.map(String.init) ?? "-",
                        options.isEmpty ? "-" : options.joined(separator: "; "),
                        table.fix == nil ? style.green("ok") : style.red("drifted"),
                    ]
                }
            )
            for table in report.tables where table.fix != nil {
                printer.line()
                printer.line("\(style.bold(table.table)): \(table.drift.joined(separator: "; "))")
                printer.line("  fix: \(table.fix!)")
            }
        }
        if report.problems > 0 { throw ExitCode(ExitStatus.problems) }
    }
}
