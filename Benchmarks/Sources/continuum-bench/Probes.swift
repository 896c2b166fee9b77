import FluentContinuum
import FluentKit
import FluentSQL
import Foundation
import SQLKit

/// The two scale probes: one bulk `UPDATE` over many rows, versioned against unversioned; and
/// the time to read one entity's history, and one as-of version, from a small and a large
/// version table.
struct Probes {
    var backends: [Backend]
    var postgresURL: String
    var workDirectory: URL
    var bulkRows: Int
    var repetitions: Int
    var smallVersions: Int
    var largeVersions: Int
    var reads: Int
    /// PostgreSQL: row counts of the large bulk-UPDATE probe (time, backend memory, temp files).
    var largeBulkRows: [Int] = []

    struct Bulk: Codable, Sendable {
        var backend: String
        var rows: Int
        var unversionedSeconds: [Double]
        var versionedSeconds: [Double]
        /// Median over repetitions of versioned ÷ unversioned time, measured back to back.
        var ratio: Double
        /// The floor: the same UPDATE with the triggers dropped (or disabled), plus the history
        /// written by hand with set-based SQL (close the open versions, insert the new ones, record
        /// the transaction and its entity), in one transaction.
        var floorSeconds: [Double] = []
        /// Median over repetitions of floor ÷ unversioned time.
        var floorRatio: Double = .nan
        /// Median over repetitions of versioned ÷ floor time: our distance to the floor.
        var overFloor: Double = .nan
    }

    struct HistoryRead: Codable, Sendable {
        var backend: String
        var versionRows: Int
        /// Median µs to load one entity's 10 versions (`Article.versions(id:on:)`).
        var historyMicros: Double
        /// Median µs for one as-of read (`Article.version(id:at:on:)`).
        var asOfMicros: Double
        /// Median µs to batch-load the tags of 100 versions (`versions.loadRelated(\.$tags, on:)`).
        var relationsMicros: Double = 0
        /// Median µs for one page of 20 articles as of a transaction, with its total
        /// (`Article.query(on:).sort(\.$id).asOf(transaction:).paginate(...)`).
        var asOfPageMicros: Double = 0
        /// The query plan of the children read behind `loadRelated(\.$tags)`.
        var relationPlan: String = ""
    }

    /// One large bulk UPDATE on PostgreSQL, versioned and not, once each.
    struct LargeBulk: Codable, Sendable {
        var rows: Int
        var unversionedSeconds: Double
        var versionedSeconds: Double
        /// Peak RSS of the server backend that ran the versioned UPDATE (VmHWM; it counts the
        /// shared buffers the backend touched), in MiB.
        var versionedBackendPeakMiB: Double
        /// Temporary-file bytes the versioned UPDATE wrote (pg_stat_database.temp_bytes).
        var versionedTempBytes: Int
    }

    struct Results: Codable, Sendable {
        var bulk: [Bulk]
        var history: [HistoryRead]
        var largeBulk: [LargeBulk] = []

        var markdown: String {
            var lines = [
                "#### Scale probes", "",
                "| backend | bulk UPDATE of rows | unversioned s | versioned s | ratio (median) | floor s | floor ratio | versioned ÷ floor |",
                "|---|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for bulk in self.bulk {
                lines.append(
                    "| \(Backend(rawValue: bulk.backend)?.title ?? bulk.backend) | \(bulk.rows) | \(String(format: "%.3f", median(bulk.unversionedSeconds))) | \(String(format: "%.3f", median(bulk.versionedSeconds))) | \(String(format: "%.2f", bulk.ratio)) | "
                        + "\(format(bulk.floorSeconds.isEmpty ? nil : median(bulk.floorSeconds), "%.3f")) | \(format(bulk.floorRatio, "%.2f")) | \(format(bulk.overFloor, "%.2f")) |"
                )
            }
            lines += [
                "", "| backend | version rows | one entity's history, µs | one as-of read, µs | tags of 100 versions, µs | as-of page of 20 with total, µs |",
                "|---|---:|---:|---:|---:|---:|",
            ]
            for read in self.history {
                lines.append(
                    "| \(Backend(rawValue: read.backend)?.title ?? read.backend) | \(read.versionRows) | \(String(format: "%.0f", read.historyMicros)) | "
                        + "\(String(format: "%.0f", read.asOfMicros)) | \(String(format: "%.0f", read.relationsMicros)) | \(String(format: "%.0f", read.asOfPageMicros)) |"
                )
            }
            for read in self.history where !read.relationPlan.isEmpty {
                lines += ["", "Plan of the children read, \(Backend(rawValue: read.backend)?.title ?? read.backend), \(read.versionRows) version rows:", "", "```", read.relationPlan, "```"]
            }
            if !self.largeBulk.isEmpty {
                lines += [
                    "", "| PostgreSQL bulk UPDATE of rows | unversioned s | versioned s | ratio | µs per row | backend peak RSS, MiB | temp files, MB |",
                    "|---:|---:|---:|---:|---:|---:|---:|",
                ]
                for large in self.largeBulk {
                    lines.append(
                        "| \(large.rows) | \(String(format: "%.2f", large.unversionedSeconds)) | \(String(format: "%.2f", large.versionedSeconds)) | "
                            + "\(String(format: "%.1f", large.versionedSeconds / large.unversionedSeconds)) | "
                            + "\(String(format: "%.2f", large.versionedSeconds / Double(large.rows) * 1e6)) | "
                            + "\(String(format: "%.0f", large.versionedBackendPeakMiB)) | \(String(format: "%.1f", Double(large.versionedTempBytes) / 1e6)) |"
                    )
                }
            }
            return lines.joined(separator: "\n")
        }
    }

    func run() async throws -> Results {
        var results = Results(bulk: [], history: [])
        if self.backends.contains(.postgres) {
            for rows in self.largeBulkRows { results.largeBulk.append(try await self.largeBulkUpdate(rows: rows)) }
        }
        for backend in self.backends {
            results.bulk.append(try await self.bulkUpdate(backend))
            for versions in [self.smallVersions, self.largeVersions] {
                results.history.append(try await self.historyRead(backend, versionRows: versions))
            }
        }
        return results
    }

    // MARK: Bulk update

    /// What one repetition of the bulk probe runs.
    private enum BulkVariant: CaseIterable {
        case unversioned, versioned, floor
    }

    private func bulkUpdate(_ backend: Backend) async throws -> Bulk {
        var unversioned: [Double] = []
        var versioned: [Double] = []
        var floor: [Double] = []
        for repetition in 0..<self.repetitions {
            for variant in repetition % 2 == 0 ? BulkVariant.allCases : BulkVariant.allCases.reversed() {
                let isVersioned = variant != .unversioned
                let seconds = try await self.withFreshDatabase(backend, name: "bench_probe_bulk") { database in
                    for statement in BenchSchema.statements(backend) { try await database.sql.raw(SQLQueryString(statement)).run() }
                    if isVersioned {
                        try await VersioningEngine().install(on: database.sql)
                        try await VersioningEngine().enable("article", on: database.sql)
                        try await VersioningEngine().versioned(on: database.sql) { try await self.fill(backend, rows: self.bulkRows, on: $0) }
                    } else {
                        try await self.fill(backend, rows: self.bulkRows, on: database.sql)
                    }
                    if variant == .floor { try await Self.dropTriggers(backend, on: database.sql) }
                    let update: @Sendable (any SQLDatabase) async throws -> Void = { try await $0.raw("UPDATE article SET views = views + 1").run() }
                    return try await Self.time {
                        switch variant {
                        case .versioned: try await VersioningEngine().versioned(on: database.sql, update)
                        case .unversioned: try await database.fluent.transaction { try await update($0 as! any SQLDatabase) }
                        case .floor:
                            try await database.fluent.transaction { transaction in
                                let sql = transaction as! any SQLDatabase
                                try await update(sql)
                                try await Self.writeHistoryByHand(on: sql)
                            }
                        }
                    }
                }
                log("probe bulk \(backend.rawValue) \(variant): \(String(format: "%.3f", seconds)) s")
                switch variant {
                case .unversioned: unversioned.append(seconds)
                case .versioned: versioned.append(seconds)
                case .floor: floor.append(seconds)
                }
            }
        }
        return Bulk(
            backend: backend.rawValue, rows: self.bulkRows, unversionedSeconds: unversioned, versionedSeconds: versioned,
            ratio: median(zip(versioned, unversioned).map { $0 / $1 }),
            floorSeconds: floor, floorRatio: median(zip(floor, unversioned).map { $0 / $1 }),
            overFloor: median(zip(versioned, floor).map { $0 / $1 })
        )
    }

    /// Removes the versioning triggers of `article`, keeping its version table, its indexes and
    /// its history: what is left is the physical cost of history.
    private static func dropTriggers(_ backend: Backend, on sql: any SQLDatabase) async throws {
        switch backend {
        case .sqlite:
            let rows = try await sql.raw("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'article'").all()
            for name in try rows.map({ try $0.decode(column: "name", as: String.self) }) {
                try await sql.raw("DROP TRIGGER \(ident: name)").run()
            }
        case .postgres:
            try await sql.raw("ALTER TABLE article DISABLE TRIGGER USER").run()
        }
    }

    /// The history of `UPDATE article SET views = views + 1` written by hand, set-based, as the
    /// triggers write it (every row changed, none inserted or deleted in the transaction): a
    /// transaction row, its entity in `transaction_changes`, every open version closed, and one
    /// UPDATE version (operation 1) per row.
    private static func writeHistoryByHand(on sql: any SQLDatabase) async throws {
        let transaction = try await sql.raw("INSERT INTO \(ident: "transaction") (\(ident: "issued_at")) VALUES (CURRENT_TIMESTAMP) RETURNING \(ident: "id")")
            .first()!.decode(column: "id", as: Int.self)
        try await sql.raw("INSERT INTO \(ident: "transaction_changes") (\(ident: "transaction_id"), \(ident: "entity_name")) VALUES (\(bind: transaction), 'article')").run()
        try await sql.raw(
            """
            UPDATE article_version SET end_transaction_id = \(bind: transaction) \
            WHERE end_transaction_id IS NULL AND transaction_id <> \(bind: transaction)
            """
        ).run()
        try await sql.raw(
            """
            INSERT INTO article_version (id, title, body, status, views, transaction_id, end_transaction_id, operation_type) \
            SELECT id, title, body, status, views, \(bind: transaction), NULL, 1 FROM article
            """
        ).run()
    }

    /// PostgreSQL: one bulk UPDATE of `rows` rows, unversioned then versioned, each in a fresh
    /// database, with the versioned statement's backend peak memory and temporary files.
    private func largeBulkUpdate(rows: Int) async throws -> LargeBulk {
        var result = LargeBulk(rows: rows, unversionedSeconds: 0, versionedSeconds: 0, versionedBackendPeakMiB: 0, versionedTempBytes: 0)
        for isVersioned in [false, true] {
            let (seconds, peak, temp) = try await self.withFreshDatabase(.postgres, name: "bench_probe_large") { database in
                for statement in BenchSchema.statements(.postgres) { try await database.sql.raw(SQLQueryString(statement)).run() }
                if isVersioned {
                    try await VersioningEngine().install(on: database.sql)
                    try await VersioningEngine().enable("article", on: database.sql)
                }
                try await self.fill(.postgres, rows: rows, on: database.sql)
                return try await database.sql.withSession { connection in
                    let pid = try await connection.raw("SELECT pg_backend_pid() AS pid").first()!.decode(column: "pid", as: Int.self)
                    let tempBefore = try await Self.tempBytes(connection)
                    let seconds = try await Self.time {
                        try await connection.raw("BEGIN").run()
                        try await connection.raw("UPDATE article SET views = views + 1").run()
                        try await connection.raw("COMMIT").run()
                    }
                    let peak = Self.peakMiB(pid: pid)
                    return (seconds, peak, try await Self.tempBytes(connection) - tempBefore)
                }
            }
            log("probe large bulk \(rows) \(isVersioned ? "versioned" : "unversioned"): \(String(format: "%.2f", seconds)) s, backend peak \(String(format: "%.0f", peak)) MiB, temp \(temp) bytes")
            if isVersioned {
                (result.versionedSeconds, result.versionedBackendPeakMiB, result.versionedTempBytes) = (seconds, peak, temp)
            } else {
                result.unversionedSeconds = seconds
            }
        }
        return result
    }

    /// The temporary-file bytes this database has written, after this backend's statistics are flushed.
    private static func tempBytes(_ connection: any SQLDatabase) async throws -> Int {
        try await connection.raw("SELECT pg_stat_force_next_flush()").run()
        try await Task.sleep(for: .milliseconds(100))
        try await connection.raw("SELECT pg_stat_clear_snapshot()").run()
        return try await connection.raw("SELECT temp_bytes AS b FROM pg_stat_database WHERE datname = current_database()").first()!
            .decode(column: "b", as: Int.self)
    }

    /// VmHWM of a process of this machine (the server runs here), in MiB; 0 when unreadable.
    private static func peakMiB(pid: Int) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return 0 }
        return kilobytes / 1024
    }

    /// Inserts `rows` articles in one statement.
    private func fill(_ backend: Backend, rows: Int, on sql: any SQLDatabase) async throws {
        let select = "SELECT 'Article ' || i, 'lorem ipsum dolor sit amet consectetur adipiscing elit', 'draft', 0"
        let statement: String =
            switch backend {
            case .sqlite:
                "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < \(rows)) INSERT INTO article (title, body, status, views) \(select) FROM s"
            case .postgres:
                "INSERT INTO article (title, body, status, views) \(select) FROM generate_series(1, \(rows)) AS s(i)"
            }
        try await sql.raw(SQLQueryString(statement)).run()
    }

    // MARK: History reads

    /// Builds `versionRows` versions (10 per entity, one transaction each across all entities)
    /// directly in the version table, then times Fluent history and as-of reads of random entities.
    private func historyRead(_ backend: Backend, versionRows: Int) async throws -> HistoryRead {
        let entities = versionRows / 10
        let read = try await self.withFreshDatabase(backend, name: "bench_probe_history") { database -> HistoryRead in
            let sql = database.sql
            for statement in BenchSchema.statements(backend) { try await sql.raw(SQLQueryString(statement)).run() }
            try await self.fill(backend, rows: entities, on: sql)
            try await sql.raw("UPDATE article SET title = title || ' v9', views = 9").run()
            try await sql.raw("INSERT INTO tag (article_id, name) SELECT id, 'tag' FROM article").run()
            try await VersioningEngine().install(on: sql)
            // The probe writes its own history: no backfill.
            try await VersioningEngine().enable("article", options: .init(entityName: Article.entityName), backfill: false, on: sql)
            try await VersioningEngine().enable("tag", options: .init(entityName: Tag.entityName), backfill: false, on: sql)
            // The index the versioning migration makes for a @Parent.
            try await sql.raw("CREATE INDEX ix_tag_version_article_id_transaction_id ON tag_version (article_id, transaction_id)").run()
            for version in 0..<10 {
                let end = version < 9 ? String(version + 2) : "NULL"
                let day = String(format: "%02d", version + 1)
                let transaction = "INSERT INTO \"transaction\" (id, issued_at) VALUES (\(version + 1), '2026-01-\(day) 00:00:00')"
                let versions = """
                    INSERT INTO article_version (id, title, body, status, views, transaction_id, end_transaction_id, operation_type) \
                    SELECT id, 'Article ' || id || ' v\(version)', body, status, \(version), \(version + 1), \(end), \(version == 0 ? 0 : 1) FROM article
                    """
                try await sql.raw(SQLQueryString(transaction)).run()
                try await sql.raw(SQLQueryString(versions)).run()
            }
            try await sql.raw(
                """
                INSERT INTO tag_version (id, article_id, name, transaction_id, end_transaction_id, operation_type)
                SELECT id, article_id, name, 1, NULL, 0 FROM tag
                """
            ).run()
            if backend == .postgres { try await sql.raw("ANALYZE").run() }
            var random = SplitMix64(seed: 7)
            var history: [Double] = []
            var asOf: [Double] = []
            for _ in 0..<self.reads {
                let id = 1 + Int(random.next() % UInt64(entities))
                history.append(
                    try await Self.time {
                        guard try await Article.versions(id: id, on: database.fluent).count == 10 else { throw BenchError("article \(id) lacks versions") }
                    } * 1e6)
                asOf.append(
                    try await Self.time {
                        guard try await Article.version(id: id, at: 5, on: database.fluent) != nil else { throw BenchError("article \(id) has no version at 5") }
                    } * 1e6)
            }
            // Relations of 100 versions, and an as-of page, each repeated.
            var relations: [Double] = []
            var pages: [Double] = []
            for _ in 0..<max(5, self.reads / 20) {
                let ids = (0..<100).map { _ in 1 + Int(random.next() % UInt64(entities)) }
                let versions = try await Article.query(on: database.fluent).filter(\.$id ~~ ids).filter(.sql(SQLRaw("transaction_id = 5"))).versions()
                relations.append(
                    try await Self.time {
                        let tags = try await versions.loadRelated(\.$tags, on: database.fluent)
                        guard tags.allSatisfy({ $0.count == 1 }) else { throw BenchError("a version lacks its tag") }
                    } * 1e6)
                let page = 1 + Int(random.next() % UInt64(max(1, entities / 20)))
                pages.append(
                    try await Self.time {
                        let found = try await Article.query(on: database.fluent).sort(\.$id).asOf(transaction: 5).paginate(PageRequest(page: page, per: 20))
                        guard found.items.count == 20, found.metadata.total == entities else { throw BenchError("as-of page \(page) is short") }
                    } * 1e6)
            }
            let plan = try await Self.relationPlan(backend, on: sql)
            return HistoryRead(
                backend: backend.rawValue, versionRows: versionRows, historyMicros: median(history), asOfMicros: median(asOf),
                relationsMicros: median(relations), asOfPageMicros: median(pages), relationPlan: plan
            )
        }
        log(
            "probe history \(backend.rawValue) \(versionRows) versions: \(String(format: "%.0f", read.historyMicros)) µs, as-of \(String(format: "%.0f", read.asOfMicros)) µs, tags of 100 versions \(String(format: "%.0f", read.relationsMicros)) µs, as-of page \(String(format: "%.0f", read.asOfPageMicros)) µs"
        )
        return read
    }

    /// The plan of the candidate-children query `loadRelated(\.$tags)` runs.
    private static func relationPlan(_ backend: Backend, on sql: any SQLDatabase) async throws -> String {
        let query = """
            SELECT DISTINCT "id" FROM "tag_version" WHERE "article_id" IN (1, 2, 3) AND "transaction_id" <= 5 \
            AND ("end_transaction_id" IS NULL OR "end_transaction_id" >= 5) AND "operation_type" <> 2 ORDER BY "id"
            """
        switch backend {
        case .sqlite:
            let rows = try await sql.raw(SQLQueryString("EXPLAIN QUERY PLAN " + query)).all()
            return try rows.map { try $0.decode(column: "detail", as: String.self) }.joined(separator: "\n")
        case .postgres:
            let rows = try await sql.raw(SQLQueryString("EXPLAIN (COSTS OFF) " + query)).all()
            return try rows.map { try $0.decode(column: "QUERY PLAN", as: String.self) }.joined(separator: "\n")
        }
    }

    // MARK: Support

    private func withFreshDatabase<R: Sendable>(_ backend: Backend, name: String, _ body: (OpenDatabase) async throws -> R) async throws -> R {
        let target: Target
        switch backend {
        case .sqlite:
            target = Target(backend: .sqlite, location: self.workDirectory.appendingPathComponent("\(name).sqlite").path)
            Orchestrator.removeSQLite(target.location)
        case .postgres:
            try await PostgresServer(url: self.postgresURL).recreate(name)
            target = Target(backend: .postgres, location: PostgresServer.url(self.postgresURL, database: name))
        }
        let result = try await target.withDatabase(body)
        switch backend {
        case .sqlite: Orchestrator.removeSQLite(target.location)
        case .postgres: try await PostgresServer(url: self.postgresURL).drop(name)
        }
        return result
    }

    static func time(_ body: () async throws -> Void) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try await body()
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
