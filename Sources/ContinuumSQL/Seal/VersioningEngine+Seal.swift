import Foundation
import SQLKit

/// What ``VersioningEngine/seal(batchSize:waitingAtMost:on:)`` sealed.
public struct SealResult: Sendable, Hashable, CustomStringConvertible {
    /// How many transactions this call sealed.
    public var sealedTransactions: Int
    /// The last sealed transaction, `nil` while nothing is sealed.
    public var headTransactionID: Int?
    /// The chain digest of the last sealed transaction: publish it outside the database, and
    /// check it later with ``VersioningEngine/verifySeal(expectedDigest:on:)``.
    public var headDigest: String?

    public var description: String {
        guard let head = self.headTransactionID, let digest = self.headDigest else { return "nothing to seal yet" }
        return "sealed \(self.sealedTransactions) transaction(s); head transaction \(head), digest \(digest)"
    }
}

/// What ``VersioningEngine/verifySeal(expectedDigest:on:)`` found: every transaction whose
/// sealed history was changed, and the head digest to publish.
public struct SealVerification: Sendable, Hashable, CustomStringConvertible {
    /// One transaction whose history no longer matches its seal.
    public enum Problem: Sendable, Hashable, CustomStringConvertible {
        /// The transaction's row, metadata or versions were edited, or versions were added to
        /// it or removed from it, after it was sealed.
        case edited(transactionID: Int)
        /// A sealed transaction is gone (and no recorded prune removed it).
        case deleted(transactionID: Int)
        /// A transaction appeared below the sealed head after sealing.
        case inserted(transactionID: Int)
        /// The seal row of the transaction was edited, or the seal of a transaction before it removed.
        case sealChanged(transactionID: Int)
        /// No sealed transaction has the published digest: the seal table was rewritten.
        case expectedDigestNotFound(String)

        public var description: String {
            switch self {
            case .edited(let id): "transaction \(id) was changed after it was sealed (its row, metadata or versions)"
            case .deleted(let id): "transaction \(id) was sealed but is gone, and no recorded prune removed it"
            case .inserted(let id): "transaction \(id) was added after later transactions were sealed"
            case .sealChanged(let id): "the seal of transaction \(id) does not follow from the one before it (a seal row was edited or removed)"
            case .expectedDigestNotFound(let digest): "no sealed transaction has the published digest \(digest): the seals were rewritten"
            }
        }

        /// The transaction the problem is about, if any.
        public var transactionID: Int? {
            switch self {
            case .edited(let id), .deleted(let id), .inserted(let id), .sealChanged(let id): id
            case .expectedDigestNotFound: nil
            }
        }
    }

    /// How many transactions are sealed.
    public var sealedTransactions: Int
    /// How many transactions exist above the sealed head (not sealed yet).
    public var unsealedTransactions: Int
    /// The last sealed transaction, `nil` while nothing is sealed.
    public var headTransactionID: Int?
    /// The head digest, as stored (publish it).
    public var headDigest: String?
    /// The sealed transaction whose chain digest is the expected one, when one was given and found.
    public var expectedDigestTransactionID: Int?
    /// Fields erased by recorded redactions, proven by their recorded digests.
    public var redactedFields: Int
    /// Versions a recorded prune made the start of their chain (UPDATE to INSERT).
    public var chainStarts: Int
    /// Version rows removed by recorded prunes, proven by their recorded digests.
    public var prunedVersions: Int
    /// Transactions removed by recorded prunes.
    public var prunedTransactions: Int
    /// The sealed transactions that recorded redactions and prunes, in order. Each changed sealed
    /// history on purpose, and the check accepts what it recorded: compare them with the ones you
    /// ran (``RedactionReport/transactionID``, ``PruneReport/eventTransactionIDs``). Whoever can
    /// write the seal tables (the owner; on SQLite, whoever can write the file) can record one
    /// that explains away an edit, and the next seal accepts it.
    public var eventTransactionIDs: [Int]
    /// Every problem, ordered by transaction.
    public var problems: [Problem]

    /// Whether sealed history is exactly as sealed (apart from recorded redactions and prunes).
    public var isValid: Bool { self.problems.isEmpty }

    public var description: String {
        let head = self.headTransactionID.map { "head transaction \($0), digest \(self.headDigest ?? "")" } ?? "nothing sealed"
        guard self.isValid else {
            return "sealed history has \(self.problems.count) problem(s): " + self.problems.prefix(10).map(\.description).joined(separator: "; ")
        }
        return "sealed history is intact: \(self.sealedTransactions) transaction(s), \(head)"
            + (self.unsealedTransactions > 0 ? "; \(self.unsealedTransactions) not sealed yet" : "")
    }
}

extension VersioningEngine {
    /// How many transactions one seal batch reads and seals in one database transaction.
    public static let defaultSealBatchSize = 1_000

    /// Seals every committed, stable transaction not sealed yet, in id order: each gets a
    /// digest chaining the previous one with the canonical encoding of its row, its metadata
    /// and every version row it wrote (see the "Sealing History" article). Incremental and
    /// safe to run on a schedule while writers work; creates its tables the first time.
    ///
    /// Which transactions are stable: on SQLite every committed one (one writer at a time, ids
    /// in commit order). On PostgreSQL ids are drawn before commit, so a transaction still
    /// running may commit with an id below one already committed; the seal reads the
    /// transaction-id sequence, then which transactions hold the lock every write of the
    /// transaction log takes (`pg_locks`: `ROW EXCLUSIVE` on that table, taken before an
    /// insert draws its id), and seals only ids up to that sequence value once those have
    /// ended. Transactions that never wrote this schema's log do not hold it back.
    ///
    /// ```swift
    /// let result = try await engine.seal(on: sql)
    /// print(result.headDigest!)   // publish it
    /// ```
    ///
    /// - Parameters:
    ///   - batchSize: Transactions sealed per database transaction.
    ///   - wait: PostgreSQL: how long to wait for writers that were running when the seal began.
    /// - Throws: ``ContinuumError/schemaNotInstalled``, ``ContinuumError/invalidBatchSize(_:)``,
    ///   ``ContinuumError/sealBlockedByWriters(seconds:)`` when a writer runs longer than `wait`,
    ///   ``ContinuumError/sealTableNotOwned(table:owner:logOwner:)`` (PostgreSQL) for a seal table
    ///   that does not belong to the owner of the transaction log.
    @discardableResult
    public func seal(batchSize: Int = Self.defaultSealBatchSize, waitingAtMost wait: Duration = .seconds(10), on database: any SQLDatabase) async throws -> SealResult {
        try await self.seal(batchSize: batchSize, waitingAtMost: wait, windowItems: Self.windowItems, on: database)
    }

    /// ``seal(batchSize:waitingAtMost:on:)`` with fewer transactions per batch when they hold
    /// more than `windowItems` version rows and patches.
    @discardableResult
    /// `salted: false` seals as releases before salts did (field digests `H(name, literal)`).
    package func seal(
        batchSize: Int, waitingAtMost wait: Duration, windowItems: Int, salted: Bool = true, on database: any SQLDatabase
    ) async throws -> SealResult {
        guard batchSize > 0 else { throw ContinuumError.invalidBatchSize(batchSize) }
        let dialect = try SQLDialectKind(database)
        guard try await self.isInstalled(on: database) else { throw ContinuumError.schemaNotInstalled }
        try await database.continuumAtomically(dialect) { try await self.createSealTables(on: $0) }
        let horizon = dialect == .postgresql ? try await self.stableHorizon(waitingAtMost: wait, on: database) : nil
        var sealed = 0
        while true {
            let (count, more, head) = try await database.continuumAtomically(dialect) { connection in
                try await self.sealBatch(batchSize, windowItems: windowItems, salted: salted, through: horizon, dialect: dialect, on: connection)
            }
            sealed += count
            if !more {
                return SealResult(sealedTransactions: sealed, headTransactionID: head?.id, headDigest: head?.digest)
            }
        }
    }

    private func sealBatch(
        _ batchSize: Int, windowItems: Int, salted: Bool, through horizon: Int?, dialect: SQLDialectKind, on connection: any SQLDatabase
    ) async throws -> (Int, Bool, (id: Int, digest: String)?) {
        for statement in dialect.sealSettings { try await connection.run(generated: statement) }
        if dialect == .postgresql {
            try await connection.run(generated: "LOCK TABLE \(SQLText.identifier(Self.sealTable)) IN EXCLUSIVE MODE")
        } else {
            // SQLite: take the write lock before reading, so a writer committing meanwhile
            // cannot make the read snapshot stale (SQLITE_BUSY_SNAPSHOT at the insert).
            try await connection.run(generated: "DELETE FROM \(SQLText.identifier(Self.sealTable)) WHERE \"transaction_id\" IS NULL")
        }
        var head = try await Self.sealHead(on: connection)
        try await self.recordSealColumns(after: head?.id, on: connection)
        var ids = try await connection.rows(
            generated: """
                SELECT CAST("id" AS BIGINT) AS "id" FROM \(SQLText.identifier(self.configuration.transactionTable))
                WHERE "id" > \(head?.id ?? 0)\(horizon.map { " AND \"id\" <= \($0)" } ?? "") ORDER BY "id" LIMIT \(batchSize)
                """
        ).map { try $0.decode(column: "id", as: Int.self) }
        guard !ids.isEmpty else { return (0, false, head) }
        // Fewer transactions when they hold many version rows or patches.
        let length = try await self.windowLength(ids, items: windowItems, on: connection)
        let more = length < ids.count || ids.count == batchSize
        ids.removeLast(ids.count - length)
        let last = ids[length - 1]
        var content = try await self.sealContent(after: head?.id, through: last, dialect: dialect, on: connection)
        let index = PatchIndex(content.patches)
        ids.sort()
        var query: SQLQueryString = "INSERT INTO \(ident: Self.sealTable) (\"transaction_id\", \"entry_digest\", \"chain_digest\", \"salt\") VALUES "
        var previous = head?.digest ?? SealEncoding.genesis
        for (position, id) in ids.enumerated() {
            let salt = salted ? SealEncoding.newSalt() : nil
            content.salts[id] = salt
            let entry = content.entry(id, index)
            previous = SealEncoding.chain(previous, entry)
            if position > 0 { query = query + ", " }
            query = query + "(\(bind: id), \(bind: entry), \(bind: previous), \(bind: salt))"
        }
        try await connection.raw(query).run()
        head = (last, previous)
        return (ids.count, more, head)
    }

    static func sealHead(on database: any SQLDatabase) async throws -> (id: Int, digest: String)? {
        guard
            let row = try await database.rows(
                generated: "SELECT CAST(\"transaction_id\" AS BIGINT) AS \"id\", \"chain_digest\" AS \"d\" FROM \(SQLText.identifier(Self.sealTable)) ORDER BY \"transaction_id\" DESC LIMIT 1"
            ).first
        else { return nil }
        return (try row.decode(column: "id", as: Int.self), try row.decode(column: "d", as: String.self))
    }

    /// PostgreSQL: the largest transaction id no running transaction can still commit below.
    /// Read the sequence first, then which transactions hold the lock every write of the log
    /// takes (`ROW EXCLUSIVE` on the transaction table, taken before an insert draws its id):
    /// every id up to the sequence's value was drawn by one of those or by a transaction that
    /// has already ended. Once none of those is running, those ids are final. Transactions that
    /// never wrote this schema's log (other schemas, other databases, readers, long reports)
    /// do not hold the seal back.
    func stableHorizon(waitingAtMost wait: Duration, on database: any SQLDatabase) async throws -> Int {
        try await database.withSession { connection in
            let sequence = SQLText.identifier(SQLText.objectName(self.configuration.transactionTable + "_id_seq"))
            let row = try await connection.rows(generated: "SELECT CAST(\"last_value\" AS BIGINT) AS \"v\", \"is_called\" AS \"c\" FROM \(sequence)").first!
            let last = try row.decode(column: "v", as: Int.self)
            let horizon = try row.decode(column: "c", as: Bool.self) ? last : last - 1
            let log = SQLText.identifier(self.configuration.transactionTable)
            // Prepared transactions hold their locks with no process: `IS DISTINCT FROM` keeps them.
            let holders: SQLQueryString = """
                SELECT DISTINCT l."virtualtransaction" AS "v" FROM pg_catalog.pg_locks AS l
                WHERE l."locktype" = 'relation' AND l."relation" = CAST(pg_catalog.to_regclass(\(bind: log)) AS oid) AND l."mode" = 'RowExclusiveLock'
                AND l."granted" AND l."pid" IS DISTINCT FROM pg_catalog.pg_backend_pid()
                """
            let running = try await connection.raw(holders).all().map { try $0.decode(column: "v", as: String.self) }
            guard !running.isEmpty else { return horizon }
            let deadline = ContinuousClock.now + wait
            while true {
                try await Task.sleep(for: .milliseconds(20))
                // A virtual transaction id names one transaction of one backend, never reused.
                let still = try await connection.raw(
                    """
                    SELECT COUNT(*) AS "n" FROM pg_catalog.pg_locks AS l
                    WHERE l."locktype" = 'relation' AND l."relation" = CAST(pg_catalog.to_regclass(\(bind: log)) AS oid)
                    AND l."virtualtransaction" = ANY(CAST(\(bind: running) AS text[]))
                    """
                ).first()!.decode(column: "n", as: Int.self)
                if still == 0 { return horizon }
                guard ContinuousClock.now < deadline else {
                    throw ContinuumError.sealBlockedByWriters(seconds: Int(wait.components.seconds))
                }
            }
        }
    }

    /// Recomputes every sealed transaction's digest from the history now in the database and
    /// names each transaction whose history was edited, deleted or inserted after sealing
    /// (recorded redactions and prunes excepted: their recorded digests prove what they
    /// changed). Read-only.
    ///
    /// - Parameter expectedDigest: A head digest published earlier: the check fails unless some
    ///   sealed transaction has it, so even a rewrite of the seal table is detected.
    /// - Throws: ``ContinuumError/schemaNotInstalled``,
    ///   ``ContinuumError/sealTableNotOwned(table:owner:logOwner:)`` (PostgreSQL) for a seal table
    ///   that does not belong to the owner of the transaction log, or the driver's error.
    public func verifySeal(expectedDigest: String? = nil, on database: any SQLDatabase) async throws -> SealVerification {
        try await self.verifySeal(expectedDigest: expectedDigest, window: Self.verifyWindow, windowItems: Self.windowItems, on: database)
    }

    /// ``verifySeal(expectedDigest:on:)`` recomputing at most `window` sealed transactions at a
    /// time, fewer when they hold more than `windowItems` version rows and patches.
    package func verifySeal(expectedDigest: String?, window: Int, windowItems: Int = windowItems, on database: any SQLDatabase) async throws -> SealVerification {
        let dialect = try SQLDialectKind(database)
        guard try await self.isInstalled(on: database) else { throw ContinuumError.schemaNotInstalled }
        try await self.checkSealOwnership(creating: false, on: database)
        guard try await Introspector(database).tableExists(Self.sealTable) else {
            let count = try await database.rows(generated: "SELECT COUNT(*) AS \"n\" FROM \(SQLText.identifier(self.configuration.transactionTable))")
                .first!.decode(column: "n", as: Int.self)
            return SealVerification(
                sealedTransactions: 0, unsealedTransactions: count, headTransactionID: nil, headDigest: nil, expectedDigestTransactionID: nil,
                redactedFields: 0, chainStarts: 0, prunedVersions: 0, prunedTransactions: 0, eventTransactionIDs: [],
                problems: expectedDigest.map { [.expectedDigestNotFound($0)] } ?? [])
        }
        return try await database.continuumAtomically(dialect) { connection in
            for statement in dialect.sealSettings { try await connection.run(generated: statement) }
            // A patch counts once the event that recorded it is sealed.
            let sealedEvents = Set(
                try await connection.rows(
                    generated: """
                        SELECT DISTINCT CAST(p."event_id" AS BIGINT) AS "e" FROM \(SQLText.identifier(Self.sealPatchTable)) AS p
                        JOIN \(SQLText.identifier(Self.sealTable)) AS s ON s."transaction_id" = p."event_id"
                        """
                ).map { try $0.decode(column: "e", as: Int.self) })
            var problems: [SealVerification.Problem] = []
            var previous = SealEncoding.genesis
            var sealed = 0
            var head: (id: Int, chain: String)?
            var expectedAt: Int?
            var counts = PatchIndex([]).count
            // Window by window of sealed transactions, so memory holds one window's history.
            while true {
                var seals = try await connection.rows(
                    generated: """
                        SELECT CAST("transaction_id" AS BIGINT) AS "id", "entry_digest" AS "e", "chain_digest" AS "c"
                        FROM \(SQLText.identifier(Self.sealTable)) \(head.map { "WHERE \"transaction_id\" > \($0.id)" } ?? "") ORDER BY "transaction_id" LIMIT \(window)
                        """
                ).map { (id: try $0.decode(column: "id", as: Int.self), entry: try $0.decode(column: "e", as: String.self), chain: try $0.decode(column: "c", as: String.self)) }
                guard var last = seals.last else { break }
                // Fewer transactions when they hold many version rows or patches (a large prune's).
                let length = try await self.windowLength(seals.map(\.id), items: windowItems, on: connection)
                seals.removeLast(seals.count - length)
                last = seals[length - 1]
                for seal in seals {
                    previous = SealEncoding.chain(previous, seal.entry)
                    if previous != seal.chain {
                        problems.append(.sealChanged(transactionID: seal.id))
                        previous = seal.chain
                    }
                    if let expectedDigest, expectedAt == nil, seal.chain == expectedDigest.lowercased() { expectedAt = seal.id }
                }
                let lower = head?.id
                let content = try await self.sealContent(after: lower, through: last.id, dialect: dialect, on: connection)
                let index = PatchIndex(content.patches, honoring: sealedEvents)
                let windowIDs = Set(seals.map(\.id))
                for seal in seals {
                    if content.transactions[seal.id] == nil {
                        if index.transactions[seal.id]?.digest != seal.entry { problems.append(.deleted(transactionID: seal.id)) }
                    } else if content.entry(seal.id, index) != seal.entry {
                        problems.append(.edited(transactionID: seal.id))
                    }
                }
                let present = content.ids.filter { $0 > (lower ?? Int.min) && $0 <= last.id }
                for id in present.subtracting(windowIDs).sorted() { problems.append(.inserted(transactionID: id)) }
                // Each patch counted in the window of the transaction it changed.
                let windowCount = PatchIndex(content.patches.filter { $0.transactionID > (lower ?? Int.min) && $0.transactionID <= last.id }, honoring: sealedEvents).count
                counts = (
                    counts.fields + windowCount.fields, counts.chainStarts + windowCount.chainStarts, counts.rows + windowCount.rows,
                    counts.transactions + windowCount.transactions
                )
                sealed += seals.count
                head = (last.id, last.chain)
            }
            if let expectedDigest, expectedAt == nil { problems.append(.expectedDigestNotFound(expectedDigest)) }
            let unsealed = try await connection.rows(
                generated: "SELECT COUNT(*) AS \"n\" FROM \(SQLText.identifier(self.configuration.transactionTable)) WHERE \"id\" > \(head?.id ?? 0)"
            ).first!.decode(column: "n", as: Int.self)
            problems.sort { ($0.transactionID ?? Int.max) < ($1.transactionID ?? Int.max) }
            return SealVerification(
                sealedTransactions: sealed, unsealedTransactions: unsealed, headTransactionID: head?.id, headDigest: head?.chain,
                expectedDigestTransactionID: expectedAt, redactedFields: counts.fields, chainStarts: counts.chainStarts, prunedVersions: counts.rows,
                prunedTransactions: counts.transactions, eventTransactionIDs: sealedEvents.sorted(), problems: problems)
        }
    }

    /// Sealed transactions `verifySeal` recomputes at a time, at most.
    static let verifyWindow = 1_000
    /// Version rows and recorded patches that one window of ``seal(batchSize:waitingAtMost:on:)``
    /// or ``verifySeal(expectedDigest:on:)`` reads, at most (unless one transaction has more).
    package static let windowItems = 10_000

    /// How many of `ids` (ascending transaction ids) one window takes: at least one, and no
    /// more than keep their version rows and the patches they recorded within `items`.
    func windowLength(_ ids: [Int], items: Int, on connection: any SQLDatabase) async throws -> Int {
        guard ids.count > 1, let first = ids.first, let last = ids.last else { return ids.count }
        var counts: [Int: Int] = [:]
        func add(_ query: String) async throws {
            for row in try await connection.rows(generated: query) {
                counts[try row.decode(column: "t", as: Int.self), default: 0] += try row.decode(column: "n", as: Int.self)
            }
        }
        let introspector = try Introspector(connection)
        for (versionTable, _) in try await self.sealCoverage(on: connection).tables {
            guard try await introspector.tableExists(versionTable) else { continue }
            try await add(
                "SELECT CAST(\"transaction_id\" AS BIGINT) AS \"t\", COUNT(*) AS \"n\" FROM \(SQLText.identifier(versionTable)) "
                    + "WHERE \"transaction_id\" >= \(first) AND \"transaction_id\" <= \(last) GROUP BY \"transaction_id\"")
        }
        // Patches are read twice: with the transaction they concern and with the event that recorded them.
        for column in ["transaction_id", "event_id"] {
            try await add(
                "SELECT CAST(\"\(column)\" AS BIGINT) AS \"t\", COUNT(*) AS \"n\" FROM \(SQLText.identifier(Self.sealPatchTable)) "
                    + "WHERE \"\(column)\" >= \(first) AND \"\(column)\" <= \(last) GROUP BY \"\(column)\"")
        }
        var total = 0
        for (offset, id) in ids.enumerated() {
            total += counts[id] ?? 0
            if offset > 0 && total > items { return offset }
        }
        return ids.count
    }

    /// The id of the current scope's transaction row, created if no trigger created it yet:
    /// the row a redaction or prune records itself in. Call inside a `versioned` scope.
    func eventTransactionID(dialect: SQLDialectKind, on connection: any SQLDatabase) async throws -> Int {
        if dialect == .postgresql {
            let schema = try await Introspector(connection).currentSchema() ?? "public"
            let function = SQLText.identifier(schema) + "." + SQLText.identifier(VersioningConfiguration.transactionIDFunction)
            return try await connection.rows(generated: "SELECT CAST(\(function)() AS BIGINT) AS \"id\"").first!.decode(column: "id", as: Int.self)
        }
        let transaction = SQLText.identifier(self.configuration.transactionTable)
        let state = SQLText.identifier(VersioningConfiguration.stateTable)
        try await connection.run(
            generated: "INSERT INTO \(transaction) (\"issued_at\", \"user_id\", \"remote_addr\") "
                + "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') || '000', CASE WHEN \"active\" THEN \"user_id\" END, "
                + "CASE WHEN \"active\" THEN \"remote_addr\" END FROM \(state) WHERE \"transaction_id\" IS NULL OR NOT \"active\"")
        try await connection.run(generated: "UPDATE \(state) SET \"transaction_id\" = last_insert_rowid() WHERE \"transaction_id\" IS NULL OR NOT \"active\"")
        return try await connection.rows(generated: "SELECT CAST(\"transaction_id\" AS BIGINT) AS \"id\" FROM \(state)").first!.decode(column: "id", as: Int.self)
    }
}
