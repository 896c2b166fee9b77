import ContinuumSQL
import FluentContinuum
import FluentKit
import NIOPosix
import SQLKit
import Testing

@Suite("Schema changes")
struct SchemaChangeTests {
    static func setUp(_ db: TestContext, options: TableVersioningOptions = .init()) async throws {
        try await SemanticsTests.setUp(db, options: options)
        try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)").run() }
    }

    @Test("sync after an added column: the version table gains it and new versions carry it", arguments: TestDatabase.allCases)
    func addedColumn(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db, options: .init(tracksModifiedColumns: true))
            try await db.exec("ALTER TABLE item ADD COLUMN price INTEGER")
            let drift = try #require(try await db.engine.checkDrift("item", on: db.sql))
            #expect(drift.problems == [.columnsAdded(["price"])])
            #expect(drift.fix.contains("sync(\"item\""))
            try await db.engine.sync("item", on: db.sql)
            #expect(try await db.engine.checkDrift(on: db.sql).isEmpty)
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE item SET price = 10 WHERE id = 1").run() }
            #expect(
                try await db.versions("item_version", ["name", "price", "price_mod"]) == [
                    ["a", nil, "0", "1", "2", "0"],
                    ["a", "10", "1", "2", nil, "1"],
                ])
        }
    }

    @Test("alter drops a column: history keeps it, new versions leave it NULL", arguments: TestDatabase.allCases)
    func droppedColumn(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            try await db.engine.alter("item", on: db.sql) { sql in
                try await sql.raw("ALTER TABLE item DROP COLUMN qty").run()
            }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE item SET name = 'b' WHERE id = 1").run() }
            #expect(
                try await db.versions("item_version", ["name", "qty"]) == [
                    ["a", "1", "1", "2", "0"],
                    ["b", nil, "2", nil, "1"],
                ])
            #expect(try await db.engine.checkDrift(on: db.sql).isEmpty)
        }
    }

    @Test("a plain DROP COLUMN of a versioned column is refused and history stays intact", arguments: TestDatabase.allCases)
    func droppedOutsideAlter(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            // Both databases refuse while the triggers name the column.
            await #expect(throws: (any Error).self) { try await db.exec("ALTER TABLE item DROP COLUMN qty") }
            #expect(try await db.engine.checkDrift(on: db.sql).isEmpty)
            if database == .postgres {
                // CASCADE drops the trigger that names the column (the column guard of the
                // statement-level update trigger): drift names both, sync repairs.
                try await db.exec("ALTER TABLE item DROP COLUMN qty CASCADE")
                let drift = try #require(try await db.engine.checkDrift("item", on: db.sql))
                #expect(drift.problems == [.triggersMissing(["continuum_columns"]), .columnsDropped(["qty"])])
                try await db.engine.sync("item", on: db.sql)
                #expect(try await db.engine.checkDrift(on: db.sql).isEmpty)
                try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE item SET name = 'b'").run() }
                #expect(try await db.count("item_version") == 2)
            }
        }
    }

    @Test("renamed columns keep their history under the new name", arguments: TestDatabase.allCases)
    func renamedColumn(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db, options: .init(tracksModifiedColumns: true))
            try await db.engine.alter("item", renamedColumns: ["name": "title"], on: db.sql) { sql in
                try await sql.raw("ALTER TABLE item RENAME COLUMN name TO title").run()
            }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE item SET title = 'b' WHERE id = 1").run() }
            #expect(
                try await db.versions("item_version", ["title", "title_mod"]) == [
                    ["a", "1", "1", "2", "0"],
                    ["b", "1", "2", nil, "1"],
                ])
            #expect(try await db.engine.checkDrift(on: db.sql).isEmpty)
        }
    }

    @Test("a connection that read history before another connection renamed a column reads it under the new name", arguments: TestDatabase.allCases)
    func renamedOnAnotherConnection(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            // Two handles on two event loops: two connections, each with its own copy of the
            // schema on SQLite. `reader` reads history before each rename made through `writer`.
            let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
            try #require(loops.count >= 2, "the test needs two event loops for two connections")
            let writer = db.handleOnLoop(loops[0]) as! any SQLDatabase
            let readerFluent = db.handleOnLoop(loops[1])
            let reader = readerFluent as! any SQLDatabase
            func rename(_ old: String, _ new: String, value: String) async throws {
                #expect(try await db.engine.versions(of: "item", key: ["id": 1], on: reader).count >= 1)
                try await db.engine.alter("item", renamedColumns: [old: new], on: writer) { sql in
                    try await sql.raw("ALTER TABLE item RENAME COLUMN \(ident: old) TO \(ident: new)").run()
                }
                try await db.engine.versioned(on: writer) { sql in try await sql.raw("UPDATE item SET \(ident: new) = \(bind: value) WHERE id = 1").run() }
            }

            try await rename("name", "title", value: "b")
            let typed = try await RenamedItem.versions(id: 1, on: readerFluent).map(\.model.$title.value)
            #expect(typed == ["a", "b"], "the typed history read")

            try await rename("title", "label", value: "c")
            let records = try await db.engine.versions(of: "item", key: ["id": 1], on: reader)
            #expect(try records.map { try $0.decode("label", as: String?.self) } == ["a", "b", "c"], "the engine's history read")

            try await rename("label", "caption", value: "d")
            let last = try await db.engine.transactions(limit: 1, on: writer)[0].id
            let written = try await db.engine.versions(inTransaction: last, on: reader)
            #expect(try written.map { try $0.decode("caption", as: String?.self) } == ["d"], "a transaction's versions")

            try await rename("caption", "heading", value: "e")
            let plan = try await db.engine.revertPlan(transaction: last, on: reader)
            #expect(try plan.changes.map { try $0.version.decode("heading", as: String?.self) } == ["d"], "a revert plan")
        }
    }

    @Test("missing triggers are reported as drift and sync restores them", arguments: TestDatabase.allCases)
    func missingTriggers(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            if database == .sqlite {
                try await db.exec(#"DROP TRIGGER "_continuum_item_update""#)
            } else {
                try await db.exec(#"DROP TRIGGER "continuum_update" ON item"#)
            }
            let drift = try #require(try await db.engine.checkDrift(on: db.sql).first)
            guard case .triggersMissing(let names) = drift.problems.first else {
                Issue.record("expected missing triggers, got \(drift)")
                return
            }
            #expect(names.count == 1)
            #expect(drift.description.contains("sync"))
            try await db.engine.sync("item", on: db.sql)
            #expect(try await db.engine.checkDrift(on: db.sql).isEmpty)
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE item SET qty = 2").run() }
            #expect(try await db.count("item_version") == 2)
        }
    }

    @Test("disable keeps history by default; enabling again adopts it and continues each chain", arguments: TestDatabase.allCases)
    func disableAndReenable(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            try await db.engine.disable("item", on: db.sql)
            try await db.exec("INSERT INTO item (id, name, qty) VALUES (2, 'unversioned', 1)")
            #expect(try await db.count("item_version") == 1)
            #expect(try await db.engine.versionedTables(on: db.sql).isEmpty)
            try await db.engine.enable("item", on: db.sql)
            // Enabling again backfills the row written while versioning was off (transaction 2).
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE item SET qty = 5 WHERE id = 1").run() }
            #expect(
                try await db.versions("item_version", ["id", "qty"]) == [
                    ["1", "1", "1", "3", "0"], ["1", "5", "3", nil, "1"], ["2", "1", "2", nil, "0"],
                ])
            try await db.expectConsistent("item")
            try await db.engine.disable("item", keepHistory: false, on: db.sql)
            #expect(try await !db.tableExists("item_version"))
        }
    }

    @Test("sync refuses a changed primary key with an error saying what to do", arguments: TestDatabase.allCases)
    func changedPrimaryKey(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE pair (a INTEGER NOT NULL, b INTEGER NOT NULL, v TEXT, PRIMARY KEY (a))")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("pair", on: db.sql)
            try await db.exec("DROP TABLE pair", "CREATE TABLE pair (a INTEGER NOT NULL, b INTEGER NOT NULL, v TEXT, PRIMARY KEY (a, b))")
            await #expect(throws: ContinuumError.primaryKeyChanged(table: "pair")) { try await db.engine.sync("pair", on: db.sql) }
            // Disabling and enabling again refuses too: the kept version table is keyed by the old key.
            try await db.engine.disable("pair", on: db.sql)
            await #expect(throws: ContinuumError.notAVersionTable(table: "pair", versionTable: "pair_version", primaryKey: ["a", "b"])) {
                try await db.engine.enable("pair", on: db.sql)
            }
        }
    }
}

/// `item` after its `name` column became `title` (SchemaChangeTests).
final class RenamedItem: Model, Versioned, @unchecked Sendable {
    static let schema = "item"
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @OptionalField(key: "title") var title: String?
    @OptionalField(key: "qty") var qty: Int?
    init() {}
}
