import ContinuumSQL
import FluentContinuum
import FluentKit
import SQLKit
import Testing

@Suite("Transaction revert")
struct TransactionRevertTests {
    static func setUp(_ db: TestContext) async throws {
        try await db.exec(
            "CREATE TABLE owner (id \(db.autoKey), name TEXT NOT NULL)",
            "CREATE TABLE pet (id \(db.autoKey), name TEXT NOT NULL, owner_id INTEGER NOT NULL REFERENCES owner (id))"
        )
        try await db.engine.install(on: db.sql)
        // Enabled child first: the revert must find the foreign-key order itself.
        try await db.engine.enable("pet", on: db.sql)
        try await db.engine.enable("owner", on: db.sql)
    }

    static func state(_ db: TestContext) async throws -> [[String?]] {
        try await db.rows("SELECT CAST(id AS TEXT), name FROM owner ORDER BY id")
            + db.rows("SELECT CAST(id AS TEXT), name, CAST(owner_id AS TEXT) FROM pet ORDER BY id")
    }

    static func last(_ db: TestContext) async throws -> Int {
        try await db.engine.transactions(limit: 1, on: db.sql)[0].id
    }

    @Test("undoes inserts (children first), updates and deletes as one new transaction", arguments: TestDatabase.allCases)
    func undo(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO owner (id, name) VALUES (1, 'Ann'), (2, 'Bob')").run()
                try await sql.raw("INSERT INTO pet (id, name, owner_id) VALUES (1, 'Rex', 1)").run()
            }
            let before = try await Self.state(db)
            // A parent and its child inserted together, an update and a delete.
            try await db.engine.versioned(on: db.sql, userID: "oops") { sql in
                try await sql.raw("INSERT INTO owner (id, name) VALUES (3, 'Cy')").run()
                try await sql.raw("INSERT INTO pet (id, name, owner_id) VALUES (2, 'Tom', 3)").run()
                try await sql.raw("UPDATE owner SET name = 'Ann B.' WHERE id = 1").run()
                try await sql.raw("DELETE FROM pet WHERE id = 1").run()
            }
            let oops = try await Self.last(db)
            let plan = try await db.engine.revertPlan(transaction: oops, on: db.sql)
            #expect(plan.changes.map { "\($0.version.table):\($0.undo)" } == ["owner:restore", "owner:delete", "pet:reinsert", "pet:delete"])
            #expect(plan.conflicts.isEmpty)
            #expect(try await Self.state(db) != before, "a plan changes nothing")

            let done = try await db.engine.revert(transaction: oops, userID: "admin", on: db.sql)
            #expect(done.changes.count == 4)
            #expect(try await Self.state(db) == before)
            let revert = try await db.engine.transactions(limit: 1, on: db.sql)[0]
            #expect(revert.userID == "admin")
            #expect(revert.meta[VersioningEngine.revertedTransactionMetaKey] == String(oops))
            try await db.expectConsistent("owner", "pet")
            // Reverting the revert redoes the change.
            try await db.engine.revert(transaction: revert.id, on: db.sql)
            #expect(try await db.rows("SELECT name FROM owner ORDER BY id") == [["Ann B."], ["Bob"], ["Cy"]])
            await #expect(throws: ContinuumError.transactionNotFound(999)) { try await db.engine.revertPlan(transaction: 999, on: db.sql) }
        }
    }

    @Test("rows changed again later: fail writes nothing, skip leaves them, overwrite discards the later change", arguments: TestDatabase.allCases)
    func conflicts(_ database: TestDatabase) async throws {
        for policy in RevertConflictPolicy.allCases {
            try await database.run { db in
                try await Self.setUp(db)
                try await db.engine.versioned(on: db.sql) { sql in
                    try await sql.raw("INSERT INTO owner (id, name) VALUES (1, 'Ann'), (2, 'Bob')").run()
                }
                try await db.engine.versioned(on: db.sql) { sql in
                    try await sql.raw("UPDATE owner SET name = name || '+' WHERE id IN (1, 2)").run()
                }
                let target = try await Self.last(db)
                try await db.engine.versioned(on: db.sql) { sql in
                    try await sql.raw("UPDATE owner SET name = 'Bob later' WHERE id = 2").run()
                }
                let plan = try await db.engine.revertPlan(transaction: target, on: db.sql)
                #expect(plan.conflicts.map(\.conflict) == [target + 1])
                let transactions = try await db.count("transaction")
                switch policy {
                case .fail:
                    await #expect(throws: ContinuumError.revertConflicts(transaction: target, conflicts: 1)) {
                        try await db.engine.revert(transaction: target, on: db.sql)
                    }
                    #expect(try await db.rows("SELECT name FROM owner ORDER BY id") == [["Ann+"], ["Bob later"]])
                    #expect(try await db.count("transaction") == transactions, "no transaction row")
                case .skip:
                    let done = try await db.engine.revert(transaction: target, conflicts: .skip, on: db.sql)
                    #expect(done.changes.filter(\.skipped).count == 1)
                    #expect(try await db.rows("SELECT name FROM owner ORDER BY id") == [["Ann"], ["Bob later"]])
                case .overwrite:
                    try await db.engine.revert(transaction: target, conflicts: .overwrite, on: db.sql)
                    #expect(try await db.rows("SELECT name FROM owner ORDER BY id") == [["Ann"], ["Bob"]])
                }
                try await db.expectConsistent("owner")
            }
        }
    }

    @Test("through Fluent: the Transaction model's plan and revert, attributed to the scope", arguments: TestDatabase.allCases)
    func fluent(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let article = Article(name: "a")
            try await db.fluent.versioned { db in try await article.save(on: db) }
            try await db.fluent.versioned(userID: "42") { db in
                article.name = "b"
                try await article.save(on: db)
                try await Tag(name: "t", articleID: article.requireID()).save(on: db)
            }
            let change = try #require(try await Transaction.query(on: db.fluent).filter(\.$userID == "42").first())
            #expect(try await change.revertPlan(on: db.fluent).changes.count == 2)
            _ = try await db.fluent.versioned(userID: "admin") { db in try await change.revert(on: db) }
            #expect(try await Article.find(article.requireID(), on: db.fluent)?.name == "a")
            #expect(try await Tag.query(on: db.fluent).count() == 0)
            let revert = try #require(try await Transaction.query(on: db.fluent).sort(\.$id, .descending).first())
            #expect(revert.userID == "admin")
            #expect(try await revert.meta(on: db.fluent)[VersioningEngine.revertedTransactionMetaKey] == String(change.id!))
        }
    }
}
