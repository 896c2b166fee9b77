import FluentContinuum
import FluentKit
import Foundation
import SQLKit
import Testing

/// The transaction log of the databases in these tests, under names of their own.
enum AuditLog: TransactionTableName { static let name = "audit_transaction" }
typealias AuditTransaction = TransactionLog<AuditLog>

@Suite("Per-database configuration")
struct ConfigurationTests {
    static let custom = VersioningConfiguration(
        transactionTable: AuditLog.name,
        transactionChangesTable: "audit_changes",
        transactionMetaTable: "audit_meta"
    )

    @Test("a database whose log has other names is fully usable through the typed API", arguments: TestDatabase.allCases)
    func customTransactionTable(_ database: TestDatabase) async throws {
        try await database.run(versioning: Self.custom) { db in
            let start = Date().addingTimeInterval(-1)
            try await CreateFixtures().prepare(on: db.fluent)
            #expect(try await db.tableExists("audit_transaction"))
            #expect(try await db.tableExists("audit_changes"))
            #expect(try await db.tableExists("audit_meta"))
            let defaultLog = try await db.tableExists("transaction")
            #expect(!defaultLog, "nothing is created under the default names")
            #expect(Continuum.configuration(of: db.fluent).transactionTable == "audit_transaction")

            let (article, tag) = try await TypedHistoryTests.seed(db.fluent)
            try await db.fluent.versioned(userID: "42", meta: ["reason": "note"]) { db in try await Note(text: "n").save(on: db) }

            // Reads, through every handle of the database (a new one, and a scope's).
            let other = db.handle(db.fluent.logger)
            let versions = try await article.versions(on: other)
            #expect(versions.map(\.model.name) == ["Some article", "Updated article", "Some article"])
            #expect(try await versions[2].transaction(on: other).userID == "7")
            #expect(try await db.fluent.versioned { db in try await versions[0].transaction(on: db).userID } == "42")
            #expect(try await tag.versions(on: db.fluent).map(\.operation) == [.insert, .delete])

            // The log as a Fluent model under its own name.
            let mine = try await AuditTransaction.query(on: db.fluent).filter(\.$userID == "42").sort(\.$id).all()
            #expect(mine.map(\.id) == [1, 2, 5])
            #expect(try await AuditTransaction.query(on: db.fluent).issued(after: start).count() == 5)
            #expect(try await AuditTransaction.query(on: db.fluent).changed(Tag.self).sort(\.$id).all().map(\.id) == [1, 3])
            #expect(try await mine[2].meta(on: db.fluent) == ["reason": "note"])
            #expect(try await mine[0].changedEntities(on: db.fluent).keys.sorted() == ["Article", "Tag"])
            #expect(try await mine[0].versions(of: Tag.self, on: db.fluent).map(\.model.name) == ["python"])

            // Point in time, and revert.
            let id = try article.requireID()
            #expect(try await Article.version(id: id, asOf: Date(), on: db.fluent)?.model.name == "Some article")
            #expect(try await Article.version(id: id, asOf: start, on: db.fluent) == nil)
            try await db.fluent.versioned(userID: "undo") { db in try await versions[1].revert(on: db) }
            #expect(try await Article.find(id, on: db.fluent)?.name == "Updated article")
            #expect(try await AuditTransaction.query(on: db.fluent).filter(\.$userID == "undo").count() == 1)
            try await db.expectConsistent("article", "tag")
        }
    }

    @Test("VersioningOptions carries requiresScope: SQLite refuses a write outside a scope", arguments: TestDatabase.allCases)
    func requiresScope(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Guarded.create(on: db.fluent)
            let row = Guarded(name: "inside")
            try await db.fluent.versioned { db in try await row.save(on: db) }
            row.name = "outside"
            if database == .sqlite {
                await #expect(throws: (any Error).self) { try await row.save(on: db.fluent) }
                #expect(try await Guarded.find(row.requireID(), on: db.fluent)?.name == "inside")
            } else {
                try await row.save(on: db.fluent)  // PostgreSQL groups every transaction by itself
            }
            #expect(try await row.versions(on: db.fluent).count == (database == .sqlite ? 1 : 2))
        }
    }

    @Test("VersioningOptions carries updateTrigger: PostgreSQL versions the model's updates per row, with the same history")
    func updateTriggerPerRow() async throws {
        try await TestDatabase.postgres.run { db in
            try await Tally.create(on: db.fluent)
            #expect(try await db.updateTriggerLevel("tally") == "row")
            let counter = Tally(count: 0)
            try await db.fluent.versioned { db in try await counter.save(on: db) }
            for _ in 0..<3 {
                counter.count += 1
                try await db.fluent.versioned { db in try await counter.save(on: db) }
            }
            // A save that changes nothing writes no version.
            try await db.fluent.versioned { db in
                try await Tally.query(on: db).filter(\.$id == counter.requireID()).set(\.$count, to: 3).update()
            }
            #expect(try await counter.versions(on: db.fluent).map(\.operation) == [.insert, .update, .update, .update])
            try await db.expectConsistent("tally")
        }
    }

    @Test("revert asks the registry inside its one write, and still refuses a table no longer versioned", arguments: TestDatabase.allCases)
    func revertStatements(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let note = Note(text: "one")
            try await db.fluent.versioned { db in try await note.save(on: db) }
            note.text = "two"
            try await db.fluent.versioned { db in try await note.save(on: db) }
            let versions = try await note.versions(on: db.fluent)
            let (counted, log) = db.counting()
            _ = try await Note.query(on: counted).count()  // opens the connection
            Note.forgetComputedColumns()
            log.reset()
            try await versions[0].revert(on: counted)
            // The update, guarded by the registry; SQLite first probes for a key it may have
            // reused. PostgreSQL's first revert of a model also reads, once per process, which
            // columns the database computes (generated columns are never written back).
            #expect(log.count == 2)
            #expect(try await Note.find(note.requireID(), on: db.fluent)?.text == "one")
            log.reset()
            try await versions[1].revert(on: counted)
            #expect(log.count == (database == .sqlite ? 2 : 1), "every later revert is the one guarded write")
            try await versions[0].revert(on: counted)

            try await Note.versioning.revert(on: db.fluent)  // stops versioning, keeps history
            await #expect(throws: ContinuumError.tableNotVersioned("note")) { try await versions[1].revert(on: db.fluent) }
            #expect(try await Note.find(note.requireID(), on: db.fluent)?.text == "one", "nothing written without history")
            try await db.fluent.versioned { db in try await note.delete(on: db) }
            await #expect(throws: ContinuumError.tableNotVersioned("note")) { try await versions[1].revert(on: db.fluent) }
            #expect(try await Note.find(note.requireID(), on: db.fluent) == nil)
        }
    }

    @Test("raw history reads cost one statement once the engine knows the table, and notice a change made elsewhere", arguments: TestDatabase.allCases)
    func registryCache(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.createSeedTables()
            let engine = VersioningEngine()
            try await engine.install(on: db.sql)
            try await engine.enable("article", on: db.sql)
            try await engine.versioned(on: db.sql) { sql in try await sql.raw("INSERT INTO article (name) VALUES ('a')").run() }
            let (counted, log) = db.counting()
            let sql = counted as! any SQLDatabase
            #expect(try await engine.versions(of: "article", key: ["id": 1], on: sql).count == 1)
            log.reset()
            #expect(try await engine.versions(of: "article", key: ["id": 1], on: sql).count == 1)
            #expect(log.count == 1, "the registry entry comes from the engine's cache")
            await #expect(throws: ContinuumError.invalidPrimaryKey(table: "article", expected: ["id"])) {
                try await engine.versions(of: "article", key: ["key": 1], on: sql)
            }
            // Another engine (another process, say) drops the history: the read notices.
            try await VersioningEngine().disable("article", keepHistory: false, on: db.sql)
            await #expect(throws: ContinuumError.tableNotVersioned("article")) {
                try await engine.versions(of: "article", key: ["id": 1], on: sql)
            }
            // Enabled again elsewhere with another version table: the read follows it.
            try await VersioningEngine().enable("article", options: .init(versionTableName: "article_history"), on: db.sql)
            #expect(try await engine.versions(of: "article", key: ["id": 1], on: sql).map(\.operation) == [.insert], "the backfilled version")
        }
    }
}

final class Guarded: Model, Versioned, @unchecked Sendable {
    static let schema = "guarded"
    static let versioningOptions = VersioningOptions(requiresScope: true)
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "name") var name: String
    init() {}
    init(name: String) { self.name = name }

    static func create(on database: any Database) async throws {
        try await database.schema(Self.schema).field("id", .int, .identifier(auto: true)).field("name", .string, .required).create()
        try await Continuum.migration.prepare(on: database)
        try await Self.versioning.prepare(on: database)
    }
}

final class Tally: Model, Versioned, @unchecked Sendable {
    static let schema = "tally"
    static let versioningOptions = VersioningOptions(updateTrigger: .perRow)
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "count") var count: Int
    init() {}
    init(count: Int) { self.count = count }

    static func create(on database: any Database) async throws {
        try await database.schema(Self.schema).field("id", .int, .identifier(auto: true)).field("count", .int, .required).create()
        try await Continuum.migration.prepare(on: database)
        try await Self.versioning.prepare(on: database)
    }
}
