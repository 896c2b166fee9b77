import ContinuumSQL
import SQLKit
import Testing

/// The rules of `<doc:Semantics>` (Semantics.md, "The rules"), each on both databases.
@Suite("Semantics")
struct SemanticsTests {
    /// `item(id, name, qty)` versioned as `item_version`, with the shared schema installed.
    static func setUp(_ db: TestContext, options: TableVersioningOptions = .init()) async throws {
        try await db.exec("CREATE TABLE item (id \(db.autoKey), name TEXT, qty INTEGER)")
        try await db.engine.install(on: db.sql)
        try await db.engine.enable("item", options: options, on: db.sql)
    }

    static func items(_ db: TestContext) async throws -> [[String?]] {
        try await db.versions("item_version", ["id", "name", "qty"])
    }

    /// Semantics.md, "No-op updates"
    @Test("a no-op update writes no version and no transaction", arguments: TestDatabase.allCases)
    func noOpUpdate(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', NULL)").run()
            }
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("UPDATE item SET name = 'a', qty = NULL WHERE id = 1").run()
            }
            try await db.exec("UPDATE item SET name = 'a' WHERE id = 1")
            #expect(try await Self.items(db) == [["1", "a", nil, "1", nil, "0"]])
            #expect(try await db.count("transaction") == 1)
            try await db.expectConsistent("item")
        }
    }

    /// Semantics.md, "No-op updates"
    @Test(
        "one UPDATE over many rows: changed rows get versions, unchanged rows none, a moved key a delete and an insert",
        arguments: TestDatabase.allCases)
    func multiRowUpdate(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db, options: .init(tracksModifiedColumns: true))
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3), (4, 'd', 4)").run()
            }
            // A statement over every row that changes none of them writes nothing, not even a transaction.
            try await db.exec("UPDATE item SET name = name, qty = qty")
            #expect(try await db.count("transaction") == 1)
            try await db.engine.versioned(on: db.sql) { sql in
                // 1: qty changes; 2: untouched values; 3 moves to 30; 4: name changes.
                try await sql.raw(
                    """
                    UPDATE item SET qty = CASE WHEN id = 1 THEN 10 ELSE qty END, name = CASE WHEN id = 4 THEN 'x' ELSE name END,
                    id = CASE WHEN id = 3 THEN 30 ELSE id END
                    """
                ).run()
                // A second statement of the transaction merges into its versions: 30 stays an INSERT.
                try await sql.raw(
                    """
                    UPDATE item SET name = CASE WHEN id = 1 THEN 'z' ELSE name END, qty = CASE WHEN id = 30 THEN 31 ELSE qty END
                    """
                ).run()
            }
            #expect(
                try await db.versions("item_version", ["id", "name", "qty", "name_mod", "qty_mod"]) == [
                    ["1", "a", "1", "1", "1", "1", "2", "0"],
                    ["1", "z", "10", "1", "1", "2", nil, "1"],
                    ["2", "b", "2", "1", "1", "1", nil, "0"],
                    ["3", "c", "3", "1", "1", "1", "2", "0"],
                    ["3", "c", "3", "1", "1", "2", nil, "2"],
                    ["4", "d", "4", "1", "1", "1", "2", "0"],
                    ["4", "x", "4", "1", "0", "2", nil, "1"],
                    ["30", "c", "31", "1", "1", "2", nil, "0"],
                ])
            #expect(try await db.count("transaction") == 2)
            try await db.expectConsistent("item")
        }
    }

    /// Semantics.md, "One version per row and transaction"
    @Test(
        "bulk UPDATEs of 100 rows: a first write, a merge into it and a key move, row for row like single updates",
        arguments: TestDatabase.allCases)
    func bulkUpdates(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db, options: .init(tracksModifiedColumns: true))
            try await db.engine.versioned(on: db.sql) { sql in
                let values = (1...100).map { "(\($0), 'n\($0)', \($0))" }.joined(separator: ", ")
                let insert = "INSERT INTO item (id, name, qty) VALUES " + values
                try await sql.raw(SQLQueryString(insert)).run()
            }
            try await db.exec("UPDATE item SET qty = qty, name = name")
            #expect(try await db.count("transaction") == 1)
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("UPDATE item SET qty = qty + 1").run()
                try await sql.raw("UPDATE item SET name = name || 'x' WHERE id <= 50").run()
                try await sql.raw("UPDATE item SET id = id + 1000 WHERE id > 60").run()
            }
            // name, qty, name_mod, qty_mod, then transaction, end, operation.
            var expected: [[String?]] = []
            for id in 1...100 {
                expected.append(["\(id)", "n\(id)", "\(id)", "1", "1", "1", "2", "0"])
                switch id {
                case ...50: expected.append(["\(id)", "n\(id)x", "\(id + 1)", "1", "1", "2", nil, "1"])
                case ...60: expected.append(["\(id)", "n\(id)", "\(id + 1)", "0", "1", "2", nil, "1"])
                default: expected.append(["\(id)", "n\(id)", "\(id + 1)", "1", "1", "2", nil, "2"])
                }
            }
            for id in 1061...1100 { expected.append(["\(id)", "n\(id - 1000)", "\(id - 999)", "1", "1", "2", nil, "0"]) }
            #expect(try await db.versions("item_version", ["id", "name", "qty", "name_mod", "qty_mod"]) == expected)
            #expect(try await db.count("transaction") == 2)
            try await db.expectConsistent("item")
        }
    }

    /// Semantics.md, "One version per row and transaction"
    @Test("several changes of one row in one transaction make one version", arguments: TestDatabase.allCases)
    func oneVersionPerTransaction(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)").run()
            }
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("UPDATE item SET name = 'b' WHERE id = 1").run()
                try await sql.raw("UPDATE item SET qty = 2 WHERE id = 1").run()
                try await sql.raw("UPDATE item SET name = 'c' WHERE id = 1").run()
            }
            #expect(
                try await Self.items(db) == [
                    ["1", "a", "1", "1", "2", "0"],
                    ["1", "c", "2", "2", nil, "1"],
                ])
            try await db.expectConsistent("item")
        }
    }

    /// Semantics.md, "Insert then update"
    @Test("insert then update in one transaction stays an INSERT", arguments: TestDatabase.allCases)
    func insertThenUpdate(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)").run()
                try await sql.raw("UPDATE item SET name = 'b' WHERE id = 1").run()
            }
            #expect(try await Self.items(db) == [["1", "b", "1", "1", nil, "0"]])
            try await db.expectConsistent("item")
        }
    }

    /// Semantics.md, "Insert then delete"
    @Test("insert then delete in one transaction leaves no version", arguments: TestDatabase.allCases)
    func insertThenDelete(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            // Key 1 lives and dies; later a transaction re-inserts and deletes it again.
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)").run()
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (2, 'x', 1)").run()
                try await sql.raw("DELETE FROM item WHERE id = 2").run()
            }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("DELETE FROM item WHERE id = 1").run() }
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'b', 2)").run()
                try await sql.raw("DELETE FROM item WHERE id = 1").run()
            }
            #expect(
                try await Self.items(db) == [
                    ["1", "a", "1", "1", "2", "0"],
                    ["1", "a", "1", "2", nil, "2"],
                ])
            try await db.expectConsistent("item")
        }
    }

    /// Semantics.md, "One version per row and transaction"
    @Test("delete then re-insert of a key in one transaction is one UPDATE", arguments: TestDatabase.allCases)
    func deleteThenReinsert(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)").run()
            }
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("DELETE FROM item WHERE id = 1").run()
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'b', 1)").run()
            }
            #expect(
                try await Self.items(db) == [
                    ["1", "a", "1", "1", "2", "0"],
                    ["1", "b", "1", "2", nil, "1"],
                ])
            try await db.expectConsistent("item")
        }
    }

    /// Semantics.md, "History is keyed by primary key"
    @Test("a key inserted again after a delete continues its chain with an INSERT", arguments: TestDatabase.allCases)
    func resurrect(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("DELETE FROM item WHERE id = 1").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'z', 9)").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE item SET qty = 10 WHERE id = 1").run() }
            #expect(
                try await Self.items(db) == [
                    ["1", "a", "1", "1", "2", "0"],
                    ["1", "a", "1", "2", "3", "2"],
                    ["1", "z", "9", "3", "4", "0"],
                    ["1", "z", "10", "4", nil, "1"],
                ])
            try await db.expectConsistent("item")
        }
    }

    /// Semantics.md, "The end_transaction_id chain"
    @Test("end_transaction_id closes the previous version, never its own row", arguments: TestDatabase.allCases)
    func endTransactionChain(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            for step in 0..<6 {
                try await db.engine.versioned(on: db.sql) { sql in
                    if step == 0 {
                        try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 0), (2, 'b', 0)").run()
                    } else {
                        // Touch the row twice per transaction: a merge must not close its own version.
                        try await sql.raw("UPDATE item SET qty = \(bind: step) WHERE id = \(bind: step % 2 + 1)").run()
                        try await sql.raw("UPDATE item SET name = \(bind: "s\(step)") WHERE id = \(bind: step % 2 + 1)").run()
                    }
                }
            }
            let rows = try await Self.items(db)
            for id in ["1", "2"] {
                let chain = rows.filter { $0[0] == id }
                #expect(chain.count >= 3)
                for (version, next) in zip(chain, chain.dropFirst()) {
                    #expect(version[4] == next[3], "each version ends where the next begins")
                    #expect(version[4] != version[3], "no version closes itself")
                }
                #expect(chain.last?[4] == nil, "only the latest version is open")
            }
        }
    }

    /// Semantics.md, "Primary-key updates"
    @Test("a primary-key update is a delete of the old key and an insert of the new", arguments: TestDatabase.allCases)
    func primaryKeyUpdate(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE item SET id = 10, name = 'b' WHERE id = 1").run() }
            #expect(
                try await Self.items(db) == [
                    ["1", "a", "1", "1", "2", "0"],
                    ["1", "a", "1", "2", nil, "2"],
                    ["10", "b", "1", "2", nil, "0"],
                ])
            try await db.expectConsistent("item")
        }
    }

    /// Semantics.md, "Primary-key updates"
    @Test("SQLite: a key changed through rowid, oid or _rowid_ is versioned like any key update")
    func keyChangedThroughRowid() async throws {
        try await TestDatabase.sqlite.run { db in
            try await Self.setUp(db)
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE item SET rowid = 10 WHERE id = 1").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE item SET _rowid_ = 20 WHERE id = 10").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE item SET oid = 30 WHERE id = 20").run() }
            #expect(
                try await Self.items(db) == [
                    ["1", "a", "1", "1", "2", "0"],
                    ["1", "a", "1", "2", nil, "2"],
                    ["10", "a", "1", "2", "3", "0"],
                    ["10", "a", "1", "3", nil, "2"],
                    ["20", "a", "1", "3", "4", "0"],
                    ["20", "a", "1", "4", nil, "2"],
                    ["30", "a", "1", "4", nil, "0"],
                ])
            try await db.expectConsistent("item")
        }
    }

    /// Semantics.md, "Writes without a scope"
    @Test("upserts: ON CONFLICT DO UPDATE is an UPDATE, an identical one writes nothing", arguments: TestDatabase.allCases)
    func upsert(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            let upsert = "INSERT INTO item (id, name, qty) VALUES (1, 'a', 1) ON CONFLICT (id) DO UPDATE SET name = excluded.name, qty = excluded.qty"
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw(SQLQueryString(upsert)).run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw(SQLQueryString(upsert)).run() }
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'b', 1) ON CONFLICT (id) DO UPDATE SET name = excluded.name").run()
            }
            #expect(
                try await Self.items(db) == [
                    ["1", "a", "1", "1", "2", "0"],
                    ["1", "b", "1", "2", nil, "1"],
                ])
            #expect(try await db.count("transaction") == 2)
        }
    }

    /// Semantics.md, "Every disappearance and every visible change"
    @Test("SQLite INSERT OR REPLACE closes the replaced version itself")
    func insertOrReplace() async throws {
        try await TestDatabase.sqlite.run { db in
            try await Self.setUp(db)
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("INSERT OR REPLACE INTO item (id, name, qty) VALUES (1, 'b', 1)").run() }
            // Identical values: nothing changed, nothing written.
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("REPLACE INTO item (id, name, qty) VALUES (1, 'b', 1)").run() }
            // Insert and replace in one transaction stays an INSERT.
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (2, 'x', 1)").run()
                try await sql.raw("INSERT OR REPLACE INTO item (id, name, qty) VALUES (2, 'y', 2)").run()
            }
            #expect(
                try await Self.items(db) == [
                    ["1", "a", "1", "1", "2", "0"],
                    ["1", "b", "1", "2", nil, "1"],
                    ["2", "y", "2", "3", nil, "0"],
                ])
            #expect(try await db.count("transaction") == 3)
        }
    }

    /// Semantics.md, "Writes without a scope"
    @Test("bulk UPDATE and DELETE statements version every row in one transaction", arguments: TestDatabase.allCases)
    func bulkStatements(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            try await db.engine.versioned(on: db.sql) { sql in
                for id in 1...50 { try await sql.raw("INSERT INTO item (id, name, qty) VALUES (\(bind: id), 'n', 0)").run() }
            }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE item SET qty = qty + id").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("DELETE FROM item WHERE id > 25").run() }
            #expect(try await db.count("item_version") == 125)
            #expect(try await db.count("item_version", where: "transaction_id = 2 AND operation_type = 1") == 50)
            #expect(try await db.count("item_version", where: "transaction_id = 3 AND operation_type = 2") == 25)
            #expect(try await db.count("item_version", where: "end_transaction_id IS NULL") == 50)
            #expect(try await db.count("transaction") == 3)
            try await db.expectConsistent("item")
        }
    }

    /// Semantics.md, "Every disappearance and every visible change"
    @Test("ON DELETE CASCADE children are versioned in the parent's transaction", arguments: TestDatabase.allCases)
    func cascade(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.createSeedTables()
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("article", on: db.sql)
            try await db.engine.enable("tag", on: db.sql)
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO article (id, name) VALUES (1, 'a')").run()
                try await sql.raw("INSERT INTO tag (id, name, article_id) VALUES (1, 't1', 1), (2, 't2', 1)").run()
            }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("DELETE FROM article WHERE id = 1").run() }
            #expect(
                try await db.versions("tag_version", ["id", "name"]) == [
                    ["1", "t1", "1", "2", "0"], ["1", "t1", "2", nil, "2"],
                    ["2", "t2", "1", "2", "0"], ["2", "t2", "2", nil, "2"],
                ])
            #expect(try await db.count("transaction") == 2)
            try await db.expectConsistent("article", "tag")
        }
    }

    /// Semantics.md, "Rollbacks"
    @Test("a rolled-back savepoint takes its history with it", arguments: TestDatabase.allCases)
    func savepointRollback(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            try await db.engine.versioned(on: db.sql) { sql in
                // The transaction's first versioned write is rolled back with its savepoint.
                try await sql.raw("SAVEPOINT s1").run()
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'gone', 1)").run()
                try await sql.raw("ROLLBACK TO SAVEPOINT s1").run()
                try await sql.raw("RELEASE SAVEPOINT s1").run()
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (2, 'a', 1)").run()
                try await sql.raw("SAVEPOINT s2").run()
                try await sql.raw("UPDATE item SET name = 'rolled back' WHERE id = 2").run()
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (3, 'gone', 1)").run()
                try await sql.raw("ROLLBACK TO SAVEPOINT s2").run()
                try await sql.raw("RELEASE SAVEPOINT s2").run()
                try await sql.raw("UPDATE item SET qty = 5 WHERE id = 2").run()
            }
            let rows = try await Self.items(db)
            #expect(rows.map { Array($0.prefix(3)) + [$0[4], $0[5]] } == [["2", "a", "5", nil, "0"]])
            let transactions = try await db.rows("SELECT CAST(id AS TEXT) FROM \"transaction\"")
            #expect(transactions == [[rows[0][3]]], "the one transaction row is the one the version points at")
        }
    }

    /// Semantics.md, "Rollbacks"
    @Test("a rolled-back transaction leaves no history", arguments: TestDatabase.allCases)
    func fullRollback(_ database: TestDatabase) async throws {
        struct Abort: Error {}
        try await database.run { db in
            try await Self.setUp(db)
            await #expect(throws: Abort.self) {
                try await db.engine.versioned(on: db.sql, userID: "u", meta: ["k": "v"]) { sql in
                    try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)").run()
                    throw Abort()
                }
            }
            #expect(try await db.count("item") == 0)
            #expect(try await db.count("item_version") == 0)
            #expect(try await db.count("transaction") == 0)
            #expect(try await db.count("transaction_meta") == 0)
            // The state is clean: the next scope records its own actor.
            try await db.engine.versioned(on: db.sql, userID: "next") { sql in
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)").run()
            }
            #expect(try await db.rows("SELECT user_id FROM \"transaction\"") == [["next"]])
        }
    }

    /// Semantics.md, "Every disappearance and every visible change"
    @Test("changes between NULL and a value are versioned", arguments: TestDatabase.allCases)
    func nullTransitions(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            for statement in [
                "INSERT INTO item (id, name, qty) VALUES (1, NULL, NULL)",
                "UPDATE item SET name = 'a' WHERE id = 1",
                "UPDATE item SET name = NULL, qty = 0 WHERE id = 1",
                "UPDATE item SET qty = NULL WHERE id = 1",
                "UPDATE item SET qty = NULL, name = NULL WHERE id = 1",
            ] {
                try await db.engine.versioned(on: db.sql) { sql in try await sql.raw(SQLQueryString(statement)).run() }
            }
            #expect(
                try await Self.items(db).map { Array($0.prefix(3)) } == [
                    ["1", nil, nil], ["1", "a", nil], ["1", nil, "0"], ["1", nil, nil],
                ])
        }
    }

    @Test("names that need quoting: reserved words, mixed case, spaces, quotes", arguments: TestDatabase.allCases)
    func quotedIdentifiers(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec(
                #"CREATE TABLE "Order Items" ("order" INTEGER NOT NULL, "user" TEXT NOT NULL, "MixedCase" TEXT, "with space" TEXT, "quo""te" TEXT, "select" INTEGER, PRIMARY KEY ("order", "user"))"#)
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("Order Items", options: .init(tracksModifiedColumns: true, entityName: "It's \"odd\""), on: db.sql)
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw(#"INSERT INTO "Order Items" ("order", "user", "MixedCase", "with space", "quo""te", "select") VALUES (1, 'u', 'M', 's', 'q', 1)"#).run()
            }
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw(#"UPDATE "Order Items" SET "quo""te" = 'q2', "with space" = NULL WHERE "order" = 1"#).run()
            }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw(#"DELETE FROM "Order Items""#).run() }
            #expect(
                try await db.versions("Order Items_version", ["order", "user", "quo\"te", "with space_mod", "quo\"te_mod", "MixedCase_mod"], orderBy: ["order", "user"]) == [
                    ["1", "u", "q", "1", "1", "1", "1", "2", "0"],
                    ["1", "u", "q2", "1", "1", "0", "2", "3", "1"],
                    ["1", "u", "q2", "1", "1", "1", "3", nil, "2"],
                ])
            #expect(try await db.rows("SELECT DISTINCT entity_name FROM transaction_changes") == [["It's \"odd\""]])
        }
    }
}
