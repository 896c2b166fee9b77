import ContinuumSQL
import SQLKit
import Testing

@Suite("Table options")
struct OptionsTests {
    @Test("excluded columns are not copied and a change to them alone writes nothing", arguments: TestDatabase.allCases)
    func excludedColumns(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE item (id \(db.autoKey), name TEXT, views INTEGER)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("item", options: .init(excludedColumns: ["views"]), on: db.sql)
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("INSERT INTO item (id, name, views) VALUES (1, 'a', 0)").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE item SET views = views + 1").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE item SET views = 5, name = 'b'").run() }
            #expect(try await db.versions("item_version", ["id", "name"]) == [["1", "a", "1", "2", "0"], ["1", "b", "2", nil, "1"]])
            let columns = try await db.sql.raw("SELECT * FROM item_version").first()?.allColumns ?? []
            #expect(!columns.contains("views"))
            let table = try await db.engine.versionedTable("item", on: db.sql)
            #expect(table.options.excludedColumns == ["views"])
        }
    }

    @Test("version table name and entity name are configurable", arguments: TestDatabase.allCases)
    func names(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE item (id \(db.autoKey), name TEXT)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("item", options: .init(versionTableName: "item_history", entityName: "Item"), on: db.sql)
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("INSERT INTO item (id, name) VALUES (1, 'a')").run() }
            #expect(try await db.versions("item_history", ["id", "name"]) == [["1", "a", "1", nil, "0"]])
            #expect(try await db.rows("SELECT entity_name FROM transaction_changes") == [["Item"]])
        }
    }

    @Test("composite primary keys identify versions", arguments: TestDatabase.allCases)
    func compositeKey(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE membership (team_id INTEGER NOT NULL, user_id INTEGER NOT NULL, role TEXT, PRIMARY KEY (team_id, user_id))")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("membership", on: db.sql)
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO membership VALUES (1, 1, 'owner'), (1, 2, 'member'), (2, 1, 'member')").run()
            }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE membership SET role = 'admin' WHERE team_id = 1 AND user_id = 2").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE membership SET user_id = 3 WHERE team_id = 2").run() }
            #expect(
                try await db.versions("membership_version", ["team_id", "user_id", "role"], orderBy: ["team_id", "user_id"]) == [
                    ["1", "1", "owner", "1", nil, "0"],
                    ["1", "2", "member", "1", "2", "0"],
                    ["1", "2", "admin", "2", nil, "1"],
                    ["2", "1", "member", "1", "3", "0"],
                    ["2", "1", "member", "3", nil, "2"],
                    ["2", "3", "member", "3", nil, "0"],
                ])
            let history = try await db.engine.versions(of: "membership", key: ["team_id": 1, "user_id": 2], on: db.sql)
            #expect(history.map(\.operation) == [.insert, .update])
            #expect(try history.map { try $0.decode("role", as: String.self) } == ["member", "admin"])
        }
    }

    @Test("a table of key columns only (an association table) is versioned", arguments: TestDatabase.allCases)
    func associationTable(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE article_tag (article_id INTEGER NOT NULL, tag_id INTEGER NOT NULL, PRIMARY KEY (article_id, tag_id))")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("article_tag", options: .init(tracksModifiedColumns: true), on: db.sql)
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("INSERT INTO article_tag VALUES (1, 1), (1, 2)").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("DELETE FROM article_tag WHERE tag_id = 1").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE article_tag SET tag_id = 3").run() }
            #expect(
                try await db.versions("article_tag_version", ["article_id", "tag_id"], orderBy: ["article_id", "tag_id"]) == [
                    ["1", "1", "1", "2", "0"], ["1", "1", "2", nil, "2"],
                    ["1", "2", "1", "3", "0"], ["1", "2", "3", nil, "2"],
                    ["1", "3", "3", nil, "0"],
                ])
        }
    }

    @Test("modified-column flags: set on insert for non-NULL values, on update for changed columns, on delete for all", arguments: TestDatabase.allCases)
    func modifiedColumns(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE item (id \(db.autoKey), name TEXT, qty INTEGER)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("item", options: .init(tracksModifiedColumns: true), on: db.sql)
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("INSERT INTO item (id, name) VALUES (1, 'a')").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE item SET qty = 1 WHERE id = 1").run() }
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("UPDATE item SET name = 'b' WHERE id = 1").run()
                try await sql.raw("UPDATE item SET name = 'c' WHERE id = 1").run()
            }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("DELETE FROM item").run() }
            #expect(
                try await db.versions("item_version", ["name_mod", "qty_mod"]) == [
                    ["1", "0", "1", "2", "0"],
                    ["0", "1", "2", "3", "1"],
                    ["1", "0", "3", "4", "1"],
                    ["1", "1", "4", nil, "2"],
                ])
            let history = try await db.engine.versions(of: "item", key: ["id": 1], on: db.sql)
            #expect(history.map { $0.isModified("qty") } == [false, true, false, true])
        }
    }
}
