import ArgumentParser
import ContinuumSQL
import Foundation
import SQLKit

/// Writes lines to stdout in blocks, so that a large read is not one write per row.
final class LineBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func append(_ line: Data) {
        self.lock.withLock {
            self.data.append(line)
            if self.data.count >= 64 * 1024 { self.flushLocked() }
        }
    }

    func flush() { self.lock.withLock { self.flushLocked() } }

    private func flushLocked() {
        guard !self.data.isEmpty else { return }
        Terminal.out(self.data)
        self.data.removeAll(keepingCapacity: true)
    }
}

/// A counter shared with a streaming callback.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int {
        self.lock.withLock {
            self.value += 1; return self.value
        }
    }
    var count: Int { self.lock.withLock { self.value } }
}

/// Rows buffered for a human table, printed a page at a time.
final class RowPages: @unchecked Sendable {
    private let lock = NSLock()
    private var rows: [[String]] = []
    let header: [String]
    let printer: Printer
    static let pageSize = 500

    init(header: [String], printer: Printer) {
        self.header = header
        self.printer = printer
    }

    func append(_ row: [String]) {
        let page: [[String]]? = self.lock.withLock {
            self.rows.append(row)
            guard self.rows.count >= Self.pageSize else { return nil }
            defer { self.rows.removeAll(keepingCapacity: true) }
            return self.rows
        }
        if let page { self.printer.table(self.header, page) }
    }

    func finish() {
        let page = self.lock.withLock { self.rows }
        if !page.isEmpty { self.printer.table(self.header, page) }
    }
}

struct AsOfCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "as-of",
        abstract: "Print a table as it was just after a transaction, or at a date.",
        discussion: """
            Streams the versions valid then, in key order (deleted rows left out; excluded \
            columns are not in history). A date picks the last transaction issued at or before it. \
            Human output is printed in aligned pages of 500 rows; --json prints one JSON array.

            Example:
              continuum --database sqlite:app.sqlite as-of article --transaction 2
              continuum --database sqlite:app.sqlite as-of article --date "2026-11-29 09:00"
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Argument(help: "The versioned table.")
    var table: String

    @Option(help: ArgumentHelp("Read the table as it was just after this transaction.", valueName: "transaction"))
    var transaction: Int?

    @Option(help: ArgumentHelp("Read the table as it was at this date (UTC unless --local).", valueName: "date"))
    var date: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if (self.transaction == nil) == (self.date == nil) { throw ValidationError("give exactly one of --transaction TX and --date DATE") }
    }

    func run() async throws {
        let date = try self.date.map { try DateArgument.parse($0, local: self.output.local) }
        let printer = Printer(self.output)
        try await self.connection.withSession(tables: [self.table]) { session, tables in
            let table = tables[0]
            let versioned = try await explained([table]) { try await session.engine.versionedTable(table, on: session.sql) }
            var transaction = self.transaction ?? 0
            if let date {
                guard let found = try await session.engine.transactionID(atOrBefore: date, on: session.sql) else {
                    throw CLIError("no transaction was issued at or before \(printer.date(date)): the table had no history then (see `continuum log`)")
                }
                transaction = found
            }
            let buffer = LineBuffer()
            let counter = Counter()
            let encoder = SendableBox(JSONOutput.encoder())
            let pages = self.output.json ? nil : SendableBox<RowPages?>(nil)
            if self.output.json { Terminal.out("[") }
            let point = transaction
            let title = "\(printer.style.bold(versioned.table)) as of transaction \(point)"
            try await explained([table]) {
                try await session.engine.forEachRow(of: table, asOf: point, on: session.sql) { row in
                    let count = counter.increment()
                    if let pages {
                        if pages.value == nil {
                            printer.line(title)
                            pages.value = RowPages(header: row.columns, printer: printer)
                        }
                        pages.value!.append(row.values.map { printer.value($0) })
                    } else {
                        var data = Data((count == 1 ? "\n" : ",\n").utf8)
                        data.append(try encoder.value.encode(VersionJSON.values(row)))
                        buffer.append(data)
                    }
                }
            }
            buffer.flush()
            if self.output.json {
                Terminal.out(counter.count == 0 ? "]\n" : "\n]\n")
            } else if let pages = pages?.value {
                pages.finish()
                printer.line("\(counter.count) row\(counter.count == 1 ? "" : "s")")
            } else {
                printer.line("\(versioned.table) had no rows after transaction \(transaction)")
            }
        }
    }
}

/// A mutable value shared with a `@Sendable` callback that runs one call at a time.
final class SendableBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Stream every version of a table as JSON Lines, one version per line.",
        discussion: """
            Each line: {"end_transaction_id", "key", "operation", "table", "transaction_id", \
            "values"}, values as text. In key order, then transaction order; memory stays \
            bounded whatever the size of the history. --since TX exports only versions written \
            after TX (for incremental exports: pass the largest transaction_id seen).

            Example:
              continuum --database postgres://app@db/app export article --since 1200 > article.jsonl
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Argument(help: "The versioned table.")
    var table: String

    @Option(help: ArgumentHelp("Only versions written by transactions after this one.", valueName: "transaction"))
    var since: Int?

    @Flag(name: .shortAndLong, help: "Show no progress bar.")
    var quiet = false

    func run() async throws {
        try await self.connection.withSession(tables: [self.table]) { session, tables in
            let table = tables[0]
            let versioned = try await explained([table]) { try await session.engine.versionedTable(table, on: session.sql) }
            let shows = ProgressBar.shows(json: false, quiet: self.quiet)
            var total: Int?
            if shows {
                total = try await session.sql.raw("SELECT COUNT(*) AS \"n\" FROM \(ident: versioned.versionTable)").first()?.decode(column: "n", as: Int.self)
            }
            let bar = ProgressBar("exporting \(table)", total: total, enabled: shows)
            let buffer = LineBuffer()
            let counter = Counter()
            let encoder = SendableBox(JSONOutput.encoder())
            try await explained([table]) {
                try await session.engine.forEachVersion(of: table, since: self.since, on: session.sql) { version in
                    var data = try encoder.value.encode(VersionJSON(version: version))
                    data.append(0x0A)
                    buffer.append(data)
                    bar.update(counter.increment())
                }
            }
            buffer.flush()
            bar.finish(counter.count)
        }
    }
}

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the history of versioned tables; exit 1 when a problem is found.",
        discussion: """
            Checks that each row's versions form one chain, that live rows equal their latest \
            version, that deleted rows end in a DELETE, that every version's transaction is \
            in the log and that the log lists the table among each such transaction's changes. \
            Then, once history is sealed (`continuum seal`), recomputes every sealed \
            transaction's digest and names each transaction edited, deleted or inserted after \
            sealing, and prints the head digest; --expect-digest fails unless a sealed transaction \
            has that published digest. Read-only. All versioned tables unless some are named.

            Example:
              continuum --database sqlite:app.sqlite verify
              continuum --database sqlite:app.sqlite verify article --json
              continuum --database sqlite:app.sqlite verify --expect-digest 3f2a...
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Argument(help: "The tables to check (default: every versioned table).")
    var tables: [String] = []

    @Option(help: ArgumentHelp("A head digest published earlier: fail unless a sealed transaction has it.", valueName: "digest"))
    var expectDigest: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let digest = self.expectDigest, digest.count != 64 || !digest.allSatisfy({ $0.isASCII && $0.isHexDigit }) {
            throw ValidationError("--expect-digest: a head digest is 64 hexadecimal digits, as `continuum seal` and `continuum verify` print it")
        }
    }

    struct SealJSON: Encodable {
        var valid: Bool
        var sealedTransactions: Int
        var unsealedTransactions: Int
        var headTransactionID: Int?
        var headDigest: String?
        var expectedDigestTransactionID: Int?
        var redactedFields: Int
        var chainStarts: Int
        var prunedVersions: Int
        var prunedTransactions: Int
        var eventTransactionIDs: [Int]
        var problems: [ProblemJSON]

        enum CodingKeys: String, CodingKey {
            case valid, sealedTransactions = "sealed_transactions", unsealedTransactions = "unsealed_transactions"
            case headTransactionID = "head_transaction_id", headDigest = "head_digest", expectedDigestTransactionID = "expected_digest_transaction_id"
            case redactedFields = "redacted_fields", chainStarts = "chain_starts", prunedVersions = "pruned_versions", prunedTransactions = "pruned_transactions"
            case eventTransactionIDs = "event_transaction_ids", problems
        }

        init(_ report: SealVerification) {
            (self.valid, self.sealedTransactions, self.unsealedTransactions) = (report.isValid, report.sealedTransactions, report.unsealedTransactions)
            (self.headTransactionID, self.headDigest, self.expectedDigestTransactionID) = (report.headTransactionID, report.headDigest, report.expectedDigestTransactionID)
            (self.redactedFields, self.chainStarts) = (report.redactedFields, report.chainStarts)
            (self.prunedVersions, self.prunedTransactions) = (report.prunedVersions, report.prunedTransactions)
            self.eventTransactionIDs = report.eventTransactionIDs
            self.problems = report.problems.map(ProblemJSON.init)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.valid, forKey: .valid)
            try container.encode(self.sealedTransactions, forKey: .sealedTransactions)
            try container.encode(self.unsealedTransactions, forKey: .unsealedTransactions)
            try container.encode(self.headTransactionID, forKey: .headTransactionID)
            try container.encode(self.headDigest, forKey: .headDigest)
            try container.encode(self.expectedDigestTransactionID, forKey: .expectedDigestTransactionID)
            try container.encode(self.redactedFields, forKey: .redactedFields)
            try container.encode(self.chainStarts, forKey: .chainStarts)
            try container.encode(self.prunedVersions, forKey: .prunedVersions)
            try container.encode(self.prunedTransactions, forKey: .prunedTransactions)
            try container.encode(self.eventTransactionIDs, forKey: .eventTransactionIDs)
            try container.encode(self.problems, forKey: .problems)
        }
    }

    struct ProblemJSON: Encodable {
        var kind: String
        var description: String
        var key: [String]?
        var transactionID: Int?

        enum CodingKeys: String, CodingKey { case kind, description, key, transactionID = "transaction_id" }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.kind, forKey: .kind)
            try container.encode(self.description, forKey: .description)
            try container.encode(self.key, forKey: .key)
            try container.encode(self.transactionID, forKey: .transactionID)
        }

        init(_ problem: IntegrityReport.Problem) {
            self.description = problem.description
            var key: [String]?
            var transaction: Int?
            let kind: String
            switch problem {
            case .brokenChain(let k, let tx, _): kind = "broken_chain"; key = k; transaction = tx
            case .selfClosing(let k, let tx): kind = "self_closing"; key = k; transaction = tx
            case .liveRowDiffers(let k): kind = "live_row_differs"; key = k
            case .liveRowWithoutVersion(let k): kind = "live_row_without_version"; key = k
            case .versionWithoutLiveRow(let k): kind = "version_without_live_row"; key = k
            case .missingTransaction(let id): kind = "missing_transaction"; transaction = id
            case .changeNotRecorded(let id): kind = "change_not_recorded"; transaction = id
            case .staleScopeState: kind = "stale_scope_state"
            }
            self.kind = kind
            self.key = key
            self.transactionID = transaction
        }

        init(_ problem: SealVerification.Problem) {
            self.description = problem.description
            self.key = nil
            self.transactionID = problem.transactionID
            self.kind =
                switch problem {
                case .edited: "edited_after_sealing"
                case .deleted: "deleted_after_sealing"
                case .inserted: "inserted_after_sealing"
                case .sealChanged: "seal_changed"
                case .expectedDigestNotFound: "expected_digest_not_found"
                }
        }
    }

    struct TableJSON: Encodable {
        var table: String
        var versions: Int
        var valid: Bool
        var problems: [ProblemJSON]
    }

    struct Report: Encodable {
        var valid: Bool
        var tables: [TableJSON]
        var seal: SealJSON
    }

    func run() async throws {
        let (reports, seal) = try await self.connection.withSession(tables: self.tables) { session, tables in
            try await requireInstalled(session)
            let names = tables.isEmpty ? try await session.engine.versionedTables(on: session.sql).map(\.table) : tables
            let bar = ProgressBar("verifying", total: names.count, enabled: ProgressBar.shows(json: self.output.json, quiet: self.output.quiet))
            var reports: [IntegrityReport] = []
            for (index, table) in names.enumerated() {
                bar.update(index, force: true)
                reports.append(try await explained([table]) { try await session.engine.verify(table, on: session.sql) })
            }
            bar.finish(names.count)
            let seal = try await explained([]) { try await session.engine.verifySeal(expectedDigest: self.expectDigest, on: session.sql) }
            return (reports, seal)
        }
        let valid = reports.allSatisfy(\.isValid) && seal.isValid
        if self.output.json {
            try JSONOutput.print(
                Report(
                    valid: valid,
                    tables: reports.map { TableJSON(table: $0.table, versions: $0.versionCount, valid: $0.isValid, problems: $0.problems.map(ProblemJSON.init)) },
                    seal: SealJSON(seal)
                ))
        } else {
            let printer = Printer(self.output)
            if reports.isEmpty { printer.line("no table is versioned yet: nothing to verify") }
            let style = printer.style
            for report in reports {
                if report.isValid {
                    printer.line("\(style.green("ok"))       \(report.table): \(report.versionCount) versions, history consistent")
                    continue
                }
                printer.line("\(style.red("PROBLEM"))  \(report.table): \(report.versionCount) versions, \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s")")
                let shown = self.output.full ? report.problems : Array(report.problems.prefix(20))
                for problem in shown.map(ProblemJSON.init) {
                    printer.line("  - \(problem.description)" + (problem.key.map { " (key \($0.joined(separator: ", ")))" } ?? ""))
                }
                if shown.count < report.problems.count { printer.line("  ... \(report.problems.count - shown.count) more (--full lists them all)") }
            }
            if let head = seal.headTransactionID, let digest = seal.headDigest, seal.isValid {
                let proven = [
                    seal.redactedFields > 0 ? "\(seal.redactedFields) redacted fields" : nil, seal.prunedVersions > 0 ? "\(seal.prunedVersions) pruned versions" : nil,
                ].compactMap { $0 }
                printer.line(
                    "\(style.green("ok"))       seals: \(seal.sealedTransactions) transactions intact up to \(head)"
                        + (proven.isEmpty ? "" : " (\(proven.joined(separator: ", ")) proven)")
                        + (seal.unsealedTransactions > 0 ? ", \(seal.unsealedTransactions) not sealed yet" : ""))
                if let expected = seal.expectedDigestTransactionID { printer.line("         the expected digest is the seal of transaction \(expected)") }
                if !seal.eventTransactionIDs.isEmpty {
                    // Accepted because they are sealed: only the operator knows whether each was run.
                    let events = self.output.full ? seal.eventTransactionIDs : Array(seal.eventTransactionIDs.prefix(20))
                    printer.line(
                        "         redactions and prunes recorded in transaction\(events.count == 1 ? "" : "s") \(events.map(String.init).joined(separator: ", "))"
                            + (events.count < seal.eventTransactionIDs.count ? " and \(seal.eventTransactionIDs.count - events.count) more" : "")
                            + ": check that each is one you ran")
                }
                printer.line("head digest \(digest)")
            } else if seal.isValid {
                printer.line("-        seals: nothing sealed yet (`continuum seal` seals history)")
            } else {
                printer.line("\(style.red("PROBLEM"))  seals: \(seal.problems.count) problem\(seal.problems.count == 1 ? "" : "s")")
                let shown = self.output.full ? seal.problems : Array(seal.problems.prefix(20))
                for problem in shown { printer.line("  - \(problem.description)") }
                if shown.count < seal.problems.count { printer.line("  ... \(seal.problems.count - shown.count) more (--full lists them all)") }
                if let digest = seal.headDigest { printer.line("head digest \(digest) (as stored; do not publish it)") }
            }
        }
        if !valid { throw ExitCode(ExitStatus.problems) }
    }
}

struct RevertTransactionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revert-transaction",
        abstract: "Undo everything one transaction did, as one new transaction.",
        discussion: """
            Rows it inserted are deleted, rows it updated get their previous values, rows it \
            deleted come back. A row a later transaction changed again is a conflict: by default \
            nothing is reverted (fail); skip leaves such rows, overwrite discards the later changes. \
            --dry-run prints the plan and changes nothing.

            Example:
              continuum --database sqlite:app.sqlite revert-transaction 4 --dry-run
              continuum --database sqlite:app.sqlite revert-transaction 4 --on-conflict skip --user ops
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Argument(help: "The transaction to revert (see `continuum log`).")
    var transaction: Int

    @Flag(help: "Print what would be done, change nothing.")
    var dryRun = false

    @Option(help: "What to do with rows changed again later: fail, skip or overwrite.")
    var onConflict: RevertConflictPolicy = .fail

    @Option(help: "The user id recorded for the revert's transaction.")
    var user: String?

    @OptionGroup var output: OutputOptions

    struct Step: Encodable {
        var table: String
        var key: [String: String]
        var undo: String
        var conflict: Int?
        var skipped: Bool

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.table, forKey: .table)
            try container.encode(self.key, forKey: .key)
            try container.encode(self.undo, forKey: .undo)
            try container.encode(self.conflict, forKey: .conflict)
            try container.encode(self.skipped, forKey: .skipped)
        }

        enum CodingKeys: String, CodingKey { case table, key, undo, conflict, skipped }
    }

    struct Result: Encodable {
        var transaction: Int
        var dryRun: Bool
        var onConflict: String
        var changes: [Step]
        var revertTransactionID: Int?

        enum CodingKeys: String, CodingKey {
            case transaction, dryRun = "dry_run", onConflict = "on_conflict", changes, revertTransactionID = "revert_transaction_id"
        }
    }

    func run() async throws {
        let result = try await self.connection.withSession { session, _ in
            try await requireInstalled(session)
            guard try await session.engine.transaction(id: self.transaction, on: session.sql) != nil else {
                throw CLIError("no transaction \(self.transaction) in the log: list transactions with `continuum log`")
            }
            let changes = try await session.engine.textChanges(inTransaction: self.transaction, on: session.sql)
            let skips = self.onConflict == .skip
            var steps = changes.map { change in
                let undo: String =
                    switch change.version.operation {
                    case .insert: "delete"
                    case .update: "restore"
                    case .delete: "reinsert"
                    }
                return Step(
                    table: change.version.table, key: Dictionary(uniqueKeysWithValues: zip(change.version.keyColumns, change.version.key)),
                    undo: undo, conflict: change.version.endTransactionID, skipped: skips && change.version.endTransactionID != nil
                )
            }
            var revertID: Int?
            if !self.dryRun {
                try await explained([]) {
                    _ = try await session.engine.revert(transaction: self.transaction, conflicts: self.onConflict, userID: self.user, on: session.sql)
                }
                revertID = try await session.engine.transactions(matching: .init(), limit: 1, on: session.sql).first.flatMap {
                    $0.meta[VersioningEngine.revertedTransactionMetaKey] == String(self.transaction) ? $0.id : nil
                }
            } else if self.onConflict == .fail {
                for index in steps.indices { steps[index].skipped = false }
            }
            return Result(transaction: self.transaction, dryRun: self.dryRun, onConflict: self.onConflict.rawValue, changes: steps, revertTransactionID: revertID)
        }
        if self.output.json {
            try JSONOutput.print(result)
            return
        }
        let printer = Printer(self.output)
        let conflicts = result.changes.filter { $0.conflict != nil }.count
        if result.dryRun {
            printer.line(
                "reverting transaction \(result.transaction) would change \(result.changes.count) row\(result.changes.count == 1 ? "" : "s") (\(conflicts) conflict\(conflicts == 1 ? "" : "s"))")
        } else {
            let reverted = result.changes.filter { !$0.skipped }.count
            printer.line(
                "reverted transaction \(result.transaction): \(reverted) row\(reverted == 1 ? "" : "s") put back"
                    + (conflicts > 0 ? ", \(conflicts) conflict\(conflicts == 1 ? "" : "s") (\(result.onConflict))" : "")
                    + (result.revertTransactionID.map { " in transaction \($0)" } ?? "")
            )
        }
        guard !result.changes.isEmpty else { return }
        printer.table(
            ["table", "key", "undo", "conflict"],
            result.changes.map { step in
                [
                    step.table, printer.value(step.key.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")),
                    step.undo,
                    step.conflict.map { "changed again in \($0)" + (step.skipped ? ", skipped" : "") } ?? "-",
                ]
            }
        )
        if result.dryRun && conflicts > 0 && self.onConflict == .fail {
            printer.line("conflicts: run with --on-conflict skip (leave those rows) or --on-conflict overwrite (discard the later changes)")
        }
    }
}
