import ArgumentParser
import ContinuumSQL
import Foundation

struct SealCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal",
        abstract: "Seal the history committed since the last seal; print the head digest to publish.",
        discussion: """
            Each committed transaction gets a SHA-256 digest chaining the previous one with its \
            row, its metadata and every version it wrote (the "Sealing History" article documents \
            the encoding). Incremental: run it on a schedule. Publish the head digest outside the \
            database, and check it later with `continuum verify --expect-digest`. On PostgreSQL the \
            seal waits (--wait seconds) for transactions that were running when it began.

            Example:
              continuum --database sqlite:app.sqlite seal
              continuum --database postgres://app@db/app seal --json
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Option(help: "Transactions sealed per database transaction.")
    var batchSize = VersioningEngine.defaultSealBatchSize

    @Option(help: "PostgreSQL: seconds to wait for writers that were running when the seal began.")
    var wait = 10

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard self.batchSize >= 1 else { throw ValidationError("--batch-size \(self.batchSize): seal at least 1 transaction per batch") }
        guard self.wait >= 0 else { throw ValidationError("--wait \(self.wait): give a number of seconds, 0 or more") }
    }

    struct Result: Encodable {
        var sealed: Int
        var headTransactionID: Int?
        var headDigest: String?

        enum CodingKeys: String, CodingKey { case sealed, headTransactionID = "head_transaction_id", headDigest = "head_digest" }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.sealed, forKey: .sealed)
            try container.encode(self.headTransactionID, forKey: .headTransactionID)
            try container.encode(self.headDigest, forKey: .headDigest)
        }
    }

    func run() async throws {
        let result = try await self.connection.withSession { session, _ in
            try await requireInstalled(session)
            return try await explained([]) {
                try await session.engine.seal(batchSize: self.batchSize, waitingAtMost: .seconds(self.wait), on: session.sql)
            }
        }
        if self.output.json {
            try JSONOutput.print(Result(sealed: result.sealedTransactions, headTransactionID: result.headTransactionID, headDigest: result.headDigest))
            return
        }
        let printer = Printer(self.output)
        guard let head = result.headTransactionID, let digest = result.headDigest else {
            printer.line("nothing to seal yet: the transaction log is empty")
            return
        }
        printer.line("sealed \(result.sealedTransactions) transaction\(result.sealedTransactions == 1 ? "" : "s"); head transaction \(head)")
        printer.line("head digest \(digest)")
    }
}

struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove old versions, keeping every chain valid and the seal provable.",
        discussion: """
            A version goes when it is older than --older-than and not among its row's last \
            --keep-last versions (either rule alone when only one is given). A live row's current \
            version always stays; the oldest version kept becomes an INSERT (its chain's start); \
            transactions left without versions go with their metadata. History is sealed first, \
            and what was removed is recorded (digests, never values) in sealed prune transactions, \
            so `continuum verify` stays green. Ages: 90d, 12h, 30m, 2w. --dry-run counts only.

            Example:
              continuum --database sqlite:app.sqlite prune --older-than 90d --keep-last 10 --dry-run
              continuum --database sqlite:app.sqlite prune --keep-last 5 --table article --user ops
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Option(help: ArgumentHelp("Prune versions older than this age: a number and d, h, m, s or w (90d).", valueName: "age"))
    var olderThan: String?

    @Option(help: "Always keep this many latest versions of each row.")
    var keepLast: Int?

    @Option(name: .customLong("table"), help: "Only this versioned table (repeat for several; default: all).")
    var tables: [String] = []

    @Option(help: "Versions removed per database transaction.")
    var batchSize = 5_000

    @Flag(help: "Count what would be pruned, change nothing.")
    var dryRun = false

    @Option(help: "The user id recorded for the prune's transactions.")
    var user: String?

    @OptionGroup var output: OutputOptions

    struct Result: Encodable {
        var dryRun: Bool
        var versions: [String: Int]
        var transactions: Int
        var chainStarts: Int
        var eventTransactionIDs: [Int]

        enum CodingKeys: String, CodingKey {
            case dryRun = "dry_run", versions, transactions, chainStarts = "chain_starts", eventTransactionIDs = "event_transaction_ids"
        }
    }

    /// The longest age `--older-than` takes: 1,000 years (a date before the year 1000 has no history).
    static let longestAge: Double = 1_000 * 365.25 * 86_400

    /// Seconds in `age` (90d, 12h, 30m, 45s, 2w, 1.5d): digits with an optional fraction, then a unit.
    static func seconds(_ age: String) throws -> Double {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800]
        let digits = age.dropLast()
        guard let unit = age.last, let factor = units[unit], !digits.isEmpty, digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            let number = Double(digits), number.isFinite
        else {
            throw ValidationError("--older-than \(age): write a number and a unit, for example 90d, 12h, 30m, 2w")
        }
        guard number * factor <= Self.longestAge else {
            throw ValidationError("--older-than \(age): give an age of at most 1,000 years (365250d)")
        }
        return number * factor
    }

    func validate() throws {
        if let keepLast = self.keepLast, keepLast < 1 {
            throw ValidationError(
                "--keep-last \(keepLast): keep at least 1 version per row (a live row's current version always stays); to prune by age alone, give only --older-than"
            )
        }
        guard self.batchSize >= 1 else { throw ValidationError("--batch-size \(self.batchSize): prune at least 1 version per batch") }
    }

    func run() async throws {
        guard self.olderThan != nil || self.keepLast != nil else {
            throw ValidationError("give --older-than AGE, --keep-last N, or both")
        }
        let cutoff = try self.olderThan.map { Date().addingTimeInterval(-(try Self.seconds($0))) }
        let report = try await self.connection.withSession(tables: self.tables) { session, tables in
            try await requireInstalled(session)
            return try await explained(tables) {
                try await session.engine.prune(
                    olderThan: cutoff, keepLast: self.keepLast, tables: tables.isEmpty ? nil : tables, batchSize: self.batchSize, dryRun: self.dryRun,
                    userID: self.user, on: session.sql)
            }
        }
        if self.output.json {
            try JSONOutput.print(
                Result(
                    dryRun: report.dryRun, versions: report.versions, transactions: report.transactions, chainStarts: report.chainStarts,
                    eventTransactionIDs: report.eventTransactionIDs))
            return
        }
        let printer = Printer(self.output)
        printer.line(report.description)
        let rows = report.versions.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] }
        if !rows.isEmpty { printer.table(["table", report.dryRun ? "would prune" : "pruned"], rows) }
        if !report.eventTransactionIDs.isEmpty {
            printer.line("recorded in transaction\(report.eventTransactionIDs.count == 1 ? "" : "s") \(report.eventTransactionIDs.map(String.init).joined(separator: ", "))")
        }
    }
}

struct RedactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact",
        abstract: "Erase fields from one row's whole history (GDPR), keeping the seal provable.",
        discussion: """
            Sets the fields to NULL in the live row (through the triggers, so history records it) \
            and in every version of the row. The redaction is one transaction recording who and \
            which fields, never the values, and the erased fields' digests, so `continuum verify` \
            stays green. With --where-value COLUMN=VALUE, erases the fields from every row and \
            version holding that value instead of one row's.

            Example:
              continuum --database sqlite:app.sqlite redact customer 42 --field email --field phone --user dpo
              continuum --database sqlite:app.sqlite redact customer --where-value email=ann@example.com --field email
            """
    )

    @OptionGroup var connection: DatabaseOptions

    @Argument(help: "The versioned table.")
    var table: String

    @OptionGroup var key: KeyOptions

    @Option(name: .customLong("field"), help: "A column to erase; repeat for several.")
    var fields: [String] = []

    @Option(help: ArgumentHelp("Erase from every row and version whose COLUMN holds VALUE, instead of one row.", valueName: "column=value"))
    var whereValue: String?

    @Option(help: "The user id recorded for the redaction.")
    var user: String?

    @OptionGroup var output: OutputOptions

    struct Result: Encodable {
        var transactionID: Int
        var versions: Int
        var fields: Int
        var liveRows: Int

        enum CodingKeys: String, CodingKey { case transactionID = "transaction_id", versions, fields, liveRows = "live_rows" }
    }

    func run() async throws {
        guard !self.fields.isEmpty else { throw ValidationError("which fields? give each with --field NAME") }
        let report = try await self.connection.withSession(tables: [self.table]) { session, tables in
            try await requireInstalled(session)
            let table = tables[0]
            let target: RedactionTarget
            if let whereValue = self.whereValue {
                guard self.key.value == nil, self.key.pairs.isEmpty else { throw ValidationError("give a key or --where-value, not both") }
                guard let equals = whereValue.firstIndex(of: "=") else { throw ValidationError("--where-value \(whereValue): write COLUMN=VALUE") }
                target = .value(column: String(whereValue[..<equals]), equals: String(whereValue[whereValue.index(after: equals)...]))
            } else {
                let key = try await self.key.key(for: table, in: session)
                let columns = try await session.engine.describe(table, on: session.sql)?.primaryKey.map(\.name) ?? []
                target = .key(columns.map { key[$0] ?? "" })
            }
            return try await explained([table]) {
                try await session.engine.redact(table, target, fields: self.fields, userID: self.user, on: session.sql)
            }
        }
        if self.output.json {
            try JSONOutput.print(Result(transactionID: report.transactionID, versions: report.versions, fields: report.fields, liveRows: report.liveRows))
            return
        }
        Printer(self.output).line(report.description)
    }
}

struct StorageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Show the bytes each versioned table and its history take.",
        discussion: """
            Per table: live rows and bytes, versions and bytes (indexes included), bytes per \
            version, and history's size against the live table's. PostgreSQL: \
            pg_total_relation_size; SQLite: dbstat pages (an estimate from the stored values when \
            this SQLite lacks dbstat).

            Example:
              continuum --database sqlite:app.sqlite storage
              continuum --database postgres://app@db/app storage --json
            """
    )

    @OptionGroup var connection: DatabaseOptions
    @OptionGroup var output: OutputOptions

    struct TableJSON: Encodable {
        var table: String
        var versionTable: String
        var liveRows: Int
        var liveBytes: Int
        var versions: Int
        var versionBytes: Int
        var bytesPerVersion: Double?
        var ratio: Double?

        enum CodingKeys: String, CodingKey {
            case table, versionTable = "version_table", liveRows = "live_rows", liveBytes = "live_bytes", versions, versionBytes = "version_bytes"
            case bytesPerVersion = "bytes_per_version", ratio
        }

        init(_ storage: TableStorage) {
            (self.table, self.versionTable, self.liveRows, self.liveBytes) = (storage.table, storage.versionTable, storage.liveRows, storage.liveBytes)
            (self.versions, self.versionBytes, self.bytesPerVersion, self.ratio) = (storage.versions, storage.versionBytes, storage.bytesPerVersion, storage.ratio)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.table, forKey: .table)
            try container.encode(self.versionTable, forKey: .versionTable)
            try container.encode(self.liveRows, forKey: .liveRows)
            try container.encode(self.liveBytes, forKey: .liveBytes)
            try container.encode(self.versions, forKey: .versions)
            try container.encode(self.versionBytes, forKey: .versionBytes)
            try container.encode(self.bytesPerVersion, forKey: .bytesPerVersion)
            try container.encode(self.ratio, forKey: .ratio)
        }
    }

    func run() async throws {
        let tables = try await self.connection.withSession { session, _ in
            try await requireInstalled(session)
            return try await explained([]) { try await session.engine.storage(on: session.sql) }
        }
        if self.output.json {
            try JSONOutput.print(tables.map(TableJSON.init))
            return
        }
        let printer = Printer(self.output)
        guard !tables.isEmpty else {
            printer.line("no table is versioned yet")
            return
        }
        printer.table(
            ["table", "rows", "bytes", "versions", "bytes", "per version", "history/live"],
            tables.map { t in
                [
                    t.table, String(t.liveRows), String(t.liveBytes), String(t.versions), String(t.versionBytes),
                    t.bytesPerVersion.map { String(Int($0.rounded())) } ?? "-", t.ratio.map { String(format: "%.1fx", $0) } ?? "-",
                ]
            })
    }
}
