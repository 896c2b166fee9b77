import ContinuumSQL
import FluentContinuum
import FluentKit
import Foundation
import SQLKit
import Testing

@Suite("Versioned scopes")
struct ScopeTests {
    @Test("a scope records its user, remote address and meta on one transaction", arguments: TestDatabase.allCases)
    func context(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await SemanticsTests.setUp(db)
            try await db.engine.versioned(on: db.sql, userID: "42", remoteAddress: "2001:db8::1", meta: ["reason": "typo", "ticket": "7"]) { sql in
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1), (2, 'b', 2)").run()
                try await sql.raw("UPDATE item SET qty = 3 WHERE id = 2").run()
            }
            #expect(try await db.rows("SELECT user_id, remote_addr FROM \"transaction\"") == [["42", "2001:db8::1"]])
            #expect(try await db.rows("SELECT \"key\", value FROM transaction_meta ORDER BY \"key\"") == [["reason", "typo"], ["ticket", "7"]])
            #expect(try await db.count("item_version", where: "transaction_id = 1") == 2)
            let log = try await db.engine.transactions(on: db.sql)
            #expect(log.count == 1)
            #expect(log.first?.meta == ["reason": "typo", "ticket": "7"])
            #expect(log.first?.changedEntities == ["item"])
            let issuedAt = try #require(log.first?.issuedAt)
            #expect(abs(issuedAt.timeIntervalSinceNow) < 120, "issued_at is naive UTC, read back as the current time")
        }
    }

    @Test("nested scopes join the outer transaction and add their meta", arguments: TestDatabase.allCases)
    func nested(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await SemanticsTests.setUp(db)
            try await db.engine.versioned(on: db.sql, userID: "outer", meta: ["a": "1"]) { sql in
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)").run()
                try await db.engine.versioned(on: sql, userID: "inner", meta: ["b": "2"]) { sql in
                    try await sql.raw("INSERT INTO item (id, name, qty) VALUES (2, 'b', 1)").run()
                }
            }
            #expect(try await db.rows("SELECT CAST(id AS TEXT), user_id FROM \"transaction\"") == [["1", "outer"]])
            #expect(try await db.rows("SELECT \"key\", value FROM transaction_meta ORDER BY \"key\"") == [["a", "1"], ["b", "2"]])
            #expect(try await db.count("item_version", where: "transaction_id = 1") == 2)
        }
    }

    @Test("a nested scope on another handle than the outer scope's is refused before it runs", arguments: TestDatabase.allCases)
    func nestedOnAnotherHandle(_ database: TestDatabase) async throws {
        try await database.run(connectionsPerEventLoop: 3) { db in
            try await SemanticsTests.setUp(db)
            let ran = Counter()
            // Engine: the outer `db.sql` (the pool) instead of the scope's connection. (SQLite's
            // Fluent pool has one connection per event loop, the scope's: there the check waits
            // for it and fails with the pool's timeout, still before anything runs. Not tested.)
            try await db.engine.versioned(on: db.sql, userID: "outer") { sql in
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)").run()
                if database == .postgres {
                    await #expect(throws: ContinuumError.scopeOnAnotherConnection) {
                        try await db.engine.versioned(on: db.sql, meta: ["wrong": "handle"]) { other in
                            ran.add(1)
                            try await other.raw("INSERT INTO item (id, name, qty) VALUES (2, 'b', 1)").run()
                        }
                    }
                }
                // The scope's own handle still joins.
                try await db.engine.versioned(on: sql, meta: ["right": "handle"]) { sql in
                    try await sql.raw("INSERT INTO item (id, name, qty) VALUES (3, 'c', 1)").run()
                }
            }
            // Fluent: the outer `db` instead of the one the scope passed in.
            try await db.fluent.versioned(userID: "fluent") { fluent in
                try await Item(id: 4, name: "d", qty: 1).create(on: fluent)
                await #expect(throws: ContinuumError.scopeOnAnotherConnection) {
                    try await db.fluent.versioned(meta: ["wrong": "handle"]) { other in
                        ran.add(1)
                        try await Item(id: 5, name: "e", qty: 1).create(on: other)
                    }
                }
            }
            #expect(ran.values.isEmpty, "nothing ran on the wrong handle")
            #expect(try await db.rows("SELECT CAST(id AS TEXT) FROM item ORDER BY id") == [["1"], ["3"], ["4"]])
            #expect(try await db.rows("SELECT CAST(id AS TEXT), user_id FROM \"transaction\" ORDER BY id") == [["1", "outer"], ["2", "fluent"]])
            #expect(try await db.rows("SELECT \"key\", value FROM transaction_meta ORDER BY \"key\"") == [["right", "handle"]])
            #expect(ContinuumError.scopeOnAnotherConnection.description.contains("pass that `db`"))
        }
    }

    @Test("a scope that changes nothing leaves no transaction row", arguments: TestDatabase.allCases)
    func emptyScope(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await SemanticsTests.setUp(db)
            try await db.exec("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)")
            let before = try await db.count("transaction")
            try await db.engine.versioned(on: db.sql, userID: "u", meta: ["k": "v"]) { sql in
                _ = try await sql.raw("SELECT * FROM item").all()
                try await sql.raw("UPDATE item SET name = 'a' WHERE id = 1").run()
            }
            #expect(try await db.count("transaction") == before)
            #expect(try await db.count("transaction_meta") == 0)
        }
    }

    @Test("Fluent's db.versioned groups model saves, query-builder updates and raw SQL", arguments: TestDatabase.allCases)
    func fluentScope(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await SemanticsTests.setUp(db)
            try await db.fluent.versioned(userID: "7", remoteAddress: "10.0.0.1", meta: ["via": "fluent"]) { fluent in
                try await (fluent as! any SQLDatabase).raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1), (2, 'b', 1)").run()
                try await Item.query(on: fluent).filter(\.$id == 2).set(\.$qty, to: 9).update()
                try await fluent.versioned(userID: "ignored", meta: ["nested": "yes"]) { fluent in
                    let item = try #require(try await Item.find(1, on: fluent))
                    item.name = "renamed"
                    try await item.save(on: fluent)
                }
            }
            #expect(try await db.rows("SELECT CAST(id AS TEXT), user_id, remote_addr FROM \"transaction\"") == [["1", "7", "10.0.0.1"]])
            #expect(try await db.rows("SELECT \"key\", value FROM transaction_meta ORDER BY \"key\"") == [["nested", "yes"], ["via", "fluent"]])
            #expect(try await SemanticsTests.items(db) == [["1", "renamed", "1", "1", nil, "0"], ["2", "b", "9", "1", nil, "0"]])
        }
    }

    @Test("a scope joins a transaction the caller opened", arguments: TestDatabase.allCases)
    func joinsCallerTransaction(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await SemanticsTests.setUp(db)
            try await db.fluent.transaction { fluent in
                let sql = fluent as! any SQLDatabase
                try await db.engine.versioned(on: sql, userID: "a") { sql in
                    try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)").run()
                }
                try await sql.raw("UPDATE item SET qty = 2 WHERE id = 1").run()
            }
            #expect(try await db.count("item") == 1)
            #expect(try await db.rows("SELECT user_id FROM \"transaction\" ORDER BY id").first == ["a"])
        }
    }

    @Test("oversized context is refused before anything is written", arguments: TestDatabase.allCases)
    func oversizedContext(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await SemanticsTests.setUp(db)
            await #expect(throws: ContinuumError.remoteAddressTooLong) {
                try await db.engine.versioned(on: db.sql, remoteAddress: String(repeating: "9", count: 51)) { _ in }
            }
            await #expect(throws: ContinuumError.userIDTooLong) {
                try await db.fluent.versioned(userID: String(repeating: "u", count: 256)) { _ in }
            }
            await #expect(throws: ContinuumError.invalidMetaKey) {
                try await db.fluent.versioned(meta: ["": "empty key"]) { _ in }
            }
            #expect(try await db.count("transaction") == 0)
        }
    }

    @Test("SQLite: writes outside a scope get one transaction per changed row")
    func sqliteUnscoped() async throws {
        try await TestDatabase.sqlite.run { db in
            try await SemanticsTests.setUp(db)
            try await db.exec("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1), (2, 'b', 1), (3, 'c', 1)")
            try await db.exec("UPDATE item SET qty = 2")
            #expect(try await db.count("transaction") == 6)
            #expect(try await db.count("item_version") == 6)
            #expect(try await db.count("item_version", where: "end_transaction_id IS NULL") == 3)
        }
    }

    @Test("SQLite: requiresScope rejects writes outside a scope and keeps history intact")
    func sqliteStrict() async throws {
        try await TestDatabase.sqlite.run { db in
            try await SemanticsTests.setUp(db, options: .init(requiresScope: true))
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)").run() }
            await #expect(throws: (any Error).self) { try await db.exec("UPDATE item SET qty = 5") }
            #expect(try await db.rows("SELECT CAST(qty AS TEXT) FROM item") == [["1"]])
            #expect(try await db.count("item_version") == 1)
        }
    }

    @Test("PostgreSQL: a transaction outside any scope is still one transaction row")
    func postgresUnscopedTransaction() async throws {
        try await TestDatabase.postgres.run { db in
            try await SemanticsTests.setUp(db)
            try await db.sql.withSession { sql in
                try await sql.raw("BEGIN").run()
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1), (2, 'b', 1)").run()
                try await sql.raw("UPDATE item SET qty = 2").run()
                try await sql.raw("DELETE FROM item WHERE id = 2").run()
                try await sql.raw("COMMIT").run()
            }
            #expect(try await db.count("transaction") == 1)
            #expect(try await SemanticsTests.items(db) == [["1", "a", "2", "1", nil, "0"]])
        }
    }
}

/// A Fluent model over the `item` table of the semantics tests.
final class Item: Model, @unchecked Sendable {
    static let schema = "item"
    @ID(custom: "id", generatedBy: .user) var id: Int?
    @OptionalField(key: "name") var name: String?
    @OptionalField(key: "qty") var qty: Int?
    init() {}
    init(id: Int, name: String, qty: Int) {
        self.id = id
        self.name = name
        self.qty = qty
    }
}
