import Foundation

/// Medians, within-round ratios and the markdown tables, from the runs of one session.
struct Report: Codable, Sendable {
    struct PhaseSummary: Codable, Sendable {
        var backend: String
        var phase: String
        /// Median ops/s per configuration.
        var opsPerSecond: [String: Double]
        /// Per versioned configuration: median over rounds of (versioned ops/s ÷ its unversioned
        /// twin's ops/s in the same round).
        var ratio: [String: Double]
        /// Per versioned configuration: median over rounds of (versioned − unversioned) µs per op.
        var costMicros: [String: Double]
        /// Median over rounds of Fluent + continuum ops/s ÷ SQLAlchemy-Continuum ops/s.
        var oursOverContinuum: Double?
        /// Median over rounds of Continuum's versioning cost ÷ ours (Fluent stack).
        var continuumCostOverOurs: Double?
    }

    struct ConfigurationSummary: Codable, Sendable {
        var backend: String
        var config: String
        var sizeBytes: Int
        var peakRSSKiB: Int
        var rows: [String: Int]
    }

    var date: String
    var machine: String
    var articles: Int
    var rounds: Int
    var phases: [PhaseSummary]
    var configurations: [ConfigurationSummary]
    var probes: Probes.Results?
    var runs: [Orchestrator.Run]
    /// Prepared statements per connection in the `*-cached` configurations, when they ran.
    var statementCacheCapacity: Int?

    init(runs: [Orchestrator.Run], articles: Int, rounds: Int, probes: Probes.Results?, statementCacheCapacity: Int? = nil) {
        self.statementCacheCapacity = statementCacheCapacity
        self.date = ISO8601DateFormatter().string(from: Date())
        self.machine = "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory / 1_073_741_824) GiB"
        self.articles = articles
        self.rounds = rounds
        self.runs = runs
        self.probes = probes
        self.phases = []
        self.configurations = []
        let backends = Backend.allCases.filter { backend in runs.contains { $0.result.backend == backend.rawValue } }
        for backend in backends {
            let mine = runs.filter { $0.result.backend == backend.rawValue }
            func opsPerSecond(_ config: Configuration, _ phase: Workload.Phase, round: Int) -> Double? {
                mine.first { $0.round == round && $0.result.config == config.rawValue }?.result.phases[phase.rawValue]?.opsPerSecond
            }
            let rounds = Set(mine.map(\.round)).sorted()
            let present = Configuration.allCases.filter { config in mine.contains { $0.result.config == config.rawValue } }
            for phase in Workload.Phase.allCases {
                var summary = PhaseSummary(backend: backend.rawValue, phase: phase.rawValue, opsPerSecond: [:], ratio: [:], costMicros: [:])
                for config in present {
                    summary.opsPerSecond[config.rawValue] = median(rounds.compactMap { opsPerSecond(config, phase, round: $0) })
                    guard let baseline = config.baseline, present.contains(baseline) else { continue }
                    let pairs = rounds.compactMap { round in
                        opsPerSecond(config, phase, round: round).flatMap { v in opsPerSecond(baseline, phase, round: round).map { (v, $0) } }
                    }
                    summary.ratio[config.rawValue] = median(pairs.map { $0.0 / $0.1 })
                    summary.costMicros[config.rawValue] = median(pairs.map { 1e6 / $0.0 - 1e6 / $0.1 })
                }
                let versus = rounds.compactMap { round -> (Double, Double)? in
                    guard let ours = opsPerSecond(.fluentVersioned, phase, round: round), let ourBase = opsPerSecond(.fluent, phase, round: round),
                        let theirs = opsPerSecond(.continuum, phase, round: round), let theirBase = opsPerSecond(.sqlalchemy, phase, round: round)
                    else { return nil }
                    return (ours / theirs, (1e6 / theirs - 1e6 / theirBase) / (1e6 / ours - 1e6 / ourBase))
                }
                if !versus.isEmpty {
                    summary.oursOverContinuum = median(versus.map(\.0))
                    summary.continuumCostOverOurs = median(versus.map(\.1))
                }
                self.phases.append(summary)
            }
            for config in present {
                let own = mine.filter { $0.result.config == config.rawValue }
                self.configurations.append(
                    ConfigurationSummary(
                        backend: backend.rawValue, config: config.rawValue,
                        sizeBytes: Int(median(own.map { Double($0.sizeBytes) })),
                        peakRSSKiB: Int(median(own.map { Double($0.result.peakRSSKiB) })),
                        rows: own.last?.result.rows ?? [:]
                    ))
            }
        }
    }

    var markdown: String {
        var lines: [String] = []
        lines.append(
            "Run \(self.date) on \(self.machine); N = \(self.articles) articles, \(self.rounds) round(s), medians; ratio = versioned ÷ unversioned ops/s in the same round; cost = extra µs per op.")
        for backend in Backend.allCases {
            let phases = self.phases.filter { $0.backend == backend.rawValue }
            guard !phases.isEmpty else { continue }
            lines += ["", "#### \(backend.title)", ""]
            lines.append(
                "| phase | Fluent | + continuum | ratio | cost µs | raw SQL | + continuum | ratio | cost µs | SQLAlchemy | + Continuum | ratio | cost µs | ours ÷ Continuum (ops/s) | Continuum cost ÷ ours |"
            )
            lines.append("|---|" + String(repeating: "---:|", count: 14))
            for summary in phases {
                var cells = [summary.phase]
                for (base, versioned) in [(Configuration.fluent, Configuration.fluentVersioned), (.sql, .sqlVersioned), (.sqlalchemy, .continuum)] {
                    cells.append(format(summary.opsPerSecond[base.rawValue], "%.0f"))
                    cells.append(format(summary.opsPerSecond[versioned.rawValue], "%.0f"))
                    cells.append(format(summary.ratio[versioned.rawValue], "%.2f"))
                    cells.append(format(summary.costMicros[versioned.rawValue], "%.0f"))
                }
                cells.append(format(summary.oursOverContinuum, "%.2f"))
                // A cost factor means something only when both stacks pay a cost (not on no-ops).
                let costs = [summary.costMicros[Configuration.fluentVersioned.rawValue], summary.costMicros[Configuration.continuum.rawValue]]
                cells.append(costs.allSatisfy { ($0 ?? 0) > 1 } ? format(summary.continuumCostOverOurs, "%.1f") : "—")
                lines.append("| " + cells.joined(separator: " | ") + " |")
            }
            if phases.contains(where: { $0.opsPerSecond[Configuration.fluentVersionedCached.rawValue] != nil }) {
                lines += self.driverComparison(phases, title: backend.title)
            }
            lines += ["", "| configuration | database size after the workload (compacted) | peak RSS | versions (article + tag) |", "|---|---:|---:|---:|"]
            for config in self.configurations where config.backend == backend.rawValue {
                let versions = (config.rows["article_version"] ?? 0) + (config.rows["tag_version"] ?? 0)
                lines.append(
                    "| \(Configuration(rawValue: config.config)?.title ?? config.config) | \(String(format: "%.2f MiB", Double(config.sizeBytes) / 1_048_576)) | \(String(format: "%.0f MiB", Double(config.peakRSSKiB) / 1024)) | \(versions == 0 ? "—" : String(versions)) |"
                )
            }
        }
        if let probes = self.probes { lines += ["", probes.markdown] }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Fluent with the stock SQLite driver and with the patched one (statement cache), side by side:
    /// each pair's ratio taken within the round, the stock and patched pairs alternating in it.
    private func driverComparison(_ phases: [PhaseSummary], title: String) -> [String] {
        let capacity = self.statementCacheCapacity.map { "\($0) statements" } ?? "enabled"
        var lines = [
            "", "#### \(title): Fluent on the stock and on the patched driver (statement cache: \(capacity))", "",
            "| phase | Fluent | + continuum | ratio | cost µs | Fluent, cache | + continuum, cache | ratio | cost µs | unversioned: cache ÷ stock | versioned: cache ÷ stock |",
            "|---|" + String(repeating: "---:|", count: 10),
        ]
        for summary in phases {
            var cells = [summary.phase]
            for (base, versioned) in [(Configuration.fluent, Configuration.fluentVersioned), (.fluentCached, .fluentVersionedCached)] {
                cells.append(format(summary.opsPerSecond[base.rawValue], "%.0f"))
                cells.append(format(summary.opsPerSecond[versioned.rawValue], "%.0f"))
                cells.append(format(summary.ratio[versioned.rawValue], "%.2f"))
                cells.append(format(summary.costMicros[versioned.rawValue], "%.0f"))
            }
            for (stock, cached) in [(Configuration.fluent, Configuration.fluentCached), (.fluentVersioned, .fluentVersionedCached)] {
                let gain = summary.opsPerSecond[cached.rawValue].flatMap { c in summary.opsPerSecond[stock.rawValue].map { c / $0 } }
                cells.append(format(gain, "%.2f"))
            }
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines
    }
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

func format(_ value: Double?, _ pattern: String) -> String {
    guard let value, value.isFinite else { return "—" }
    return String(format: pattern, value)
}
