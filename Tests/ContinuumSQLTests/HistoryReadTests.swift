import ContinuumSQL
import SQLKit
import Testing

@Suite("Raw history reads")
struct HistoryReadTests {
    @Test("versions of a row, versions of a transaction, the transaction log", arguments: TestDatabase.allCases)
    func reads(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.createSeedTables()
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("article", options: .init(entityName: "Article"), on: db.sql)
            try await db.engine.enable("tag", options: .init(entityName: "Tag"), on: db.sql)
            try await db.engine.versioned(on: db.sql, userID: "alice", meta: ["step": "create"]) { sql in
                try await sql.raw("INSERT INTO article (id, name) VALUES (1, 'a'), (2, 'b')").run()
                try await sql.raw("INSERT INTO tag (id, name, article_id) VALUES (1, 't', 1)").run()
            }
            try await db.engine.versioned(on: db.sql, userID: "bob") { sql in
                try await sql.raw("UPDATE article SET name = 'a2' WHERE id = 1").run()
            }
            try await db.engine.versioned(on: db.sql, userID: "alice") { sql in
                try await sql.raw("DELETE FROM article WHERE id = 1").run()
            }

            let history = try await db.engine.versions(of: "article", key: ["id": 1], on: db.sql)
            #expect(history.map(\.operation) == [.insert, .update, .delete])
            #expect(history.map(\.transactionID) == [1, 2, 3])
            #expect(history.map(\.endTransactionID) == [2, 3, nil])
            #expect(try history.map { try $0.decode("name", as: String.self) } == ["a", "a2", "a2"])
            #expect(history[0].isModified("name") == nil, "no mod tracking on this table")

            let first = try await db.engine.versions(inTransaction: 1, on: db.sql)
            #expect(first.map(\.table).sorted() == ["article", "article", "tag"])
            let third = try await db.engine.versions(inTransaction: 3, on: db.sql)
            #expect(third.map(\.table).sorted() == ["article", "tag"], "the cascade is part of the delete's transaction")

            let log = try await db.engine.transactions(on: db.sql)
            #expect(log.map(\.id) == [3, 2, 1])
            #expect(log.map(\.changedEntities) == [["Article", "Tag"], ["Article"], ["Article", "Tag"]])
            #expect(log.last?.meta == ["step": "create"])
            #expect(try await db.engine.transactions(userID: "alice", on: db.sql).map(\.id) == [3, 1])
            #expect(try await db.engine.transactions(before: 3, limit: 1, on: db.sql).map(\.id) == [2])
            #expect(try await db.engine.transaction(id: 2, on: db.sql)?.userID == "bob")
            #expect(try await db.engine.transaction(id: 99, on: db.sql) == nil)
        }
    }
}
