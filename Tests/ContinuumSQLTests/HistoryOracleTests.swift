import ContinuumSQL
import Foundation
import SQLKit
import Testing

/// Property-based tests: random transactions against two related versioned tables, compared
/// after every transaction with an in-memory model of what history must be.
///
/// `CONTINUUM_ORACLE_SEQUENCES` sets how many sequences run per database (default 200),
/// `CONTINUUM_ORACLE_SEED` the first seed. A failure records the seed and the shortest
/// sequence of transactions that still fails.
@Suite("History oracle")
struct HistoryOracleTests {
    @Test("random transactions leave exactly the expected history", arguments: TestDatabase.allCases)
    func oracle(_ database: TestDatabase) async throws {
        try await Self.check(database)
    }

    /// The oracle's statements touch a few rows, so PostgreSQL runs them through the update
    /// function's static SQL; this run sends every one through its `EXECUTE`d bulk path.
    @Test("PostgreSQL: the same random transactions through the bulk-update path")
    func oracleBulkPath() async throws {
        try await VersioningConfiguration.$staticPlanRowLimit.withValue(0) {
            let sql = try VersioningEngine().versioningSQL(for: SQLShapeTests.postgresArticle, options: .init(), dialect: .postgresql)
            #expect(sql.contains { $0.contains(#"SELECT count(*) INTO v_count FROM "continuum_new_rows";"#) && $0.contains("IF v_count <= 0 THEN") })
            try await Self.check(.postgres)
        }
    }

    static func check(_ database: TestDatabase) async throws {
        let environment = ProcessInfo.processInfo.environment
        let sequences = environment["CONTINUUM_ORACLE_SEQUENCES"].flatMap(Int.init) ?? 200
        let firstSeed = environment["CONTINUUM_ORACLE_SEED"].flatMap(UInt64.init) ?? 1
        for seed in firstSeed..<(firstSeed + UInt64(sequences)) {
            let program = OracleProgram.generate(seed: seed)
            guard let failure = try await OracleRunner.run(program, on: database) else { continue }
            var shortest = program
            var index = 0
            while index < shortest.transactions.count {
                var candidate = shortest
                candidate.transactions.remove(at: index)
                if try await OracleRunner.run(candidate, on: database) != nil { shortest = candidate } else { index += 1 }
            }
            // Then drop single statements inside the remaining transactions.
            for transaction in shortest.transactions.indices.reversed() {
                var op = 0
                while op < shortest.transactions[transaction].ops.count, shortest.transactions[transaction].ops.count > 1 {
                    var candidate = shortest
                    candidate.transactions[transaction].ops.remove(at: op)
                    if try await OracleRunner.run(candidate, on: database) != nil { shortest = candidate } else { op += 1 }
                }
            }
            let final = try await OracleRunner.run(shortest, on: database) ?? failure
            Issue.record("seed \(seed) fails: \(final)\nshortest sequence:\n\(shortest)")
            return
        }
    }
}

/// A deterministic random number generator (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One statement of a generated transaction; made valid against the live rows when applied.
enum OracleOp: CustomStringConvertible, Sendable {
    case insertParent(id: Int, a: String?, b: Int?)
    case updateParent(id: Int, a: String?, b: Int?, setA: Bool, setB: Bool)
    case deleteParent(id: Int)
    case upsertParent(id: Int, a: String?, b: Int?)
    case bulkIncrement
    case insertChild(id: Int, parent: Int, v: String?)
    case updateChild(id: Int, v: String?)
    case deleteChild(id: Int)
    case moveChild(from: Int, to: Int)
    case bulkDeleteChildren(v: String)
    case savepoint([OracleOp], rollback: Bool)
    case nested([OracleOp])

    var description: String {
        switch self {
        case .insertParent(let id, let a, let b): "insert p \(id) a=\(a ?? "NULL") b=\(b.map(String.init) ?? "NULL")"
        case .updateParent(let id, let a, let b, let setA, let setB):
            "update p \(id)" + (setA ? " a=\(a ?? "NULL")" : "") + (setB ? " b=\(b.map(String.init) ?? "NULL")" : "")
        case .deleteParent(let id): "delete p \(id) (cascades)"
        case .upsertParent(let id, let a, let b): "upsert p \(id) a=\(a ?? "NULL") b=\(b.map(String.init) ?? "NULL")"
        case .bulkIncrement: "update p set b = b + 1"
        case .insertChild(let id, let parent, let v): "insert c \(id) p=\(parent) v=\(v ?? "NULL")"
        case .updateChild(let id, let v): "update c \(id) v=\(v ?? "NULL")"
        case .deleteChild(let id): "delete c \(id)"
        case .moveChild(let from, let to): "update c set id = \(to) where id = \(from)"
        case .bulkDeleteChildren(let v): "delete c where v = \(v)"
        case .savepoint(let ops, let rollback): "savepoint { \(ops.map(\.description).joined(separator: "; ")) } " + (rollback ? "rolled back" : "released")
        case .nested(let ops): "nested scope { \(ops.map(\.description).joined(separator: "; ")) }"
        }
    }
}

struct OracleTransaction: CustomStringConvertible, Sendable {
    var ops: [OracleOp]
    var rollback: Bool
    var description: String { "  " + (self.rollback ? "[rolled back] " : "") + self.ops.map(\.description).joined(separator: "; ") }
}

struct OracleProgram: CustomStringConvertible, Sendable {
    var transactions: [OracleTransaction]
    var description: String { self.transactions.map(\.description).joined(separator: "\n") }

    static func generate(seed: UInt64) -> OracleProgram {
        var random = SeededGenerator(state: seed)
        func text() -> String? { [nil, "x", "y", "z"].randomElement(using: &random)! }
        func number() -> Int? { [nil, 0, 1, 2].randomElement(using: &random)! }
        func key() -> Int { Int.random(in: 1...5, using: &random) }
        func op(depth: Int) -> OracleOp {
            switch Int.random(in: 0..<(depth == 0 ? 14 : 12), using: &random) {
            case 0, 1: return .insertParent(id: key(), a: text(), b: number())
            case 2, 3: return .updateParent(id: key(), a: text(), b: number(), setA: Bool.random(using: &random), setB: Bool.random(using: &random))
            case 4: return .deleteParent(id: key())
            case 5: return .upsertParent(id: key(), a: text(), b: number())
            case 6: return .bulkIncrement
            case 7: return .insertChild(id: key(), parent: key(), v: text())
            case 8: return .updateChild(id: key(), v: text())
            case 9: return .deleteChild(id: key())
            case 10: return .moveChild(from: key(), to: key())
            case 11: return .bulkDeleteChildren(v: text() ?? "x")
            case 12: return .savepoint((0..<Int.random(in: 1...3, using: &random)).map { _ in op(depth: 1) }, rollback: Bool.random(using: &random))
            default: return .nested((0..<Int.random(in: 1...2, using: &random)).map { _ in op(depth: 1) })
            }
        }
        let transactions = (0..<Int.random(in: 3...8, using: &random)).map { _ in
            OracleTransaction(
                ops: (0..<Int.random(in: 1...5, using: &random)).map { _ in op(depth: 0) },
                rollback: Int.random(in: 0..<8, using: &random) == 0
            )
        }
        return OracleProgram(transactions: transactions)
    }
}

/// The model of one versioned table: live rows, committed versions, and the version each
/// key has in the transaction in progress.
struct TableModel: Sendable {
    struct Version: Equatable, Sendable {
        var key: Int
        var values: [String?]
        var transactionID: Int
        var endTransactionID: Int?
        var operation: Int
        var mods: [Bool]
    }
    struct Pending: Equatable, Sendable {
        var values: [String?]
        var operation: Int
        var mods: [Bool]
    }

    var tracksMods: Bool
    var live: [Int: [String?]] = [:]
    var versions: [Version] = []
    var pending: [Int: Pending] = [:]

    mutating func inserted(_ key: Int, _ values: [String?]) {
        self.live[key] = values
        if var version = self.pending[key] {
            version.mods = zip(version.mods, zip(version.values, values)).map { $0 || $1.0 != $1.1 }
            version.operation = version.operation == 2 ? 1 : version.operation
            version.values = values
            self.pending[key] = version
        } else {
            self.pending[key] = Pending(values: values, operation: 0, mods: values.map { $0 != nil })
        }
    }

    mutating func updated(_ key: Int, _ values: [String?]) {
        guard let old = self.live[key], old != values else { return }
        self.live[key] = values
        let changed = zip(old, values).map { $0 != $1 }
        if var version = self.pending[key] {
            version.mods = zip(version.mods, changed).map { $0 || $1 }
            version.values = values
            self.pending[key] = version
        } else {
            self.pending[key] = Pending(values: values, operation: 1, mods: changed)
        }
    }

    mutating func deleted(_ key: Int) {
        guard let old = self.live.removeValue(forKey: key) else { return }
        if self.pending[key]?.operation == 0 {
            self.pending[key] = nil
        } else {
            self.pending[key] = Pending(values: old, operation: 2, mods: old.map { _ in true })
        }
    }

    mutating func commit(_ transactionID: Int) {
        for (key, version) in self.pending.sorted(by: { $0.key < $1.key }) {
            for index in self.versions.indices where self.versions[index].key == key && self.versions[index].endTransactionID == nil {
                self.versions[index].endTransactionID = transactionID
            }
            self.versions.append(
                Version(
                    key: key, values: version.values, transactionID: transactionID, endTransactionID: nil,
                    operation: version.operation, mods: version.mods))
        }
        self.pending = [:]
    }

    /// Rows as the test reads them back: key, values, transaction, end, operation, mods.
    var expectedRows: [[String?]] {
        self.versions.sorted { ($0.key, $0.transactionID) < ($1.key, $1.transactionID) }.map { version in
            [String(version.key)] + version.values + [
                String(version.transactionID), version.endTransactionID.map(String.init),
                String(version.operation),
            ]
                + (self.tracksMods ? version.mods.map { $0 ? "1" : "0" } : [])
        }
    }
}

struct OracleState: Sendable {
    var parent = TableModel(tracksMods: true)
    var child = TableModel(tracksMods: false)
    var fired = false
}

enum OracleRunner {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Runs `program` on a fresh database; returns a description of the first mismatch.
    static func run(_ program: OracleProgram, on database: TestDatabase) async throws -> String? {
        try await database.run { db in
            try await db.exec(
                "CREATE TABLE p (id INTEGER PRIMARY KEY, a TEXT, b INTEGER)",
                "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id) ON DELETE CASCADE, v TEXT)"
            )
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("p", options: .init(tracksModifiedColumns: true), on: db.sql)
            try await db.engine.enable("c", on: db.sql)
            var state = OracleState()
            for (number, transaction) in program.transactions.enumerated() {
                let before = state
                let transactionsBefore = try await db.count("transaction")
                struct Rollback: Error {}
                let box = StateBox(state)
                do {
                    try await db.engine.versioned(on: db.sql) { sql in
                        for op in transaction.ops { try await Self.apply(op, sql: sql, engine: db.engine, state: box) }
                        if transaction.rollback { throw Rollback() }
                    }
                } catch is Rollback {}
                state = box.state
                if transaction.rollback {
                    state = before
                } else if state.fired {
                    let id = try await db.sql.raw("SELECT MAX(id) AS n FROM \(ident: "transaction")").first()!.decode(column: "n", as: Int.self)
                    state.parent.commit(id)
                    state.child.commit(id)
                }
                let expectedTransactions = transactionsBefore + (!transaction.rollback && state.fired ? 1 : 0)
                state.fired = false
                let actualTransactions = try await db.count("transaction")
                if actualTransactions != expectedTransactions {
                    return "after transaction \(number): \(actualTransactions) transaction rows, expected \(expectedTransactions)"
                }
                let parents = try await db.versions("p_version", ["id", "a", "b"])
                let parentMods = try await db.rows("SELECT CAST(a_mod AS TEXT), CAST(b_mod AS TEXT) FROM p_version ORDER BY id, transaction_id")
                let actualParents = zip(parents, parentMods).map { $0 + $1 }
                if actualParents != state.parent.expectedRows {
                    return "after transaction \(number): p_version is\n\(actualParents)\nexpected\n\(state.parent.expectedRows)"
                }
                let children = try await db.versions("c_version", ["id", "p_id", "v"])
                if children != state.child.expectedRows {
                    return "after transaction \(number): c_version is\n\(children)\nexpected\n\(state.child.expectedRows)"
                }
                for table in ["p", "c"] {
                    let report = try await db.engine.verify(table, on: db.sql)
                    if !report.isValid { return "after transaction \(number): \(report) \(report.problems)" }
                }
            }
            return nil
        }
    }

    final class StateBox: @unchecked Sendable {
        var state: OracleState
        init(_ state: OracleState) { self.state = state }
    }

    static func text(_ number: Int?) -> String? { number.map(String.init) }

    static func apply(_ op: OracleOp, sql: any SQLDatabase, engine: VersioningEngine, state box: StateBox) async throws {
        var state: OracleState {
            get { box.state }
            set { box.state = newValue }
        }
        func fire(_ change: () -> Void) {
            let parent = state.parent.pending, child = state.child.pending
            let liveP = state.parent.live, liveC = state.child.live
            change()
            if state.parent.pending != parent || state.child.pending != child || state.parent.live != liveP || state.child.live != liveC {
                state.fired = true
            }
        }
        switch op {
        case .insertParent(let id, let a, let b):
            guard state.parent.live[id] == nil else { return }
            try await sql.raw("INSERT INTO p (id, a, b) VALUES (\(bind: id), \(bind: a), \(bind: b))").run()
            fire { state.parent.inserted(id, [a, text(b)]) }
        case .updateParent(let id, let a, let b, let setA, let setB):
            guard setA || setB else { return }
            var query: SQLQueryString = "UPDATE p SET "
            query = setA && setB ? query + "a = \(bind: a), b = \(bind: b)" : setA ? query + "a = \(bind: a)" : query + "b = \(bind: b)"
            try await sql.raw(query + " WHERE id = \(bind: id)").run()
            if let old = state.parent.live[id] {
                fire { state.parent.updated(id, [setA ? a : old[0], setB ? text(b) : old[1]]) }
            }
        case .deleteParent(let id):
            try await sql.raw("DELETE FROM p WHERE id = \(bind: id)").run()
            fire {
                guard state.parent.live[id] != nil else { return }
                for (child, values) in state.child.live where values[0] == String(id) { state.child.deleted(child) }
                state.parent.deleted(id)
            }
        case .upsertParent(let id, let a, let b):
            try await sql.raw("INSERT INTO p (id, a, b) VALUES (\(bind: id), \(bind: a), \(bind: b)) ON CONFLICT (id) DO UPDATE SET a = excluded.a").run()
            fire {
                if let old = state.parent.live[id] { state.parent.updated(id, [a, old[1]]) } else { state.parent.inserted(id, [a, text(b)]) }
            }
        case .bulkIncrement:
            try await sql.raw("UPDATE p SET b = b + 1").run()
            fire {
                for (id, values) in state.parent.live.sorted(by: { $0.key < $1.key }) {
                    if let b = values[1].flatMap(Int.init) { state.parent.updated(id, [values[0], String(b + 1)]) }
                }
            }
        case .insertChild(let id, let parent, let v):
            guard state.child.live[id] == nil else { return }
            let parentID: Int? = state.parent.live[parent] != nil ? parent : nil
            try await sql.raw("INSERT INTO c (id, p_id, v) VALUES (\(bind: id), \(bind: parentID), \(bind: v))").run()
            fire { state.child.inserted(id, [text(parentID), v]) }
        case .updateChild(let id, let v):
            try await sql.raw("UPDATE c SET v = \(bind: v) WHERE id = \(bind: id)").run()
            if let old = state.child.live[id] { fire { state.child.updated(id, [old[0], v]) } }
        case .deleteChild(let id):
            try await sql.raw("DELETE FROM c WHERE id = \(bind: id)").run()
            fire { state.child.deleted(id) }
        case .moveChild(let from, let to):
            guard from != to, let values = state.child.live[from], state.child.live[to] == nil else { return }
            try await sql.raw("UPDATE c SET id = \(bind: to) WHERE id = \(bind: from)").run()
            fire {
                state.child.deleted(from)
                state.child.inserted(to, values)
            }
        case .bulkDeleteChildren(let v):
            try await sql.raw("DELETE FROM c WHERE v = \(bind: v)").run()
            fire { for (id, values) in state.child.live where values[1] == v { state.child.deleted(id) } }
        case .savepoint(let ops, let rollback):
            let saved = state
            try await sql.raw("SAVEPOINT oracle").run()
            for op in ops { try await Self.apply(op, sql: sql, engine: engine, state: box) }
            if rollback {
                try await sql.raw("ROLLBACK TO SAVEPOINT oracle").run()
                state = saved
            }
            try await sql.raw("RELEASE SAVEPOINT oracle").run()
        case .nested(let ops):
            try await engine.versioned(on: sql, userID: "nested") { sql in
                for op in ops { try await Self.apply(op, sql: sql, engine: engine, state: box) }
            }
        }
    }
}
