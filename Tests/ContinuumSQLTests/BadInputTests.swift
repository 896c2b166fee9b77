import ContinuumSQL
import FluentContinuum
import FluentKit
import SQLKit
import Testing

/// Bad input the issue names beyond the basic typed errors (ErrorTests): what cannot be
/// versioned, columns dropped behind versioning's back, and the typed API pointed at tables
/// that are not (or no longer) versioned. History must stay intact in every case.
@Suite("Bad input")
struct BadInputTests {
    @Test("views, materialized views and virtual tables are refused with a typed error", arguments: TestDatabase.allCases)
    func notATable(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE item (id \(db.autoKey), name TEXT)", "CREATE VIEW item_names AS SELECT id, name FROM item")
            try await db.engine.install(on: db.sql)
            await #expect(throws: ContinuumError.unsupportedTable("item_names", kind: "view")) { try await db.engine.enable("item_names", on: db.sql) }
            if database == .sqlite {
                try await db.exec("CREATE VIRTUAL TABLE search USING fts5(body)")
                await #expect(throws: ContinuumError.unsupportedTable("search", kind: "virtual table")) { try await db.engine.enable("search", on: db.sql) }
            } else {
                try await db.exec("CREATE MATERIALIZED VIEW item_counts AS SELECT COUNT(*) AS n FROM item")
                await #expect(throws: ContinuumError.unsupportedTable("item_counts", kind: "materialized view")) {
                    try await db.engine.enable("item_counts", on: db.sql)
                }
            }
            #expect(ContinuumError.unsupportedTable("item_names", kind: "view").description.contains("versions plain tables only; version the tables it is built from"))
            #expect(try await db.engine.versionedTables(on: db.sql).isEmpty)
            #expect(try await !db.tableExists("item_names_version"))
        }
    }

    @Test("a column dropped behind versioning's back is reported as drift; sync restores versioning and keeps the column's history", arguments: TestDatabase.allCases)
    func droppedBehindOurBack(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE item (id \(db.autoKey), name TEXT, legacy TEXT)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("item", on: db.sql)
            try await db.engine.versioned(on: db.sql) { try await $0.raw("INSERT INTO item (name, legacy) VALUES ('a', 'old')").run() }
            if database == .sqlite {
                // SQLite's table-rebuild migration: the triggers go with the old table.
                try await db.exec(
                    "CREATE TABLE item_new (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT)",
                    "INSERT INTO item_new (id, name) SELECT id, name FROM item",
                    "DROP TABLE item",
                    "ALTER TABLE item_new RENAME TO item"
                )
            } else {
                // CASCADE drops the update trigger, whose WHEN clause names the column.
                try await db.exec("ALTER TABLE item DROP COLUMN legacy CASCADE")
            }
            let drift = try #require(try await db.engine.checkDrift("item", on: db.sql))
            #expect(drift.problems.contains { if case .triggersMissing = $0 { true } else { false } })
            #expect(drift.problems.contains(.columnsDropped(["legacy"])))
            try await db.engine.sync("item", on: db.sql)
            #expect(try await db.engine.checkDrift(on: db.sql).isEmpty)
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE item SET name = 'b'").run() }
            #expect(
                try await db.versions("item_version", ["id", "name", "legacy"]) == [
                    ["1", "a", "old", "1", "2", "0"],
                    ["1", "b", nil, "2", nil, "1"],
                ])
            try await db.expectConsistent("item")
        }
    }

    @Test("the typed API on a table that is not versioned, no longer versioned, or versioned into another table: typed errors, history intact", arguments: TestDatabase.allCases)
    func typedAPIOnUnversionedTables(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            try await db.fluent.schema(Draft.schema).field("id", .int, .identifier(auto: true)).field("text", .string, .required).create()
            let draft = Draft(text: "never versioned")
            try await draft.save(on: db.fluent)
            await #expect(throws: ContinuumError.tableNotVersioned("draft")) { try await draft.versions(on: db.fluent) }
            await #expect(throws: ContinuumError.tableNotVersioned("draft")) { try await Draft.versionCount(id: 1, on: db.fluent) }
            await #expect(throws: ContinuumError.tableNotVersioned("draft")) { try await Draft.deletedVersions(on: db.fluent) }
            await #expect(throws: ContinuumError.tableNotVersioned("draft")) { try await Draft.query(on: db.fluent).versions() }

            let note = Note(text: "first")
            try await db.fluent.versioned { try await note.save(on: $0) }
            try await db.fluent.versioned { db in
                note.text = "second"
                try await note.save(on: db)
            }
            let versions = try await note.versions(on: db.fluent)
            // A model that reads another version table than its table is versioned into.
            await #expect(throws: ContinuumError.versionTableMismatch(table: "note", modelVersionTable: "note_history", versionTable: "note_version")) {
                try await NoteElsewhere.versions(id: note.requireID(), on: db.fluent)
            }
            let wrongModel = try await NoteElsewhere.query(on: db.fluent).all()
            #expect(wrongModel.count == 1)
            // Versioning turned off: the kept history still reads, but a revert would leave no
            // version behind, so it is refused.
            try await Note.versioning.revert(on: db.fluent)
            #expect(try await note.versions(on: db.fluent).count == 2)
            await #expect(throws: ContinuumError.tableNotVersioned("note")) { try await versions[0].revert(on: db.fluent) }
            #expect(try await Note.find(note.requireID(), on: db.fluent)?.text == "second")
            #expect(try await db.count("note_version") == 2)
        }
    }

    @Test("typed reads that cannot be answered say why: no id, joins, a transaction gone from the log", arguments: TestDatabase.allCases)
    func unanswerableReads(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            await #expect(throws: ContinuumError.idRequired(model: "Article")) { try await Article(name: "unsaved").versions(on: db.fluent) }
            let (article, _) = try await TypedHistoryTests.seed(db.fluent)
            await #expect(throws: ContinuumError.versionsQueryHasJoins(table: "tag")) {
                try await Tag.query(on: db.fluent).join(Article.self, on: \Tag.$article.$id == \Article.$id).versions()
            }
            let versions = try await article.versions(on: db.fluent)
            try await db.exec(
                "DELETE FROM transaction_changes WHERE transaction_id = 1",
                "DELETE FROM transaction_meta WHERE transaction_id = 1",
                "DELETE FROM \"transaction\" WHERE id = 1"
            )
            let gone = await #expect(throws: ContinuumError.transactionNotFound(1)) { try await versions[0].transaction(on: db.fluent) }
            #expect(gone?.code == .transactionNotFound)
            #expect(try await versions[1].transaction(on: db.fluent).userID == "42")
        }
    }
}

/// A model whose table is never versioned.
final class Draft: Model, Versioned, @unchecked Sendable {
    static let schema = "draft"
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "text") var text: String
    init() {}
    init(text: String) { self.text = text }
}

/// The `note` table seen through a model that believes its history lives elsewhere.
final class NoteElsewhere: Model, Versioned, @unchecked Sendable {
    static let schema = "note"
    static let versioningOptions = VersioningOptions(versionTableName: "note_history")
    @ID(key: .id) var id: UUID?
    @Field(key: "text") var text: String
    init() {}
}
