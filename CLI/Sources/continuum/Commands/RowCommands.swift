import ArgumentParser
import ContinuumSQL
import Foundation
import SQLKit

/// The transactions with these ids, read once each.
func transactionRecords(_ ids: Set<Int>, in session: Session) async throws -> [Int: TransactionRecord] {
    guard let lowest = ids.min(), let highest = ids.max() else { return [:] }
    var records: [Int: TransactionRecord] = [:]
    if highest - lowest < 4 * ids.count + 16 {
        for record in try await session.engine.transactions(before: highest + 1, limit: highest - lowest + 1, on: session.sql) where ids.contains(record.id) {
            records[record.id] = record
        }
    } else {
        for id in ids {
            records[id] = try await session.engine.transaction(id: id, on: session.sql)
        }
    }
    return records
}

/// The versions of one row; fails with advice when there are none.
func rowVersions(_ table: String, key: [String: String], in session: Session) async throws -> [TextVersion] {
    let versions = try await explained([table]) { try await session.engine.textVersions(of: table, key: key, on: session.sql) }
    guard !versions.isEmpty else {
        let text = key.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        throw CLIError(
            "table \"\(table)\" has no history for key \(text): check the key, or version rows that predate versioning with `continuum backfill \(table)`"
        )
    }
    return versions
}

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show the versions of one row, oldest first, with what each changed.",
        discussion: """
            Example:
              continuum --database sqlite:app.sqlite history article 1
              continuum --database postgres://app@db/app history translation --key id=5 --key lang=en
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Argument(help: "The versioned table.")
    var table: String

    @OptionGroup var key: KeyOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let (versions, transactions) = try await self.connection.withSession(tables: [self.table]) { session, tables in
            let table = tables[0]
            _ = try await explained([table]) { try await session.engine.versionedTable(table, on: session.sql) }
            let key = try await self.key.key(for: table, in: session)
            let versions = try await rowVersions(table, key: key, in: session)
            return (versions, try await transactionRecords(Set(versions.map(\.transactionID)), in: session))
        }
        if self.output.json {
            try JSONOutput.print(
                versions.enumerated().map { index, version in
                    VersionJSON(
                        version: version, changes: ChangeJSON.list(from: index == 0 ? nil : versions[index - 1], to: version),
                        transaction: transactions[version.transactionID]
                    )
                })
            return
        }
        let printer = Printer(self.output)
        var rows: [[String]] = []
        for (index, version) in versions.enumerated() {
            let record = transactions[version.transactionID]
            let changes = ChangeJSON.list(from: index == 0 ? nil : versions[index - 1], to: version)
            let head = [
                printer.style.cyan(String(version.transactionID)), printer.date(record?.issuedAt), printer.value(record?.userID ?? "-"),
                printer.style.operation(version.operation.description),
            ]
            if changes.isEmpty { rows.append(head + ["(no column changed)", "", ""]) }
            for (position, change) in changes.enumerated() {
                rows.append((position == 0 ? head : ["", "", "", ""]) + [change.column, printer.value(change.before), printer.value(change.after)])
            }
        }
        printer.line("\(printer.style.bold(versions[0].table)) \(versions[0].keyText): \(versions.count) version\(versions.count == 1 ? "" : "s")")
        printer.table(["tx", "issued at", "user", "operation", "column", "before", "after"], rows)
    }
}

/// The state of a row just after `transaction`: its version then, `nil` when it did not exist.
func state(_ versions: [TextVersion], at transaction: Int) -> TextVersion? {
    versions.last { $0.transactionID <= transaction }.flatMap { $0.operation == .delete ? nil : $0 }
}

struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare one row as it was after two transactions.",
        discussion: """
            Each side is the row as it stood just after that transaction committed (absent if it \
            did not exist then). Only the columns that differ are printed.

            Example:
              continuum --database sqlite:app.sqlite diff article 1 --from 1 --to 5
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Argument(help: "The versioned table.")
    var table: String

    @OptionGroup var key: KeyOptions

    @Option(help: ArgumentHelp("The earlier transaction.", valueName: "transaction"))
    var from: Int

    @Option(help: ArgumentHelp("The later transaction.", valueName: "transaction"))
    var to: Int

    @OptionGroup var output: OutputOptions

    struct Diff: Encodable {
        var table: String
        var key: [String: String]
        var from: Int
        var to: Int
        var existsBefore: Bool
        var existsAfter: Bool
        var changes: [ChangeJSON]

        enum CodingKeys: String, CodingKey {
            case table, key, from, to, existsBefore = "exists_before", existsAfter = "exists_after", changes
        }
    }

    func run() async throws {
        let (versions, key) = try await self.connection.withSession(tables: [self.table]) { session, tables in
            let table = tables[0]
            _ = try await explained([table]) { try await session.engine.versionedTable(table, on: session.sql) }
            let key = try await self.key.key(for: table, in: session)
            return (try await rowVersions(table, key: key, in: session), key)
        }
        let before = state(versions, at: self.from), after = state(versions, at: self.to)
        let changes = ChangeJSON.list(from: before, to: after)
        if self.output.json {
            try JSONOutput.print(
                Diff(
                    table: versions[0].table, key: key, from: self.from, to: self.to, existsBefore: before != nil, existsAfter: after != nil,
                    changes: changes
                ))
            return
        }
        let printer = Printer(self.output)
        let title = "\(printer.style.bold(versions[0].table)) \(versions[0].keyText): transaction \(self.from) → \(self.to)"
        printer.line(title)
        switch (before, after) {
        case (nil, nil): printer.line("the row did not exist after either transaction"); return
        case (nil, _): printer.line("the row did not exist after transaction \(self.from)")
        case (_, nil): printer.line("the row did not exist after transaction \(self.to)")
        default: break
        }
        guard !changes.isEmpty else {
            printer.line("no column differs")
            return
        }
        printer.table(
            ["column", "after \(self.from)", "after \(self.to)"],
            changes.map { [$0.column, printer.style.red(printer.value($0.before)), printer.style.green(printer.value($0.after))] }
        )
    }
}

struct RevertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revert",
        abstract: "Put one row back as it was just after a transaction, recorded as a new version.",
        discussion: """
            The row gets the values it had then (inserted again with its key if it was deleted \
            since), or is deleted if it did not exist then. Excluded columns keep their values.

            Example:
              continuum --database sqlite:app.sqlite revert article 1 --to 2 --user ops
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Argument(help: "The versioned table.")
    var table: String

    @OptionGroup var key: KeyOptions

    @Option(help: ArgumentHelp("The transaction to go back to.", valueName: "transaction"))
    var to: Int

    @Option(help: "The user id recorded for the revert's transaction.")
    var user: String?

    @OptionGroup var output: OutputOptions

    struct Reverted: Encodable {
        var table: String
        var key: [String: String]
        var action: String
        var revertedTo: Int
        var transactionID: Int?

        enum CodingKeys: String, CodingKey { case table, key, action, revertedTo = "reverted_to", transactionID = "transaction_id" }
    }

    func run() async throws {
        let result = try await self.connection.withSession(tables: [self.table]) { session, tables in
            let table = tables[0]
            _ = try await explained([table]) { try await session.engine.versionedTable(table, on: session.sql) }
            let key = try await self.key.key(for: table, in: session)
            _ = try await rowVersions(table, key: key, in: session)
            let result = try await explained([table]) {
                try await session.engine.revert(table, key: key, to: self.to, userID: self.user, meta: ["continuum.reverted_to": String(self.to)], on: session.sql)
            }
            let latest = result.action == .unchanged || result.action == .noHistory ? nil : try await rowVersions(table, key: key, in: session).last?.transactionID
            return Reverted(table: table, key: key, action: result.action.rawValue, revertedTo: self.to, transactionID: latest)
        }
        if self.output.json {
            try JSONOutput.print(result)
            return
        }
        let key = result.key.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        let what: String =
            switch result.action {
            case "updated": "restored to its values after transaction \(self.to)"
            case "inserted": "inserted again with its values after transaction \(self.to)"
            case "deleted": "deleted: it did not exist after transaction \(self.to)"
            default: "unchanged: it did not exist after transaction \(self.to), nor does it now"
            }
        Terminal.out("\(result.table) \(key): \(what)" + (result.transactionID.map { " (transaction \($0))" } ?? "") + "\n")
    }
}
