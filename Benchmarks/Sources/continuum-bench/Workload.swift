import Foundation

/// The workload of `shared/design/PERFORMANCE.md`, generated identically by the Swift worker and
/// the SQLAlchemy-Continuum worker (`continuum/bench_continuum.py`): the same SplitMix64 stream,
/// drawn in the same order, gives byte-identical articles on both stacks.
struct Workload: Sendable {
    /// The phases, in the order they run.
    enum Phase: String, CaseIterable, Codable, Sendable {
        case insert, update, noop, delete, read, revert
    }

    /// Ops per write transaction.
    static let batchSize = 100
    static let noopCount = 2_000
    static let deleteCount = 1_000
    static let readCount = 1_000
    static let revertCount = 500
    /// The smallest N the phases fit in (deletes and the ids reads draw from must not overlap).
    static let minimumArticles = 2_000

    static let vocabulary = """
        lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore \
        et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex commodo
        """.split(separator: " ").map(String.init)

    let articles: Int
    /// Insert-time body of article k at index k - 1.
    let bodies: [String]
    let readIDs: [Int]
    let revertIDs: [Int]

    init(articles: Int, seed: UInt64) {
        precondition(Self.vocabulary.count == 32)
        var random = SplitMix64(seed: seed)
        self.articles = articles
        self.bodies = (1...articles).map { _ in
            let count = 40 + Int(random.next() % 51)
            return (0..<count).map { _ in Self.vocabulary[Int(random.next() % 32)] }.joined(separator: " ")
        }
        let readable = UInt64(articles - Self.deleteCount)
        self.readIDs = (0..<Self.readCount).map { _ in 1 + Int(random.next() % readable) }
        self.revertIDs = (0..<Self.revertCount).map { _ in 1 + Int(random.next() % readable) }
    }

    static func title(_ id: Int) -> String { "Article \(id)" }
    static func updatedTitle(_ id: Int) -> String { "Article \(id) v2" }
    static func tagName(_ id: Int) -> String { "tag\(id % 20)" }
    static let status = "draft"

    func body(_ id: Int) -> String { self.bodies[id - 1] }

    /// Ids 1...N in write batches.
    var allIDBatches: [[Int]] { Self.batches(Array(1...self.articles)) }
    var noopIDBatches: [[Int]] { Self.batches(Array(1...Self.noopCount)) }
    var deleteIDBatches: [[Int]] { Self.batches(Array((self.articles - Self.deleteCount + 1)...self.articles)) }
    var revertIDBatches: [[Int]] { Self.batches(self.revertIDs) }

    static func batches(_ ids: [Int]) -> [[Int]] {
        stride(from: 0, to: ids.count, by: Self.batchSize).map { Array(ids[$0..<min($0 + Self.batchSize, ids.count)]) }
    }

    func ops(_ phase: Phase) -> Int {
        switch phase {
        case .insert, .update: self.articles
        case .noop: Self.noopCount
        case .delete: Self.deleteCount
        case .read: Self.readCount
        case .revert: Self.revertCount
        }
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and the same in every language.
struct SplitMix64: Sendable {
    private var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What one worker run reports on stdout (the Python worker prints the same shape).
struct WorkerResult: Codable, Sendable {
    struct PhaseTiming: Codable, Sendable {
        var ops: Int
        var seconds: Double
        var opsPerSecond: Double { Double(self.ops) / self.seconds }
    }

    var stack: String
    var config: String
    var backend: String
    var n: Int
    var seed: UInt64
    var phases: [String: PhaseTiming]
    var peakRSSKiB: Int
    var rows: [String: Int]

    enum CodingKeys: String, CodingKey {
        case stack, config, backend, n, seed, phases, rows
        case peakRSSKiB = "peak_rss_kib"
    }
}
