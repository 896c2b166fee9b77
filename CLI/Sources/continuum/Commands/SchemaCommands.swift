import ArgumentParser
import ContinuumSQL
import Foundation
import SQLKit

/// Runs `body` and turns engine errors into command-line advice naming `tables`.
func explained<R>(_ tables: [String], _ body: () async throws -> R) async throws -> R {
    do {
        return try await body()
    } catch let error as ContinuumError {
        throw CLIError.from(error, tables: tables)
    }
}

/// Counts the rows of `table` for a progress bar's total (only when a bar is drawn).
func rowCount(_ table: String, in session: Session, options: OutputOptions) async throws -> Int? {
    guard ProgressBar.shows(json: options.json, quiet: options.quiet) else { return nil }
    return try await session.sql.raw("SELECT COUNT(*) AS \"n\" FROM \(ident: table)").first()?.decode(column: "n", as: Int.self)
}

/// A box for the last progress a callback reported.
final class LastProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var value: BackfillProgress?
    func set(_ progress: BackfillProgress) { self.lock.withLock { self.value = progress } }
    var latest: BackfillProgress? { self.lock.withLock { self.value } }
}

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the shared schema: the transaction log and the registry of versioned tables.",
        discussion: """
            Idempotent. A transaction table made by SQLAlchemy-Continuum is kept. On SQLite a \
            missing file is created.

            Example:
              continuum --database sqlite:app.sqlite init
            """
    )

    @OptionGroup var connection: DatabaseOptions

    func run() async throws {
        try await self.connection.withSession(creating: true) { session, _ in
            let existed = try await session.engine.isInstalled(on: session.sql)
            try await explained([]) { try await session.engine.install(on: session.sql) }
            let configuration = session.engine.configuration
            // PostgreSQL: history lives in one schema; say which.
            let place = self.connection.schema.map { "\(session.url.display) (schema \"\($0)\")" } ?? session.url.display
            Terminal.out(
                existed
                    ? "the shared schema is already installed in \(place)\n"
                    : "installed the shared schema in \(place): \(configuration.transactionTable), \(configuration.transactionChangesTable), \(configuration.transactionMetaTable), _continuum_tables\n"
            )
        }
    }
}

struct EnableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable",
        abstract: "Start versioning tables: version table, triggers, and a version for every row already there.",
        discussion: """
            Each table is enabled in one transaction of its own; the rows it already holds get an \
            INSERT version (in one recorded transaction, batched) unless --no-backfill. A version \
            table left by SQLAlchemy-Continuum or an earlier `disable` is adopted.

            Example:
              continuum --database sqlite:app.sqlite enable article tag --exclude views --track-modified
              continuum --database postgres://app@db/flask enable article --entity-name Article
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Argument(help: "The tables to version (SCHEMA.TABLE on PostgreSQL for another schema).")
    var tables: [String]

    @Option(name: .customLong("exclude"), help: ArgumentHelp("A column to leave out of history (repeatable); every table named must have it.", valueName: "column"))
    var excluded: [String] = []

    @Flag(help: "Record which columns each version changed (<column>_mod flags, SQLAlchemy-Continuum's PropertyModTrackerPlugin).")
    var trackModified = false

    @Flag(help: "Do not version the rows already in the table (run `continuum backfill` later).")
    var noBackfill = false

    @Option(
        help: ArgumentHelp(
            "The entity name recorded in transaction_changes (default: the table's name). On a database SQLAlchemy-Continuum versions, give its model class name (Article) so that both record the same; one table only.",
            valueName: "name"))
    var entityName: String?

    @Option(
        help: ArgumentHelp(
            "PostgreSQL: version updates per-statement (default; a bulk UPDATE pays no per-row call) or per-row (cheaper for one row at a time and for updates that change nothing, dearer in bulk).",
            valueName: "per-statement|per-row"))
    var updateTrigger: TableVersioningOptions.UpdateTrigger = .perStatement

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if self.tables.isEmpty { throw ValidationError("name at least one table to enable") }
        if self.entityName != nil, self.tables.count > 1 { throw ValidationError("--entity-name names the entity of one table: enable the tables one at a time") }
        if let name = self.entityName, name.isEmpty { throw ValidationError("--entity-name must not be empty") }
    }

    func run() async throws {
        try await self.connection.withSession(tables: self.tables) { session, tables in
            for table in tables {
                var total: Int?
                if !self.noBackfill { total = try await explained([table]) { try await rowCount(table, in: session, options: self.output) } }
                let bar = ProgressBar("backfilling \(table)", total: total, enabled: ProgressBar.shows(json: false, quiet: self.output.quiet))
                let last = LastProgress()
                let options = TableVersioningOptions(
                    excludedColumns: Set(self.excluded), tracksModifiedColumns: self.trackModified, entityName: self.entityName,
                    updateTrigger: self.updateTrigger)
                try await explained([table]) {
                    try await session.engine.enable(table, options: options, backfill: !self.noBackfill, on: session.sql) { progress in
                        last.set(progress)
                        bar.update(progress.rowsScanned)
                    }
                }
                if let progress = last.latest { bar.finish(progress.rowsScanned) }
                let versioned = try await session.engine.versionedTable(table, on: session.sql)
                var text = "enabled \(table) (history in \(versioned.versionTable))"
                if let progress = last.latest, progress.versionsWritten > 0 {
                    text += ": \(progress.versionsWritten) existing rows versioned in transaction \(progress.transactionID.map(String.init) ?? "-")"
                } else if self.noBackfill {
                    text += ": existing rows not versioned (run `continuum backfill \(table)`)"
                }
                Terminal.out(text + "\n")
            }
        }
    }
}

struct DisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Stop versioning a table: drop its triggers (history is kept unless --drop-history).",
        discussion: """
            The version table stays, readable with SQL, and a later `enable` adopts it and \
            continues each row's history. --drop-history deletes it for good.

            Example:
              continuum --database sqlite:app.sqlite disable tag
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Argument(help: "The table.")
    var table: String

    @Flag(help: "Also drop the version table, deleting the table's history.")
    var dropHistory = false

    func run() async throws {
        try await self.connection.withSession(tables: [self.table]) { session, tables in
            let table = tables[0]
            let versioned = try await explained([table]) { try await session.engine.versionedTable(table, on: session.sql) }
            try await explained([table]) { try await session.engine.disable(table, keepHistory: !self.dropHistory, on: session.sql) }
            Terminal.out(
                self.dropHistory
                    ? "disabled \(table) and dropped its history (\(versioned.versionTable))\n"
                    : "disabled \(table); its history stays in \(versioned.versionTable)\n"
            )
        }
    }
}

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Bring versioning up to date after a migration changed a table.",
        discussion: """
            New columns are added to the version table, dropped ones stay as history, renamed \
            ones keep their history under the new name when given with --rename; the triggers \
            are regenerated. One transaction.

            Example:
              continuum --database sqlite:app.sqlite sync article --rename title=name
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Argument(help: "The table.")
    var table: String

    @Option(name: .customLong("rename"), help: ArgumentHelp("A column the migration renamed (repeatable).", valueName: "old=new"))
    var renames: [String] = []

    /// `--rename OLD=NEW` options as a map of old to new column names.
    static func renamedColumns(_ renames: [String]) throws -> [String: String] {
        var renamed: [String: String] = [:]
        for rename in renames {
            let parts = rename.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--rename \(rename): write OLD=NEW, for example --rename title=name")
            }
            renamed[parts[0]] = parts[1]
        }
        return renamed
    }

    func run() async throws {
        let renamed = try Self.renamedColumns(self.renames)
        try await self.connection.withSession(tables: [self.table]) { session, tables in
            let table = tables[0]
            let drift = try await explained([table]) { try await session.engine.checkDrift(table, on: session.sql) }
            try await explained([table]) { try await session.engine.sync(table, renamedColumns: renamed, on: session.sql) }
            Terminal.out(
                drift == nil && renamed.isEmpty
                    ? "synced \(table): versioning already matched the table; triggers regenerated\n"
                    : "synced \(table): versioning matches the table again\n"
            )
        }
    }
}

struct AlterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alter",
        abstract: "Run a migration of a versioned table that its triggers block, then sync.",
        discussion: """
            For the changes a database refuses while the triggers name a column: DROP COLUMN, \
            and on PostgreSQL ALTER COLUMN ... TYPE ("cannot alter type of a column used in a \
            trigger definition"). Drops the table's triggers, runs each --sql statement in order, \
            then syncs (as the sync command does), all in one transaction: a failing statement \
            leaves the table, its triggers and its history as they were. On PostgreSQL a type \
            change that rewrites the text of sealed values is recorded and sealed, so verify \
            stays green. Rows the migration writes are not versioned (the triggers are off): \
            change data after it.

            Example:
              continuum --database postgres://app@db/app alter price --sql 'ALTER TABLE price ALTER COLUMN amount TYPE numeric(12,4)'
              continuum --database sqlite:app.sqlite alter article --sql 'ALTER TABLE article DROP COLUMN legacy'
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Argument(help: "The table.")
    var table: String

    @Option(name: .customLong("sql"), help: ArgumentHelp("A statement of the migration (repeatable, run in order).", valueName: "statement"))
    var statements: [String] = []

    @Option(name: .customLong("rename"), help: ArgumentHelp("A column the migration renames (repeatable).", valueName: "old=new"))
    var renames: [String] = []

    func validate() throws {
        guard !self.statements.isEmpty, self.statements.allSatisfy({ !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) else {
            throw ValidationError("give the migration with --sql, for example --sql 'ALTER TABLE \(self.table) DROP COLUMN legacy'")
        }
    }

    func run() async throws {
        let renamed = try SyncCommand.renamedColumns(self.renames)
        let statements = self.statements
        try await self.connection.withSession(tables: [self.table]) { session, tables in
            let table = tables[0]
            do {
                try await explained([table]) {
                    try await session.engine.alter(table, renamedColumns: renamed, on: session.sql) { sql in
                        for statement in statements { try await sql.raw(SQLQueryString(statement)).run() }
                    }
                }
            } catch let error where !(error is CLIError) {
                let message = ContinuumCommand.describe(error)
                throw CLIError(message.hasSuffix("nothing was changed") ? message : "\(message); nothing was changed (the migration runs in one transaction)")
            }
            Terminal.out("altered \(table): \(statements.count) statement(s) run, versioning matches the table again\n")
        }
    }
}

struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Write an INSERT version for every row of a versioned table that has none.",
        discussion: """
            For tables enabled with --no-backfill, or before backfill existed. Batched (each \
            batch commits on its own, memory stays bounded) and resumable: run it again after an \
            interruption. The versions share one transaction whose meta has continuum.backfill.

            Example:
              continuum --database postgres://app@db/app backfill article
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Argument(help: "The table.")
    var table: String

    @Option(help: "Rows per batch.")
    var batchSize = VersioningEngine.defaultBackfillBatchSize

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if self.batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() async throws {
        try await self.connection.withSession(tables: [self.table]) { session, tables in
            let table = tables[0]
            _ = try await explained([table]) { try await session.engine.versionedTable(table, on: session.sql) }
            let total = try await rowCount(table, in: session, options: self.output)
            let bar = ProgressBar("backfilling \(table)", total: total, enabled: ProgressBar.shows(json: false, quiet: self.output.quiet))
            let result = try await explained([table]) {
                try await session.engine.backfill(table, batchSize: self.batchSize, on: session.sql) { progress in
                    bar.update(progress.rowsScanned)
                }
            }
            bar.finish(result.rowsScanned)
            if let transaction = result.transactionID, result.versionsWritten > 0 {
                Terminal.out("backfilled \(table): \(result.versionsWritten) of \(result.rowsScanned) rows had no version; versioned in transaction \(transaction)\n")
            } else {
                Terminal.out("backfilled \(table): all \(result.rowsScanned) rows already had a version; nothing written\n")
            }
        }
    }
}

extension TableVersioningOptions.UpdateTrigger: @retroactive ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "per-statement": self = .perStatement
        case "per-row": self = .perRow
        default: return nil
        }
    }

    public var defaultValueDescription: String { self == .perRow ? "per-row" : "per-statement" }
    public static var allValueStrings: [String] { ["per-statement", "per-row"] }
}
