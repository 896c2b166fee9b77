import ContinuumSQL
import SQLKit
import Testing

@Suite("Integrity checker")
struct IntegrityTests {
    @Test("a consistent history passes; each kind of damage is reported", arguments: TestDatabase.allCases)
    func detectsDamage(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await SemanticsTests.setUp(db)
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3), (4, 'd', 4)").run()
            }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE item SET qty = qty + 10").run() }
            let clean = try await db.engine.verify("item", on: db.sql)
            #expect(clean.isValid)
            #expect(clean.versionCount == 8)

            // Damage history behind the triggers' back.
            try await db.exec(
                "UPDATE item_version SET end_transaction_id = transaction_id WHERE id = 1 AND transaction_id = 1",
                "UPDATE item_version SET end_transaction_id = NULL WHERE id = 2 AND transaction_id = 1",
                "DELETE FROM item_version WHERE id = 4 AND transaction_id = 2",
                "INSERT INTO item_version (id, name, qty, transaction_id, end_transaction_id, operation_type) VALUES (5, 'x', 0, 99, NULL, 0)",
                "DELETE FROM transaction_changes WHERE transaction_id = 2"
            )
            try await db.engine.disable("item", on: db.sql)
            try await db.exec("UPDATE item SET name = 'changed behind history' WHERE id = 3")
            try await db.engine.enable("item", on: db.sql)

            let report = try await db.engine.verify("item", on: db.sql)
            #expect(report.problems.contains(.selfClosing(key: ["1"], transactionID: 1)))
            #expect(report.problems.contains(.brokenChain(key: ["2"], transactionID: 1, endTransactionID: nil)))
            #expect(report.problems.contains(.brokenChain(key: ["4"], transactionID: 1, endTransactionID: 2)))
            #expect(report.problems.contains(.liveRowDiffers(key: ["3"])))
            #expect(report.problems.contains(.versionWithoutLiveRow(key: ["5"])))
            #expect(report.problems.contains(.missingTransaction(id: 99)))
            #expect(report.problems.contains(.changeNotRecorded(transactionID: 2)), "a change hidden from the log's changed entities")
            #expect(!report.problems.contains(.changeNotRecorded(transactionID: 1)))
            #expect(!report.description.contains("changed behind history"), "reports never print row values")
        }
    }
}
