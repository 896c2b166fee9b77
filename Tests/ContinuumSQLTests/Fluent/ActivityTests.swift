import ContinuumSQL
import FluentContinuum
import FluentKit
import Foundation
import SQLKit
import Testing

@Suite("Activity feed")
struct ActivityTests {
    struct Reason: Codable, Equatable, Sendable { var reason: String }

    /// The fixtures, versioned, with the activity table.
    static func prepare(_ db: TestContext) async throws {
        try await CreateFixtures().prepare(on: db.fluent)
        try await Continuum.activityMigration.prepare(on: db.fluent)
    }

    @Test("an activity joins its scope's transaction and keeps the versions of that transaction after later edits and a delete", arguments: TestDatabase.allCases)
    func versionsAtTheActivity(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.prepare(db)
            let article = Article(name: "First")
            let created = try await db.fluent.versioned(userID: "alice") { db in
                try await article.save(on: db)
                return try await Activity.record(verb: "create", object: article, data: Reason(reason: "new"), on: db)
            }
            let tag = Tag(name: "swift", articleID: try article.requireID())
            let tagged = try await db.fluent.versioned(userID: "bob") { db in
                try await tag.save(on: db)
                article.name = "Second"
                try await article.save(on: db)
                return try await Activity.record(verb: "tag", object: tag, target: article, on: db)
            }
            // Later edits, then a delete recorded after it happened.
            try await db.fluent.versioned(userID: "carol") { db in
                article.name = "Third"
                try await article.save(on: db)
            }
            let deleted = try await db.fluent.versioned(userID: "dave") { db in
                try await tag.delete(on: db)
                try await article.delete(on: db)
                return try await Activity.record(verb: "delete", object: article, on: db)
            }

            let versions = try await Article.versions(id: try article.requireID(), on: db.fluent)
            #expect(versions.map(\.model.name) == ["First", "Second", "Third", "Third"])
            #expect(created.transactionID == versions[0].transactionID)
            #expect(created.objectTransactionID == versions[0].transactionID)
            #expect(tagged.transactionID == versions[1].transactionID)
            #expect(tagged.targetTransactionID == versions[1].transactionID)
            #expect(deleted.objectTransactionID == versions[3].transactionID)

            let feed = try await Activity.feed(on: db.fluent)
            #expect(feed.map(\.verb) == ["delete", "tag", "create"], "newest first")
            #expect(feed.map(\.userID) == ["dave", "bob", "alice"], "the actor is the transaction's user")
            #expect(feed.allSatisfy { $0.issuedAt != nil })
            let first = try #require(feed.last)
            #expect(try await first.objectVersion(Article.self, on: db.fluent)?.model.name == "First", "not the current name")
            #expect(try first.data(as: Reason.self) == Reason(reason: "new"))
            #expect(try await first.objectVersion(Tag.self, on: db.fluent) == nil, "the object is not a Tag")
            #expect(try await first.transaction(on: db.fluent).userID == "alice")
            #expect(try await feed[1].objectVersion(Tag.self, on: db.fluent)?.model.name == "swift")
            #expect(try await feed[1].targetVersion(Article.self, on: db.fluent)?.model.name == "Second")
            #expect(try feed[1].data(as: Reason.self) == nil)
            let gone = try #require(try await feed[0].objectVersion(Article.self, on: db.fluent))
            #expect(gone.operation == .delete)
            #expect(gone.model.name == "Third", "a DELETE version keeps the row's last values")
            #expect(try await Activity.find(created.id, on: db.fluent)?.verb == "create")
        }
    }

    @Test("the feed filters by actor, verb, object, target and either, and pages newest first", arguments: TestDatabase.allCases)
    func feedFilters(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.prepare(db)
            let one = Article(name: "One")
            let two = Article(name: "Two")
            try await db.fluent.versioned(userID: "alice") { db in
                try await one.save(on: db)
                try await two.save(on: db)
                try await Activity.record(verb: "create", object: one, on: db)
                try await Activity.record(verb: "create", object: two, on: db)
            }
            let tag = Tag(name: "t", articleID: try two.requireID())
            try await db.fluent.versioned(userID: "bob") { db in
                one.name = "One, edited"
                try await one.save(on: db)
                try await tag.save(on: db)
                try await Activity.record(verb: "update", object: one, on: db)
                try await Activity.record(verb: "tag", object: tag, target: two, on: db)
            }
            let oneEntity = try ActivityEntity(one)
            let twoEntity = try ActivityEntity(Article.self, id: try two.requireID())
            func verbs(_ filter: ActivityFilter, limit: Int = 50) async throws -> [String] {
                try await Activity.feed(matching: filter, limit: limit, on: db.fluent).map { "\($0.verb) \($0.object?.id ?? 0)" }
            }
            let (o, t, g) = (try one.requireID(), try two.requireID(), try tag.requireID())
            #expect(try await verbs(.init()) == ["tag \(g)", "update \(o)", "create \(t)", "create \(o)"])
            #expect(try await verbs(.init(userID: "alice")) == ["create \(t)", "create \(o)"])
            #expect(try await verbs(.init(verb: "update")) == ["update \(o)"])
            #expect(try await verbs(.init(object: oneEntity)) == ["update \(o)", "create \(o)"])
            #expect(try await verbs(.init(target: twoEntity)) == ["tag \(g)"])
            #expect(try await verbs(.init(involving: twoEntity)) == ["tag \(g)", "create \(t)"])
            #expect(try await verbs(.init(userID: "bob", verb: "create")) == [])
            #expect(try await verbs(.init(object: ActivityEntity(type: "Tag", id: g))) == ["tag \(g)"])

            // Paging: the cursor is the last id of the previous page.
            let page1 = try await Activity.feed(limit: 3, on: db.fluent)
            let page2 = try await Activity.feed(matching: .init(before: page1.last?.id), limit: 3, on: db.fluent)
            #expect(page1.count == 3)
            #expect(page2.map(\.verb) == ["create"])
            #expect(page2.first?.object == oneEntity)
        }
    }

    @Test("an activity in a scope that wrote nothing creates the scope's transaction with its actor; a rollback takes it back", arguments: TestDatabase.allCases)
    func activityAlone(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.prepare(db)
            let article = Article(name: "A")
            try await db.fluent.versioned(userID: "alice") { db in try await article.save(on: db) }
            let viewed = try await db.fluent.versioned(userID: "bob", meta: ["page": "home"]) { db in
                try await Activity.record(verb: "view", object: article, on: db)
            }
            let transaction = try await viewed.transaction(on: db.fluent)
            #expect(transaction.userID == "bob")
            #expect(try await transaction.meta(on: db.fluent) == ["page": "home"])
            #expect(viewed.objectTransactionID == (try await article.versions(on: db.fluent)).first?.transactionID)

            struct Failure: Error {}
            await #expect(throws: Failure.self) {
                try await db.fluent.versioned(userID: "carol") { db in
                    try await Activity.record(verb: "view", object: article, on: db)
                    throw Failure()
                }
            }
            #expect(try await Activity.feed(on: db.fluent).map(\.verb) == ["view"])
            #expect(try await Transaction.query(on: db.fluent).filter(\.$userID == "carol").count() == 0)
        }
    }

    @Test("recording refuses: outside a scope, another handle, unsaved or non-integer ids, unversioned models, a bad verb, no table", arguments: TestDatabase.allCases)
    func errors(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let article = Article(name: "A")
            try await db.fluent.versioned { db in try await article.save(on: db) }
            await #expect(throws: ContinuumError.activityTableMissing(table: "activity")) {
                try await db.fluent.versioned { db in try await Activity.record(verb: "x", object: article, on: db) }
            }
            await #expect(throws: ContinuumError.activityTableMissing(table: "activity")) { try await Activity.feed(on: db.fluent) }
            try await Continuum.activityMigration.prepare(on: db.fluent)
            try await Continuum.activityMigration.prepare(on: db.fluent)  // again: changes nothing

            await #expect(throws: ContinuumError.activityOutsideScope) { try await Activity.record(verb: "x", object: article, on: db.fluent) }
            let outer = db.fluent
            await #expect(throws: ContinuumError.activityOutsideScope) {
                try await db.fluent.versioned { _ in try await Activity.record(verb: "x", object: article, on: outer) }
            }
            await #expect(throws: ContinuumError.idRequired(model: "Article")) {
                try await db.fluent.versioned { db in try await Activity.record(verb: "x", object: Article(name: "unsaved"), on: db) }
            }
            let note = Note(text: "n")
            let membership = Membership(teamID: 1, userID: 2, role: "r")
            try await db.fluent.versioned { db in
                try await note.save(on: db)
                try await membership.save(on: db)
            }
            await #expect(throws: ContinuumError.activityKeyUnsupported(type: "Note")) {
                try await db.fluent.versioned { db in try await Activity.record(verb: "x", object: note, on: db) }
            }
            await #expect(throws: ContinuumError.activityKeyUnsupported(type: "Membership")) {
                try await db.fluent.versioned { db in try await Activity.record(verb: "x", object: article, target: membership, on: db) }
            }
            for verb in ["", String(repeating: "v", count: 256)] {
                await #expect(throws: ContinuumError.invalidActivityVerb) {
                    try await db.fluent.versioned { db in try await Activity.record(verb: verb, object: article, on: db) }
                }
            }
            // A model whose table is not versioned (its registry entry is gone).
            try await Tag.versioning.revert(on: db.fluent)
            let tag = Tag(name: "t", articleID: try article.requireID())
            try await tag.save(on: db.fluent)
            await #expect(throws: ContinuumError.activityEntityNotVersioned(type: "Tag")) {
                try await db.fluent.versioned { db in try await Activity.record(verb: "x", object: tag, on: db) }
            }
            #expect(try await Activity.feed(on: db.fluent).isEmpty, "nothing was recorded")
            #expect(ContinuumError.activityOutsideScope.description.contains("db.versioned"))
        }
    }

    @Test("engine: raw SQL users record and read activities; a configured table name, created by install; the scope's transaction id comes from the database", arguments: TestDatabase.allCases)
    func engine(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.createSeedTables()
            let engine = VersioningEngine(configuration: .init(activityTable: "audit_activity", createsActivityTable: true))
            try await engine.install(on: db.sql)
            #expect(try await db.tableExists("audit_activity"))
            try await engine.enable("article", options: .init(entityName: "Article"), on: db.sql)
            try await db.exec("CREATE TABLE plain (id INTEGER PRIMARY KEY, name TEXT)")
            let (written, idInScope) = try await engine.versioned(on: db.sql, userID: "alice") { sql in
                try await sql.raw("INSERT INTO article (name) VALUES ('Some article')").run()
                let id = try await engine.currentTransactionID(on: sql)
                let record = try await engine.recordActivity(
                    verb: "create", object: ActivityEntity(type: "Article", id: 1), data: #"{"n": 1}"#, on: sql)
                return (record, id)
            }
            try await engine.versioned(on: db.sql, userID: "bob") { sql in
                try await sql.raw("UPDATE article SET name = 'Updated' WHERE id = 1").run()
                _ = try await engine.recordActivity(verb: "update", object: .init(type: "Article", id: 1), on: sql)
            }
            let versions = try await engine.versions(of: "article", key: ["id": 1], on: db.sql)
            #expect(written.transactionID == versions[0].transactionID)
            #expect(idInScope == versions[0].transactionID)
            await #expect(throws: ContinuumError.activityEntityNotVersioned(type: "plain")) {
                try await engine.versioned(on: db.sql) { sql in _ = try await engine.recordActivity(verb: "x", object: .init(type: "plain", id: 1), on: sql) }
            }
            await #expect(throws: ContinuumError.activityOutsideScope) { _ = try await engine.currentTransactionID(on: db.sql) }
            await #expect(throws: ContinuumError.invalidActivityData) {
                try await engine.versioned(on: db.sql) { sql in _ = try await engine.recordActivity(verb: "x", data: "{not json", on: sql) }
            }
            let feed = try await engine.activities(on: db.sql)
            #expect(feed.map(\.verb) == ["update", "create"])
            #expect(feed.map(\.userID) == ["bob", "alice"])
            #expect(feed.map(\.objectTransactionID) == versions.reversed().map { Optional($0.transactionID) })
            #expect(feed.last?.data?.replacingOccurrences(of: " ", with: "") == #"{"n":1}"#)
            #expect(try await engine.activity(id: written.id, on: db.sql)?.object == ActivityEntity(type: "Article", id: 1))
            #expect(try await db.count("audit_activity") == 2)
        }
    }

    /// ConcurrencyTests' renumbering regression, with an activity recorded before the renumber.
    @Test("PostgreSQL: a transaction renumbered to follow commit order takes its activities along")
    func renumberedActivity() async throws {
        try await TestDatabase.postgres.run(connectionsPerEventLoop: 4) { db in
            try await SemanticsTests.setUp(db)
            try await db.engine.installActivity(on: db.sql)
            try await db.exec("INSERT INTO item (id, name, qty) VALUES (1, 'a', 0), (2, 'b', 0)")
            try await db.sql.withSession { older in
                try await db.engine.versioned(on: older, userID: "older") { sql in
                    try await sql.raw("UPDATE item SET qty = 1 WHERE id = 2").run()  // takes the older id, 2
                    let recorded = try await db.engine.recordActivity(
                        verb: "count", object: .init(type: "item", id: 2), target: .init(type: "item", id: 1), on: sql)
                    #expect([recorded.transactionID, recorded.objectTransactionID, recorded.targetTransactionID] == [2, 2, 1])
                    // A younger transaction (another task: not this scope) commits a version of item 1 as 3.
                    try await Task.detached {
                        try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE item SET qty = 2 WHERE id = 1").run() }
                    }.value
                    try await sql.raw("UPDATE item SET qty = 3 WHERE id = 1").run()  // closes it: renumbered to 4
                }
            }
            let activity = try #require(try await db.engine.activities(on: db.sql).first)
            #expect(activity.transactionID == 4)
            #expect(activity.objectTransactionID == 4, "the object's version moved with its transaction")
            #expect(activity.targetTransactionID == 1, "the target's version was another transaction's")
            #expect(activity.userID == "older")
            try await db.expectConsistent("item")
        }
    }
}
