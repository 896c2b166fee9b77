import ContinuumSQL
import SQLKit
import Testing

@Suite("Seed scenario")
struct SeedScenarioTests {
    /// Semantics.md, "Rows after the seed scenario", written with raw SQL inside scopes.
    @Test("raw SQL in versioned scopes yields Continuum's rows", arguments: TestDatabase.allCases)
    func seedScenario(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.createSeedTables()
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("article", options: .init(entityName: "Article"), on: db.sql)
            try await db.engine.enable("tag", options: .init(entityName: "Tag"), on: db.sql)

            try await db.engine.versioned(on: db.sql, userID: "1") { sql in
                try await sql.raw("INSERT INTO article (id, name, content) VALUES (1, \(bind: "Some article"), \(bind: "Some content"))").run()
                try await sql.raw("INSERT INTO tag (id, name, article_id) VALUES (1, \(bind: "python"), 1)").run()
            }
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("UPDATE article SET name = \(bind: "Updated article") WHERE id = 1").run()
            }
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("UPDATE article SET name = \(bind: "Updated article") WHERE id = 1").run()
            }
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("DELETE FROM tag WHERE id = 1").run()
            }
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("UPDATE article SET name = \(bind: "Some article"), content = \(bind: "Some content") WHERE id = 1").run()
            }

            #expect(
                try await db.versions("article_version", ["id", "name"]) == [
                    ["1", "Some article", "1", "2", "0"],
                    ["1", "Updated article", "2", "4", "1"],
                    ["1", "Some article", "4", nil, "1"],
                ])
            #expect(
                try await db.versions("tag_version", ["id", "name", "article_id"]) == [
                    ["1", "python", "1", "1", "3", "0"],
                    ["1", "python", "1", "3", nil, "2"],
                ])
            #expect(
                try await db.rows("SELECT CAST(id AS TEXT), user_id FROM \"transaction\" ORDER BY id") == [
                    ["1", "1"], ["2", nil], ["3", nil], ["4", nil],
                ])
            #expect(
                try await db.rows("SELECT CAST(transaction_id AS TEXT), entity_name FROM transaction_changes ORDER BY 1, 2") == [
                    ["1", "Article"], ["1", "Tag"], ["2", "Article"], ["3", "Tag"], ["4", "Article"],
                ])
        }
    }
}
