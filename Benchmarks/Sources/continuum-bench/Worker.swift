import FluentContinuum
import FluentKit
import Foundation
import SQLKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One configuration's full workload on one fresh database, in this process; the orchestrator
/// starts it as a child process so that its peak RSS is its own.
struct Worker {
    var configuration: Configuration
    var target: Target
    var workload: Workload
    var seed: UInt64
    /// The phases to run, in the workload's order (all by default; fewer for profiling).
    var phases = Workload.Phase.allCases

    func run() async throws -> WorkerResult {
        try await self.target.withDatabase { try await self.runPhases(on: $0) }
    }

    private func runPhases(on database: OpenDatabase) async throws -> WorkerResult {
        for statement in BenchSchema.statements(self.target.backend) {
            try await database.sql.raw(SQLQueryString(statement)).run()
        }
        if self.configuration.isVersioned {
            // scripts/bench-storage.sh measures SQLAlchemy-Continuum's four other indexes too.
            let engine = VersioningEngine(
                configuration: .init(createsContinuumIndexes: ProcessInfo.processInfo.environment["CONTINUUM_BENCH_CONTINUUM_INDEXES"] == "1"))
            try await engine.install(on: database.sql)
            // CONTINUUM_BENCH_UPDATE_TRIGGER=per-row: both tables with the row-level update trigger.
            let updateTrigger: TableVersioningOptions.UpdateTrigger =
                ProcessInfo.processInfo.environment["CONTINUUM_BENCH_UPDATE_TRIGGER"] == "per-row" ? .perRow : .perStatement
            try await engine.enable("article", options: .init(entityName: Article.entityName, updateTrigger: updateTrigger), on: database.sql)
            try await engine.enable("tag", options: .init(entityName: Tag.entityName, updateTrigger: updateTrigger), on: database.sql)
        }
        var phases: [String: WorkerResult.PhaseTiming] = [:]
        for phase in Workload.Phase.allCases where self.phases.contains(phase) {
            let seconds = try await Probes.time {
                switch self.configuration {
                case .fluent, .fluentVersioned, .fluentCached, .fluentVersionedCached:
                    try await FluentWorkload(workload: self.workload, versioned: self.configuration.isVersioned).run(phase, on: database.fluent)
                case .sql, .sqlVersioned:
                    try await SQLWorkload(workload: self.workload, versioned: self.configuration.isVersioned).run(phase, on: database)
                case .sqlalchemy, .continuum:
                    throw BenchError("\(self.configuration.rawValue) runs in the Python worker")
                }
            }
            phases[phase.rawValue] = .init(ops: self.workload.ops(phase), seconds: seconds)
        }
        var rows: [String: Int] = [:]
        var tables = ["article", "tag"]
        if self.configuration.isVersioned { tables += ["article_version", "tag_version", "transaction"] }
        for table in tables {
            let row = try await database.sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()
            rows[table] = try row?.decode(column: "n", as: Int.self)
        }
        return WorkerResult(
            stack: "swift", config: self.configuration.rawValue, backend: self.target.backend.rawValue,
            n: self.workload.articles, seed: self.seed, phases: phases, peakRSSKiB: Self.peakRSSKiB(), rows: rows
        )
    }

    /// The process's peak resident set size in KiB (Linux reports `ru_maxrss` in KiB).
    static func peakRSSKiB() -> Int {
        var usage = rusage()
        #if canImport(Glibc)
            getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
            getrusage(RUSAGE_SELF, &usage)
        #endif
        #if canImport(Darwin)
            return Int(usage.ru_maxrss) / 1024
        #else
            return Int(usage.ru_maxrss)
        #endif
    }
}
