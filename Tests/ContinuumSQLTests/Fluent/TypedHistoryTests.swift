import FluentContinuum
import FluentKit
import Foundation
import SQLKit
import Testing

@Suite("Typed history API")
struct TypedHistoryTests {
    /// Semantics.md, "The seed scenario", through the Fluent API.
    static func seed(_ db: any Database) async throws -> (Article, Tag) {
        let article = Article(name: "Some article", content: "Some content")
        let tag = try await db.versioned(userID: "42") { db in
            try await article.save(on: db)
            let tag = Tag(name: "python", articleID: try article.requireID())
            try await tag.save(on: db)
            return tag
        }
        try await db.versioned(userID: "42") { db in
            article.name = "Updated article"
            try await article.save(on: db)
        }
        try await db.versioned { db in
            article.name = "Updated article"
            try await article.save(on: db)
        }
        try await db.versioned { db in try await tag.delete(on: db) }
        try await db.versioned(userID: "7") { db in
            try await article.versions(on: db)[0].revert(on: db)
        }
        return (article, tag)
    }

    @Test("the seed scenario: versions, operations, changesets, traversal", arguments: TestDatabase.allCases)
    func seedScenario(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let (article, tag) = try await Self.seed(db.fluent)
            let versions = try await article.versions(on: db.fluent)
            #expect(versions.map(\.model.name) == ["Some article", "Updated article", "Some article"])
            #expect(versions.map(\.transactionID) == [1, 2, 4])
            #expect(versions.map(\.endTransactionID) == [2, 4, nil])
            #expect(versions.map(\.operation) == [.insert, .update, .update])
            #expect(versions.map(\.index) == [0, 1, 2])
            #expect(versions[0].changeset["name"] == FieldChange(old: .null, new: versions[0].changeset["name"]!.new))
            #expect(try versions[0].changeset["name"]?.new(as: String.self) == "Some article")
            #expect(versions[1].changeset.keys.sorted() == ["name"])
            #expect(try versions[1].changeset["name"]?.old(as: String.self) == "Some article")
            #expect(try versions[1].changeset["name"]?.new(as: String.self) == "Updated article")
            #expect(versions[1].modifiedFields == ["name"])
            #expect(versions[1].previous?.transactionID == 1)
            #expect(versions[1].next?.transactionID == 4)
            #expect(versions[2].next == nil)
            #expect(versions[0].previous == nil)
            #expect(try await versions[2].transaction(on: db.fluent).userID == "7")

            let tagVersions = try await tag.versions(on: db.fluent)
            #expect(tagVersions.map(\.operation) == [.insert, .delete])
            #expect(tagVersions.map(\.model.$article.id) == [1, 1])
            #expect(try await Transaction.query(on: db.fluent).count() == 4)
            #expect(try await Article.versionCount(id: article.requireID(), on: db.fluent) == 3)
        }
    }

    @Test("two entities of one table have independent indexes", arguments: TestDatabase.allCases)
    func independentIndexes(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let a = Article(name: "a"), b = Article(name: "b")
            try await db.fluent.versioned { db in try await a.save(on: db) }
            try await db.fluent.versioned { db in try await b.save(on: db) }
            for name in ["a2", "a3"] {
                a.name = name
                try await db.fluent.versioned { db in try await a.save(on: db) }
            }
            b.name = "b2"
            try await db.fluent.versioned { db in try await b.save(on: db) }
            #expect(try await a.versions(on: db.fluent).map(\.index) == [0, 1, 2])
            #expect(try await b.versions(on: db.fluent).map(\.index) == [0, 1])
        }
    }

    @Test("UUID ids, composite ids, enum and optional Date fields decode typed", arguments: TestDatabase.allCases)
    func modelShapes(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let note = Note(text: "first")
            let membership = Membership(teamID: 1, userID: 2, role: "member")
            let article = Article(name: "a")
            let published = Date(timeIntervalSince1970: 1_700_000_000)
            try await db.fluent.versioned { db in
                try await note.save(on: db)
                try await membership.save(on: db)
                try await article.save(on: db)
            }
            try await db.fluent.versioned { db in
                note.text = "second"
                try await note.save(on: db)
                membership.role = "owner"
                try await membership.save(on: db)
                article.status = .published
                article.publishedAt = published
                try await article.save(on: db)
            }
            #expect(try await note.versions(on: db.fluent).map(\.model.text) == ["first", "second"])
            #expect(try await note.versions(on: db.fluent).map(\.model.id) == [note.id, note.id])
            let memberships = try await Membership.versions(id: .init(teamID: 1, userID: 2), on: db.fluent)
            #expect(memberships.map(\.model.role) == ["member", "owner"])
            #expect(memberships[1].changeset.keys.sorted() == ["role"])
            let articles = try await article.versions(on: db.fluent)
            #expect(articles.map(\.model.status) == [.draft, .published])
            #expect(articles.map(\.model.publishedAt) == [nil, published])
            #expect(articles[1].changeset.keys.sorted() == ["published_at", "status"])
            #expect(try articles[1].changeset["status"]?.new(as: Status.self) == .published)
            // Dates print as ISO 8601 in UTC; records print without values.
            #expect(articles[1].changeset["published_at"]?.description == "NULL → 2023-11-14T22:13:20.000Z")
            let record = try #require(try await db.engine.versions(of: "article", key: ["id": article.requireID()], on: db.sql).last)
            #expect(record.description == "UPDATE of \"article\" in transaction \(record.transactionID), the latest")
        }
    }

    @Test("excluded fields are not versioned; bulk query-builder updates are", arguments: TestDatabase.allCases)
    func excludedAndBulk(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let article = Article(name: "a")
            try await db.fluent.versioned { db in try await article.save(on: db) }
            try await Article.query(on: db.fluent).set(\.$views, to: 100).update()
            #expect(try await article.versions(on: db.fluent).count == 1, "a change to an excluded field alone writes nothing")
            try await Article.query(on: db.fluent).filter(\.$name == "a").set(\.$status, to: .published).update()
            let versions = try await article.versions(on: db.fluent)
            #expect(versions.map(\.model.status) == [.draft, .published])
            #expect(versions[1].modifiedFields == ["status"])
        }
    }

    @Test("revert resurrects a deleted row with its key, and reverting to a DELETE deletes", arguments: TestDatabase.allCases)
    func revert(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let article = Article(name: "keep me")
            try await db.fluent.versioned { db in try await article.save(on: db) }
            let id = try article.requireID()
            try await db.fluent.versioned { db in try await article.delete(on: db) }
            #expect(try await Article.find(id, on: db.fluent) == nil)
            let deleted = try await Article.deletedVersions(on: db.fluent)
            #expect(deleted.map(\.model.id) == [id])
            try await db.fluent.versioned(userID: "undelete") { db in
                try await deleted[0].previous!.revert(on: db)
            }
            #expect(try await Article.find(id, on: db.fluent)?.name == "keep me")
            let versions = try await Article.versions(id: id, on: db.fluent)
            #expect(versions.map(\.operation) == [.insert, .delete, .insert])
            #expect(try await Article.deletedVersions(on: db.fluent).isEmpty)
            try await db.fluent.versioned { db in try await versions[1].revert(on: db) }
            #expect(try await Article.find(id, on: db.fluent) == nil)
        }
    }

    @Test("version at a transaction, and as of a date between two transactions", arguments: TestDatabase.allCases)
    func pointInTime(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let article = Article(name: "v1")
            try await db.fluent.versioned { db in try await article.save(on: db) }
            try await Task.sleep(for: .milliseconds(30))
            let between = Date()
            try await Task.sleep(for: .milliseconds(30))
            article.name = "v2"
            try await db.fluent.versioned { db in try await article.save(on: db) }
            let id = try article.requireID()
            #expect(try await Article.version(id: id, at: 1, on: db.fluent)?.model.name == "v1")
            #expect(try await Article.version(id: id, at: 2, on: db.fluent)?.model.name == "v2")
            #expect(try await Article.version(id: id, asOf: between, on: db.fluent)?.model.name == "v1")
            #expect(try await Article.version(id: id, asOf: Date(), on: db.fluent)?.model.name == "v2")
            #expect(try await Article.version(id: id, asOf: Date(timeIntervalSince1970: 0), on: db.fluent) == nil)
        }
    }

    @Test("the transaction log as a Fluent model: by user, by date, by entity, with meta and changes", arguments: TestDatabase.allCases)
    func transactions(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let start = Date().addingTimeInterval(-1)
            _ = try await Self.seed(db.fluent)
            try await db.fluent.versioned(userID: "42", meta: ["reason": "note"]) { db in try await Note(text: "n").save(on: db) }
            let mine = try await Transaction.query(on: db.fluent).filter(\.$userID == "42").sort(\.$id).all()
            #expect(mine.map(\.id) == [1, 2, 5])
            #expect(try await Transaction.query(on: db.fluent).issued(after: start).count() == 5)
            #expect(try await Transaction.query(on: db.fluent).issued(before: start).count() == 0)
            #expect(try await Transaction.query(on: db.fluent).changed(Tag.self).sort(\.$id).all().map(\.id) == [1, 3])
            let page = try await Transaction.query(on: db.fluent).sort(\.$id, .descending).paginate(PageRequest(page: 1, per: 2))
            #expect(page.items.map(\.id) == [5, 4])
            let first = try #require(mine.first)
            #expect(abs(try #require(first.issuedAt).timeIntervalSinceNow) < 120)
            let changed = try await first.changedEntities(on: db.fluent)
            #expect(changed.keys.sorted() == ["Article", "Tag"])
            #expect(try await first.versions(of: Tag.self, on: db.fluent).map(\.model.name) == ["python"])
            #expect(try await mine[2].meta(on: db.fluent) == ["reason": "note"])
        }
    }

    @Test("version queries use Fluent filters on the model's key paths", arguments: TestDatabase.allCases)
    func versionQueries(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let a = Article(name: "a"), b = Article(name: "b")
            try await db.fluent.versioned { db in
                try await a.save(on: db)
                try await b.save(on: db)
            }
            a.status = .published
            try await db.fluent.versioned { db in try await a.save(on: db) }
            a.name = "a2"
            try await db.fluent.versioned { db in try await a.save(on: db) }
            let published = try await Article.query(on: db.fluent).filter(\.$status == .published).versions()
            #expect(published.map(\.model.name) == ["a", "a2"])
            #expect(published.map(\.index) == [1, 2])
            let renamed = try await Article.query(on: db.fluent).versions(modified: ["name"])
            #expect(renamed.map(\.model.name) == ["a", "b", "a2"], "inserts set the flag for every non-NULL field")
            let onlyB = try await Article.query(on: db.fluent).filter(\.$name == "b").versions()
            #expect(onlyB.map(\.transactionID) == [1])
        }
    }

    @Test("version queries honour sorts and limits and load every history in a fixed number of queries", arguments: TestDatabase.allCases)
    func versionQueriesAtScale(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            try await db.fluent.versioned { db in
                for n in 1...500 { try await Article(name: "n\(n)").create(on: db) }
            }
            try await db.fluent.versioned { db in
                try await Article.query(on: db).filter(\.$id <= 250).set(\.$status, to: .published).update()
            }
            let (counted, log) = db.counting()
            func statements(_ read: () async throws -> [Version<Article>]) async throws -> (Int, [Version<Article>]) {
                log.reset()
                let versions = try await read()
                return (log.count, versions)
            }
            _ = try await statements { try await Article.query(on: counted).filter(\.$id == 1).versions() }  // opens the connection
            let (few, five) = try await statements { try await Article.query(on: counted).filter(\.$id <= 5).versions() }
            let (many, all) = try await statements { try await Article.query(on: counted).versions() }
            #expect(five.count == 10 && all.count == 750)
            #expect(few == many, "the same number of statements for 5 entities and 500: \(few) and \(many)")
            #expect(all.filter { $0.model.status == .published }.allSatisfy { $0.index == 1 && $0.changeset["status"] != nil })
            try await db.fluent.versioned { db in try await Article.query(on: db).filter(\.$id > 495).delete() }
            let (deletedFew, _) = try await statements { try await Article.deletedVersions(on: counted) }
            try await db.fluent.versioned { db in try await Article.query(on: db).filter(\.$id > 400).delete() }
            let (deletedMany, deleted) = try await statements { try await Article.deletedVersions(on: counted) }
            #expect(deleted.count == 100 && deleted.allSatisfy { $0.index == 1 })
            #expect(deletedFew == deletedMany)
            // Sorts, limit and offset apply to the versions.
            let top = try await Article.query(on: db.fluent).filter(\.$status == .published).sort(\.$name, .descending).limit(2).versions()
            #expect(top.map(\.model.name) == ["n99", "n98"])
            let page = try await Article.query(on: db.fluent).filter(\.$id <= 3).sort(\.$id, .descending).range(1..<3).versions()
            #expect(page.map { $0.model.id } == [3, 2], "id 3 then 2 by id descending; within id 3, oldest transaction first")
            #expect(page.map(\.transactionID) == [2, 1])
        }
    }

    @Test("the versioning migration's revert stops versioning and keeps history", arguments: TestDatabase.allCases)
    func migrationRevert(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let note = Note(text: "a")
            try await db.fluent.versioned { db in try await note.save(on: db) }
            try await Note.versioning.revert(on: db.fluent)
            note.text = "b"
            try await note.save(on: db.fluent)
            #expect(try await db.count("note_version") == 1)
            try await Note.versioning.prepare(on: db.fluent)
            try await db.fluent.schema("note").field("extra", .string).update()
            try await Note.syncVersioning(on: db.fluent)
            note.text = "c"
            try await note.save(on: db.fluent)
            #expect(try await note.versions(on: db.fluent).map(\.model.text) == ["a", "c"])
        }
    }

    @Test("a model with a space is refused with an error that says where history lives", arguments: TestDatabase.allCases)
    func modelWithSpace(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Continuum.migration.prepare(on: db.fluent)
            let expected = ContinuumError.modelInOtherSchema(model: "SpacedNote", schema: "sales")
            await #expect(throws: expected) { try await SpacedNote.versioning.prepare(on: db.fluent) }
            await #expect(throws: expected) { try await SpacedNote.syncVersioning(on: db.fluent) }
            await #expect(throws: expected) { try await SpacedNote.versions(id: 1, on: db.fluent) }
            #expect(expected.description.contains("searchPath"))
        }
    }
}

/// A model in the schema (PostgreSQL) or attached database (SQLite) "sales".
final class SpacedNote: Model, Versioned, @unchecked Sendable {
    static let schema = "note"
    static let space: String? = "sales"
    @ID(custom: "id", generatedBy: .database) var id: Int?
    init() {}
}
