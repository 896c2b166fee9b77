import FluentKit
import Foundation
import SQLKit

/// Runs every configuration on every backend for several rounds, alternating their order
/// (A B C ... then ... C B A), each run a child process on a fresh database; then measures the
/// database size and hands the runs to the report.
struct Orchestrator {
    var articles: Int
    var rounds: Int
    var seed: UInt64
    var backends: [Backend]
    var configurations: [Configuration]
    /// Maintenance database URL of the PostgreSQL server (`postgresql://user@host:port/postgres`).
    var postgresURL: String
    var python: String?
    var pythonScript: String?
    var workDirectory: URL
    /// continuum-bench built against the patched SQLite driver: runs the configurations that use
    /// its statement cache.
    var patchedBinary: String? = nil
    var statementCacheCapacity = 256

    struct Run: Codable, Sendable {
        var round: Int
        var result: WorkerResult
        /// Bytes of the database after the workload, compacted (SQLite `VACUUM`, PostgreSQL
        /// `VACUUM FULL`, then the file, or all tables with their indexes and TOAST).
        var sizeBytes: Int
    }

    func run() async throws -> [Run] {
        var runs: [Run] = []
        for round in 1...self.rounds {
            for backend in self.backends {
                let order = round % 2 == 1 ? self.configurations : self.configurations.reversed()
                // The statement cache is SQLiteNIO's: PostgreSQL has no such configurations.
                for configuration in order where backend == .sqlite || !configuration.usesStatementCache {
                    let run = try await self.runOne(configuration, backend: backend, round: round)
                    let insert = run.result.phases["insert"].map { String(format: "%.0f", $0.opsPerSecond) } ?? "?"
                    log("round \(round)/\(self.rounds) \(backend.rawValue) \(configuration.rawValue): insert \(insert) ops/s, \(run.sizeBytes / 1024) KiB")
                    runs.append(run)
                }
            }
        }
        return runs
    }

    private func runOne(_ configuration: Configuration, backend: Backend, round: Int) async throws -> Run {
        let name = "bench_r\(round)_\(configuration.rawValue.replacingOccurrences(of: "-", with: "_"))"
        let target: Target
        switch backend {
        case .sqlite:
            let path = self.workDirectory.appendingPathComponent("\(name).sqlite").path
            Self.removeSQLite(path)
            target = Target(backend: .sqlite, location: path)
        case .postgres:
            try await PostgresServer(url: self.postgresURL).recreate(name)
            target = Target(backend: .postgres, location: PostgresServer.url(self.postgresURL, database: name))
        }
        let output = try self.spawnWorker(configuration, target: target)
        let result = try JSONDecoder().decode(WorkerResult.self, from: output)
        let size = try await Self.compactedSize(target)
        switch backend {
        case .sqlite: Self.removeSQLite(target.location)
        case .postgres: try await PostgresServer(url: self.postgresURL).drop(name)
        }
        return Run(round: round, result: result, sizeBytes: size)
    }

    private func spawnWorker(_ configuration: Configuration, target: Target) throws -> Data {
        var arguments = ["--config", configuration.rawValue, "--backend", target.backend.rawValue, "--n", String(self.articles), "--seed", String(self.seed)]
        switch target.backend {
        case .sqlite: arguments += ["--sqlite-path", target.location]
        case .postgres:
            arguments += ["--pg-url", configuration.isPython ? target.location.replacingOccurrences(of: "postgresql://", with: "postgresql+psycopg2://") : target.location]
        }
        let process = Process()
        if configuration.isPython {
            guard let python = self.python, let script = self.pythonScript else {
                throw BenchError("\(configuration.rawValue) needs --python and --python-script (scripts/bench.sh sets them)")
            }
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script] + arguments
        } else if configuration.usesStatementCache {
            guard let patched = self.patchedBinary else {
                throw BenchError("\(configuration.rawValue) needs --patched-bin (scripts/bench.sh --patched-sqlite sets it)")
            }
            process.executableURL = URL(fileURLWithPath: patched)
            process.arguments = ["worker"] + arguments + ["--sqlite-statement-cache", String(self.statementCacheCapacity)]
        } else {
            process.executableURL = Bundle.main.executableURL
            process.arguments = ["worker"] + arguments
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError("worker \(configuration.rawValue) on \(target.backend.rawValue) failed with status \(process.terminationStatus)")
        }
        return data
    }

    static func compactedSize(_ target: Target) async throws -> Int {
        switch target.backend {
        case .sqlite:
            try await target.withDatabase { database in
                try await database.sql.raw("VACUUM").run()
                try await database.sql.raw("PRAGMA wal_checkpoint(TRUNCATE)").run()
            }
            return ["", "-wal"].reduce(0) { total, suffix in
                total + ((try? FileManager.default.attributesOfItem(atPath: target.location + suffix)[.size] as? Int) ?? 0)
            }
        case .postgres:
            return try await target.withDatabase { database in
                try await database.sql.raw("VACUUM FULL").run()
                let row = try await database.sql.raw(
                    """
                    SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::int8 AS "bytes" FROM pg_class c
                    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'
                    """
                ).first()
                return try row?.decode(column: "bytes", as: Int.self) ?? 0
            }
        }
    }

    static func removeSQLite(_ path: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}

/// Creates and drops the per-run databases through the maintenance database.
struct PostgresServer {
    var url: String

    static func url(_ url: String, database: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.path = "/" + database
        return components.string ?? url
    }

    func recreate(_ name: String) async throws {
        try await self.administer("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)", "CREATE DATABASE \"\(name)\"")
    }

    func drop(_ name: String) async throws {
        try await self.administer("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
    }

    private func administer(_ statements: String...) async throws {
        try await Target(backend: .postgres, location: self.url).withDatabase { database in
            for statement in statements { try await database.sql.raw(SQLQueryString(statement)).run() }
        }
    }
}

/// Progress goes to stderr; stdout carries results only.
func log(_ message: String) {
    FileHandle.standardError.write(Data(("continuum-bench: " + message + "\n").utf8))
}
