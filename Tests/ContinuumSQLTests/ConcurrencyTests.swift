import ContinuumSQL
import Foundation
import SQLKit
import Testing

/// Many connections writing overlapping rows at once (PostgreSQL: SQLite has one writer).
@Suite("Concurrency on PostgreSQL", .serialized)
struct ConcurrencyTests {
    static let rows = 20

    /// Runs `body` until it commits, retrying on serialization failures and deadlocks as an
    /// application would. Returns how many attempts failed.
    static func retrying(_ body: () async throws -> Void) async throws -> Int {
        var failures = 0
        while true {
            do {
                try await body()
                return failures
            } catch {
                let detail = String(reflecting: error)
                guard detail.contains("40001") || detail.contains("40P01") else { throw error }
                failures += 1
            }
        }
    }

    static func run(isolation: String, connections: Int, transactions: Int) async throws {
        try await TestDatabase.postgres.run(connectionsPerEventLoop: connections) { db in
            try await SemanticsTests.setUp(db)
            try await db.engine.versioned(on: db.sql) { sql in
                for id in 1...Self.rows { try await sql.raw("INSERT INTO item (id, name, qty) VALUES (\(bind: id), 'r', 0)").run() }
            }
            let committedVersions = try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<connections {
                    group.addTask {
                        var random = SeededGenerator(state: UInt64(worker + 1))
                        var versions = 0
                        for _ in 0..<transactions {
                            let first = Int.random(in: 1...Self.rows, using: &random)
                            let second = Int.random(in: 1...Self.rows, using: &random)
                            _ = try await Self.retrying {
                                try await db.sql.withSession { connection in
                                    let begin = "BEGIN ISOLATION LEVEL " + isolation
                                    try await connection.raw(SQLQueryString(begin)).run()
                                    do {
                                        try await db.engine.versioned(on: connection, userID: "worker \(worker)") { sql in
                                            try await sql.raw("UPDATE item SET qty = qty + 1 WHERE id = \(bind: first)").run()
                                            try await sql.raw("UPDATE item SET qty = qty + 1 WHERE id = \(bind: second)").run()
                                        }
                                        try await connection.raw("COMMIT").run()
                                    } catch {
                                        try? await connection.raw("ROLLBACK").run()
                                        throw error
                                    }
                                }
                            }
                            versions += first == second ? 1 : 2
                        }
                        return versions
                    }
                }
                return try await group.reduce(0, +)
            }
            let report = try await db.engine.verify("item", on: db.sql)
            #expect(report.isValid, "\(report)")
            #expect(try await db.count("item_version") == Self.rows + committedVersions)
            #expect(try await db.count("transaction") == 1 + connections * transactions)
            let total = try await db.sql.raw("SELECT SUM(qty) AS n FROM item").first()!.decode(column: "n", as: Int.self)
            #expect(total == 2 * connections * transactions, "every committed increment is in the table")
        }
    }

    @Test("16 connections x 500 transactions under READ COMMITTED keep every chain intact")
    func readCommitted() async throws {
        try await Self.run(isolation: "READ COMMITTED", connections: 16, transactions: 500)
    }

    @Test("16 connections x 100 transactions under REPEATABLE READ, retried on serialization failures")
    func repeatableRead() async throws {
        try await Self.run(isolation: "REPEATABLE READ", connections: 16, transactions: 100)
    }

    /// Regression (found by the READ COMMITTED test): a transaction that took its id first but
    /// changed a row after a younger transaction committed it closed that version with an
    /// older id, so the chain ran backwards. It is now renumbered past the younger one.
    @Test("regression: an older transaction that closes a younger one's version is renumbered")
    func olderTransactionIsRenumbered() async throws {
        try await TestDatabase.postgres.run(connectionsPerEventLoop: 4) { db in
            try await SemanticsTests.setUp(db)
            try await db.exec("INSERT INTO item (id, name, qty) VALUES (1, 'a', 0), (2, 'b', 0)")
            try await db.sql.withSession { older in
                try await older.raw("BEGIN").run()
                try await older.raw("UPDATE item SET qty = 1 WHERE id = 2").run()  // takes the older id
                try await db.engine.versioned(on: db.sql) { younger in
                    try await younger.raw("UPDATE item SET qty = 2 WHERE id = 1").run()
                }
                try await older.raw("UPDATE item SET qty = 3 WHERE id = 1").run()  // closes the younger version
                try await older.raw("COMMIT").run()
            }
            #expect(
                try await db.versions("item_version", ["id", "qty"]) == [
                    ["1", "0", "1", "3", "0"],
                    ["1", "2", "3", "4", "1"],
                    ["1", "3", "4", nil, "1"],
                    ["2", "0", "1", "4", "0"],
                    ["2", "1", "4", nil, "1"],
                ])
            // The older transaction took id 2 and left it for 4: ids follow commit order.
            #expect(try await db.rows("SELECT CAST(id AS TEXT) FROM \"transaction\" ORDER BY id") == [["1"], ["3"], ["4"]])
            #expect(try await db.rows("SELECT CAST(transaction_id AS TEXT) FROM transaction_changes ORDER BY 1") == [["1"], ["3"], ["4"]])
            try await db.expectConsistent("item")
        }
    }

    @Test("two transactions inserting the same key: one wins, history has one INSERT")
    func sameKeyInsert() async throws {
        try await TestDatabase.postgres.run(connectionsPerEventLoop: 4) { db in
            try await SemanticsTests.setUp(db)
            let results = await withTaskGroup(of: Bool.self) { group in
                for name in ["first", "second"] {
                    group.addTask {
                        do {
                            try await db.engine.versioned(on: db.sql, userID: name) { sql in
                                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, \(bind: name), 0)").run()
                                try await Task.sleep(for: .milliseconds(50))
                            }
                            return true
                        } catch {
                            return false
                        }
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            #expect(try await db.count("item_version") == 1)
            #expect(try await db.count("transaction") == 1)
            #expect(try await db.engine.verify("item", on: db.sql).isValid)
        }
    }
}
