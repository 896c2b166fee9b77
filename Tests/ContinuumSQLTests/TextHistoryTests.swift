import ContinuumSQL
import Foundation
import SQLKit
import Testing

/// The engine reads the command line is built on: versions as text, streamed reads, the table
/// as of a transaction, the filtered log, and the raw-SQL revert of one row.
@Suite("Text history")
struct TextHistoryTests {
    /// `translation` has a composite key (id, lang); three transactions change it.
    static func setUp(_ db: TestContext) async throws -> (insert: Int, update: Int, delete: Int) {
        try await db.exec(
            "CREATE TABLE translation (id INTEGER NOT NULL, lang VARCHAR(8) NOT NULL, title TEXT, body BLOB_OR_BYTEA, PRIMARY KEY (id, lang))"
                .replacingOccurrences(of: "BLOB_OR_BYTEA", with: db.kind == .sqlite ? "BLOB" : "BYTEA"))
        try await db.engine.install(on: db.sql)
        try await db.engine.enable("translation", on: db.sql)
        let blob = db.kind == .sqlite ? "X'CAFE'" : "'\\xcafe'::bytea"
        try await db.engine.versioned(on: db.sql, userID: "alice") { sql in
            try await sql.raw(
                "INSERT INTO translation (id, lang, title, body) VALUES (1, 'en', 'Hello', \(unsafeRaw: blob)), (1, 'fr', 'Bonjour', NULL), (2, 'en', 'Two', NULL), (10, 'en', 'Ten', NULL)"
            ).run()
        }
        let insert = try await db.engine.transactions(limit: 1, on: db.sql)[0].id
        try await db.engine.versioned(on: db.sql, userID: "bob", meta: ["why": "typo"]) { sql in
            try await sql.raw("UPDATE translation SET title = 'Hello!' WHERE id = 1 AND lang = 'en'").run()
        }
        let update = try await db.engine.transactions(limit: 1, on: db.sql)[0].id
        try await db.engine.versioned(on: db.sql, userID: "alice") { sql in
            try await sql.raw("DELETE FROM translation WHERE id = 1 AND lang = 'fr'").run()
        }
        let delete = try await db.engine.transactions(limit: 1, on: db.sql)[0].id
        return (insert, update, delete)
    }

    @Test("versions of one row by a text key, values as text (binary as \\x hex, NULL as nil)", arguments: TestDatabase.allCases)
    func rowVersions(_ database: TestDatabase) async throws {
        try await database.run { db in
            let tx = try await Self.setUp(db)
            let versions = try await db.engine.textVersions(of: "translation", key: ["id": "1", "lang": "en"], on: db.sql)
            #expect(versions.map(\.operation) == [.insert, .update])
            #expect(versions.map(\.transactionID) == [tx.insert, tx.update])
            #expect(versions[0].endTransactionID == tx.update)
            #expect(versions[0].keyColumns == ["id", "lang"] && versions[0].key == ["1", "en"])
            #expect(versions[0]["body"] == .some("\\xcafe"))
            #expect(versions[1]["title"] == .some("Hello!"))
            #expect(versions[0]["missing"] == nil)
            let none = try await db.engine.textVersions(of: "translation", key: ["id": "9", "lang": "en"], on: db.sql)
            #expect(none.isEmpty)
            await #expect(throws: ContinuumError.invalidPrimaryKey(table: "translation", expected: ["id", "lang"])) {
                try await db.engine.textVersions(of: "translation", key: ["id": "1"], on: db.sql)
            }
            await #expect(throws: ContinuumError.tableNotVersioned("nope")) {
                try await db.engine.textVersions(of: "nope", key: ["id": "1"], on: db.sql)
            }
        }
    }

    @Test("the changes of a transaction, each with the version it replaced", arguments: TestDatabase.allCases)
    func changes(_ database: TestDatabase) async throws {
        try await database.run { db in
            let tx = try await Self.setUp(db)
            let update = try await db.engine.textChanges(inTransaction: tx.update, on: db.sql)
            #expect(update.count == 1)
            #expect(update[0].previous?.transactionID == tx.insert)
            #expect(update[0].changedColumns.map { "\($0.column):\($0.before ?? "NULL")>\($0.after ?? "NULL")" } == ["title:Hello>Hello!"])
            let delete = try await db.engine.textChanges(inTransaction: tx.delete, on: db.sql)
            #expect(delete[0].changedColumns.map(\.column) == ["id", "lang", "title"])
            #expect(delete[0].changedColumns.allSatisfy { $0.after == nil })
            #expect(try await db.engine.textChanges(inTransaction: 9999, on: db.sql).isEmpty)
        }
    }

    @Test("every version streamed in key order across pages, and since a transaction", arguments: TestDatabase.allCases)
    func stream(_ database: TestDatabase) async throws {
        try await database.run { db in
            let tx = try await Self.setUp(db)
            let seen = Collected()
            try await db.engine.forEachVersion(of: "translation", batchSize: 2, on: db.sql) { seen.add("\($0.key.joined(separator: "/"))@\($0.transactionID)") }
            // Numeric key order (2 before 10), whatever the page size.
            #expect(seen.all == ["1/en@\(tx.insert)", "1/en@\(tx.update)", "1/fr@\(tx.insert)", "1/fr@\(tx.delete)", "2/en@\(tx.insert)", "10/en@\(tx.insert)"])
            let later = Collected()
            try await db.engine.forEachVersion(of: "translation", since: tx.insert, batchSize: 1, on: db.sql) { later.add($0.operation.description) }
            #expect(later.all == ["UPDATE", "DELETE"])
            await #expect(throws: ContinuumError.invalidBatchSize(0)) {
                try await db.engine.forEachVersion(of: "translation", batchSize: 0, on: db.sql) { _ in }
            }
        }
    }

    @Test("the table as of a transaction and as of a date", arguments: TestDatabase.allCases)
    func asOf(_ database: TestDatabase) async throws {
        try await database.run { db in
            let tx = try await Self.setUp(db)
            func rows(_ transaction: Int) async throws -> [String] {
                let rows = Collected()
                try await db.engine.forEachRow(of: "translation", asOf: transaction, batchSize: 1, on: db.sql) {
                    rows.add("\($0.key.joined(separator: "/"))=\(($0["title"] ?? nil) ?? "NULL")")
                }
                return rows.all
            }
            #expect(try await rows(tx.insert - 1).isEmpty)
            #expect(try await rows(tx.insert) == ["1/en=Hello", "1/fr=Bonjour", "2/en=Two", "10/en=Ten"])
            #expect(try await rows(tx.update) == ["1/en=Hello!", "1/fr=Bonjour", "2/en=Two", "10/en=Ten"])
            #expect(try await rows(tx.delete) == ["1/en=Hello!", "2/en=Two", "10/en=Ten"])
            #expect(try await db.engine.transactionID(atOrBefore: Date().addingTimeInterval(3600), on: db.sql) == tx.delete)
            #expect(try await db.engine.transactionID(atOrBefore: Date(timeIntervalSince1970: 0), on: db.sql) == nil)
        }
    }

    @Test("the log filtered by user, table and dates", arguments: TestDatabase.allCases)
    func filteredLog(_ database: TestDatabase) async throws {
        try await database.run { db in
            let tx = try await Self.setUp(db)
            try await db.exec("CREATE TABLE other (id INTEGER PRIMARY KEY, v TEXT)")
            try await db.engine.enable("other", on: db.sql)
            try await db.engine.versioned(on: db.sql, userID: "alice") { sql in try await sql.raw("INSERT INTO other (id, v) VALUES (1, 'x')").run() }
            let other = try await db.engine.transactions(limit: 1, on: db.sql)[0].id
            let alice = try await db.engine.transactions(matching: .init(userID: "alice"), on: db.sql)
            #expect(alice.map(\.id) == [other, tx.delete, tx.insert])
            let translation = try await db.engine.transactions(matching: .init(userID: "alice", entityName: "translation"), limit: 1, on: db.sql)
            #expect(translation.map(\.id) == [tx.delete])
            let bob = try await db.engine.transactions(matching: .init(userID: "bob"), on: db.sql)
            #expect(bob.first?.meta == ["why": "typo"] && bob.first?.changedEntities == ["translation"])
            let now = Date()
            #expect(try await db.engine.transactions(matching: .init(since: now.addingTimeInterval(3600)), on: db.sql).isEmpty)
            #expect(try await db.engine.transactions(matching: .init(until: now.addingTimeInterval(-3600)), on: db.sql).isEmpty)
            let today = try await db.engine.transactions(matching: .init(since: now.addingTimeInterval(-3600), until: now.addingTimeInterval(3600), before: other), on: db.sql)
            #expect(today.map(\.id) == [tx.delete, tx.update, tx.insert])
        }
    }

    @Test("revert one row to a transaction: update, insert again, delete, or nothing", arguments: TestDatabase.allCases)
    func revertRow(_ database: TestDatabase) async throws {
        try await database.run { db in
            let tx = try await Self.setUp(db)
            let updated = try await db.engine.revert("translation", key: ["id": "1", "lang": "en"], to: tx.insert, userID: "ops", on: db.sql)
            #expect(updated.action == .updated && updated.version?.transactionID == tx.insert)
            #expect(try await db.rows("SELECT title FROM translation WHERE id = 1 AND lang = 'en'") == [["Hello"]])
            let revert = try await db.engine.transactions(limit: 1, on: db.sql)[0]
            #expect(revert.userID == "ops" && revert.changedEntities == ["translation"])
            let inserted = try await db.engine.revert("translation", key: ["id": "1", "lang": "fr"], to: tx.update, on: db.sql)
            #expect(inserted.action == .inserted)
            #expect(try await db.rows("SELECT title FROM translation WHERE id = 1 AND lang = 'fr'") == [["Bonjour"]])
            let deleted = try await db.engine.revert("translation", key: ["id": "2", "lang": "en"], to: tx.insert - 1, on: db.sql)
            #expect(deleted.action == .deleted && deleted.version == nil)
            #expect(try await db.count("translation", where: "id = 2") == 0)
            let unchanged = try await db.engine.revert("translation", key: ["id": "2", "lang": "en"], to: tx.insert - 1, on: db.sql)
            #expect(unchanged.action == .unchanged)
            let none = try await db.engine.revert("translation", key: ["id": "7", "lang": "en"], to: tx.insert, on: db.sql)
            #expect(none.action == .noHistory)
            try await db.expectConsistent("translation")
        }
    }
}

/// Values collected by a `@Sendable` callback.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String] = []
    func add(_ value: String) { self.lock.withLock { self.values.append(value) } }
    var all: [String] { self.lock.withLock { self.values } }
}
