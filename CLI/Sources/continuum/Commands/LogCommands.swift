import ArgumentParser
import ContinuumSQL
import Foundation
import SQLKit

/// Fails with advice when the database has no shared schema.
func requireInstalled(_ session: Session) async throws {
    guard try await session.engine.isInstalled(on: session.sql) else {
        throw CLIError("this database has no versioning schema: run `continuum init`, then `continuum enable TABLE`")
    }
}

/// `a=1, b=2`, sorted by key.
func metaText(_ meta: [String: String]) -> String {
    meta.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
}

struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "List the transaction log, newest first: who changed what, when.",
        discussion: """
            Dates are UTC unless --local (or written with an offset).

            Example:
              continuum --database sqlite:app.sqlite log --user alice --since 2026-11-01 --table article --limit 10
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Option(help: "Only transactions of this user id.")
    var user: String?

    @Option(help: ArgumentHelp("Only transactions issued at or after this date.", valueName: "date"))
    var since: String?

    @Option(help: ArgumentHelp("Only transactions issued before this date.", valueName: "date"))
    var until: String?

    @Option(help: "Only transactions that changed this versioned table.")
    var table: String?

    @Option(help: "At most this many transactions.")
    var limit = 20

    @Option(help: ArgumentHelp("Only transactions older than this one (to page: the last id shown).", valueName: "transaction"))
    var before: Int?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if self.limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        let since = try self.since.map { try DateArgument.parse($0, local: self.output.local) }
        let until = try self.until.map { try DateArgument.parse($0, local: self.output.local) }
        let records = try await self.connection.withSession(tables: self.table.map { [$0] } ?? []) { session, tables in
            try await requireInstalled(session)
            var entity: String?
            if let table = tables.first {
                entity = try await explained([table]) { try await session.engine.versionedTable(table, on: session.sql) }.entityName
            }
            let filter = TransactionFilter(userID: self.user, entityName: entity, since: since, until: until, before: self.before)
            return try await session.engine.transactions(matching: filter, limit: self.limit, on: session.sql)
        }
        if self.output.json {
            try JSONOutput.print(records.map(TransactionJSON.init))
            return
        }
        let printer = Printer(self.output)
        guard !records.isEmpty else {
            printer.line("no transaction matches")
            return
        }
        printer.table(
            ["id", "issued at", "user", "address", "changed", "meta"],
            records.map { record in
                [
                    printer.style.cyan(String(record.id)), printer.date(record.issuedAt), printer.value(record.userID ?? "-"),
                    record.remoteAddress ?? "-", record.changedEntities.joined(separator: ", "), printer.value(metaText(record.meta)),
                ]
            }
        )
    }
}

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show every change one transaction made, as changesets.",
        discussion: """
            Example:
              continuum --database sqlite:app.sqlite show 3
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Argument(help: "The transaction id (see `continuum log`).")
    var transaction: Int

    @OptionGroup var output: OutputOptions

    struct Shown: Encodable {
        var transaction: TransactionJSON
        var versions: [VersionJSON]
    }

    func run() async throws {
        let (record, changes) = try await self.connection.withSession { session, _ in
            try await requireInstalled(session)
            guard let record = try await session.engine.transaction(id: self.transaction, on: session.sql) else {
                throw CLIError("no transaction \(self.transaction) in the log: list transactions with `continuum log`")
            }
            return (record, try await session.engine.textChanges(inTransaction: self.transaction, on: session.sql))
        }
        if self.output.json {
            try JSONOutput.print(
                Shown(
                    transaction: TransactionJSON(record: record),
                    versions: changes.map { VersionJSON(version: $0.version, changes: ChangeJSON.list(from: $0.previous, to: $0.version)) }
                ))
            return
        }
        let printer = Printer(self.output)
        printer.line(Self.header(record, printer))
        guard !changes.isEmpty else {
            printer.line("no versioned row changed")
            return
        }
        printer.line()
        var rows: [[String]] = []
        for change in changes {
            let columns = ChangeJSON.list(from: change.previous, to: change.version)
            let head = [change.version.table, printer.value(change.version.keyText), printer.style.operation(change.version.operation.description)]
            if columns.isEmpty { rows.append(head + ["-", "", ""]) }
            for (index, column) in columns.enumerated() {
                rows.append((index == 0 ? head : ["", "", ""]) + [column.column, printer.value(column.before), printer.value(column.after)])
            }
        }
        printer.table(["table", "key", "operation", "column", "before", "after"], rows)
    }

    static func header(_ record: TransactionRecord, _ printer: Printer) -> String {
        var text = "\(printer.style.bold("transaction \(record.id)"))  \(printer.date(record.issuedAt))"
        text += "  user \(printer.value(record.userID ?? "-"))"
        if let address = record.remoteAddress { text += "  from \(address)" }
        if !record.meta.isEmpty { text += "\nmeta: \(printer.value(metaText(record.meta)))" }
        return text
    }
}
