import ArgumentParser
import Foundation

@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "continuum-bench",
        abstract: "Versioned vs unversioned vs raw SQL vs SQLAlchemy-Continuum, side by side (see BENCHMARKS.md).",
        subcommands: [RunCommand.self, WorkerCommand.self],
        defaultSubcommand: RunCommand.self
    )
}

/// Runs the whole comparison and writes results.json and results.md.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run every configuration, alternating, then the scale probes.")

    @Option(help: "Articles per workload (N).") var n = 5_000
    @Option(help: "Rounds; each runs every configuration once, in alternating order.") var rounds = 3
    @Option(help: "Seed of the workload's random stream.") var seed: UInt64 = 1
    @Option(help: "Comma-separated backends: sqlite, postgres.") var backends = "sqlite,postgres"
    @Option(help: "Comma-separated configurations (default: all; fluent-cached and fluent-versioned-cached only with --patched-bin).")
    var configs: String?
    @Option(help: "continuum-bench built against the patched SQLite driver (scripts/bench.sh --patched-sqlite); runs the *-cached configurations on SQLite.")
    var patchedBin: String?
    @Option(help: "Prepared statements per connection in the *-cached configurations.") var statementCache = 256
    @Option(help: "PostgreSQL maintenance database URL; runs get databases of their own.") var pgURL = "postgresql://postgres@127.0.0.1:5432/postgres"
    @Option(help: "Python interpreter with SQLAlchemy-Continuum 2.0.0.") var python: String?
    @Option(help: "Path of continuum/bench_continuum.py.") var pythonScript: String?
    @Option(help: "Where databases and results go.") var outDir = ".build/bench-results"
    @Option(help: "Rows of the bulk UPDATE probe (0 skips the probes).") var probeRows = 100_000
    @Option(help: "Version rows of the large history-read probe.") var probeVersions = 1_000_000
    @Option(help: "PostgreSQL: comma-separated row counts of the large bulk-UPDATE probe (empty skips it).") var probeLargeRows = "100000,200000,1000000"

    func run() async throws {
        guard self.n >= Workload.minimumArticles else { throw ValidationError("--n must be at least \(Workload.minimumArticles)") }
        let backends = try self.backends.split(separator: ",").map { name in
            guard let backend = Backend(rawValue: String(name)) else { throw ValidationError("unknown backend \(name)") }
            return backend
        }
        let defaults = Configuration.allCases.filter { self.patchedBin != nil || !$0.usesStatementCache }
        let configurations = try (self.configs?.split(separator: ",").map(String.init) ?? defaults.map(\.rawValue)).map { name in
            guard let configuration = Configuration(rawValue: name) else { throw ValidationError("unknown configuration \(name)") }
            if configuration.usesStatementCache, self.patchedBin == nil { throw ValidationError("\(name) needs --patched-bin") }
            return configuration
        }
        guard self.statementCache > 0 else { throw ValidationError("--statement-cache must be at least 1") }
        let directory = URL(fileURLWithPath: self.outDir)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let runs = try await Orchestrator(
            articles: self.n, rounds: self.rounds, seed: self.seed, backends: backends, configurations: configurations,
            postgresURL: self.pgURL, python: self.python, pythonScript: self.pythonScript, workDirectory: directory,
            patchedBinary: self.patchedBin, statementCacheCapacity: self.statementCache
        ).run()
        var probes: Probes.Results?
        if self.probeRows > 0 {
            probes = try await Probes(
                backends: backends, postgresURL: self.pgURL, workDirectory: directory, bulkRows: self.probeRows,
                repetitions: 3, smallVersions: 10_000, largeVersions: self.probeVersions, reads: 300,
                largeBulkRows: self.probeLargeRows.split(separator: ",").compactMap { Int($0) }
            ).run()
        }
        let report = Report(
            runs: runs, articles: self.n, rounds: self.rounds, probes: probes,
            statementCacheCapacity: self.patchedBin == nil ? nil : self.statementCache
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: directory.appendingPathComponent("results.json"))
        try Data(report.markdown.utf8).write(to: directory.appendingPathComponent("results.md"))
        print(report.markdown)
        log("results in \(directory.path)/results.json and results.md")
    }
}

/// One configuration's workload on one database; prints one JSON object. Started by `run`.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run one configuration (used by run).")

    @Option var config: String
    @Option var backend: String
    @Option var n: Int
    @Option var seed: UInt64
    @Option var sqlitePath: String?
    @Option var pgURL: String?
    @Option var sqliteStatementCache = 0
    @Option(help: "Comma-separated phases to run (default: all), e.g. insert,update,noop,delete to profile writes.") var phases: String?

    func run() async throws {
        guard let configuration = Configuration(rawValue: self.config), !configuration.isPython else {
            throw ValidationError("unknown Swift configuration \(self.config)")
        }
        guard let backend = Backend(rawValue: self.backend), let location = backend == .sqlite ? self.sqlitePath : self.pgURL else {
            throw ValidationError("--backend sqlite needs --sqlite-path; --backend postgres needs --pg-url")
        }
        let worker = Worker(
            configuration: configuration,
            target: Target(backend: backend, location: location, statementCacheCapacity: self.sqliteStatementCache),
            workload: Workload(articles: self.n, seed: self.seed), seed: self.seed,
            phases: try self.phases.map { list in
                try list.split(separator: ",").map { name in
                    guard let phase = Workload.Phase(rawValue: String(name)) else { throw ValidationError("unknown phase \(name)") }
                    return phase
                }
            } ?? Workload.Phase.allCases
        )
        let result = try await worker.run()
        FileHandle.standardOutput.write(try JSONEncoder().encode(result))
    }
}
