import ContinuumSQL
import FluentContinuum
import FluentKit
import Foundation
import SQLKit
import Testing

/// Fields named by key path, `FieldKey` and string: the same answers, and typed errors for a
/// field that history does not hold.
@Suite("Typed field references")
struct FieldReferenceTests {
    @Test("change and modified read one field by key path, FieldKey or name, alike", arguments: TestDatabase.allCases)
    func changeAndModified(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let (article, tag) = try await TypedHistoryTests.seed(db.fluent)
            let versions = try await article.versions(on: db.fluent)
            #expect(try versions[1].change(\.$name) == versions[1].changeset["name"])
            #expect(try versions[1].change(\.$name)?.old(as: String.self) == "Some article")
            #expect(try versions[1].change(\.$name)?.new(as: String.self) == "Updated article")
            #expect(try versions[1].change(FieldKey.string("name")) == versions[1].changeset["name"])
            #expect(try versions[1].change("name") == versions[1].changeset["name"])
            #expect(try versions[1].change(\.$content) == nil, "unchanged in this version")
            #expect(try versions[0].change(\.$content)?.new(as: String.self) == "Some content")
            #expect(try versions[0].change(\.$status)?.new(as: Status.self) == .draft, "an @Enum field")
            #expect(try versions[1].modified(\.$name))
            #expect(try versions[1].modified("name"))
            #expect(try versions[1].modified(FieldKey.string("name")))
            #expect(try !versions[1].modified(\.$content))
            #expect(try !versions[1].modified(\.$id), "a key field is never modified")
            #expect(try versions[0].modified(\.$content), "an insert sets the flag of every non-NULL field")
            // A parent is named by its key path and reads its foreign-key field.
            let tagVersions = try await tag.versions(on: db.fluent)
            #expect(try tagVersions[0].change(\.$article)?.new(as: Int.self) == article.requireID())
            #expect(try tagVersions[1].change(\.$article) == nil)
        }
    }

    @Test("a field that history does not hold is refused with a typed error", arguments: TestDatabase.allCases)
    func fieldsHistoryDoesNotHold(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let (article, tag) = try await TypedHistoryTests.seed(db.fluent)
            let versions = try await article.versions(on: db.fluent)
            let tagVersions = try await tag.versions(on: db.fluent)
            // Article excludes "views" from versioning.
            let views = ContinuumError.fieldNotVersioned(table: "article", field: "views")
            #expect(throws: views) { try versions[1].change(\.$views) }
            #expect(throws: views) { try versions[1].change("views") }
            #expect(throws: views) { try versions[1].modified(\.$views) }
            await #expect(throws: views) { try await Article.query(on: db.fluent).versions(modified: \.$views) }
            await #expect(throws: views) { try await Article.query(on: db.fluent).filter(\.$views == 0).versions() }
            await #expect(throws: views) { try await Article.query(on: db.fluent).sort(\.$views).versions() }
            await #expect(throws: views) {
                try await Article.query(on: db.fluent).group(.or) { $0.filter(\.$name == "a").filter(\.$views > 1) }.versions()
            }
            #expect(views.code == .fieldNotVersioned)
            #expect(views.description.contains("excluded from versioning"))
            // Tag does not track modified fields.
            let untracked = ContinuumError.modifiedFieldsNotTracked(table: "tag")
            #expect(throws: untracked) { try tagVersions[0].modified(\.$name) }
            await #expect(throws: untracked) { try await Tag.query(on: db.fluent).versions(modified: \.$name) }
            await #expect(throws: untracked) { try await Tag.query(on: db.fluent).versions(modified: ["name"]) }
            #expect(untracked.description.contains("tracksModifiedFields"))
            // A name the model does not have.
            let unknown = ContinuumError.unknownColumn(table: "article", column: "nope")
            #expect(throws: unknown) { try versions[1].change("nope") }
            #expect(throws: unknown) { try versions[1].modified(FieldKey.string("nope")) }
            await #expect(throws: unknown) { try await Article.query(on: db.fluent).versions(modified: ["nope"]) }
            // Nothing was written by the refused reads.
            #expect(try await Article.versionCount(id: article.requireID(), on: db.fluent) == 3)
        }
    }

    @Test("versions(modified:) by key paths, FieldKeys and names return the same versions", arguments: TestDatabase.allCases)
    func versionsModified(_ database: TestDatabase) async throws {
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
            b.name = "b2"
            b.status = .published
            try await db.fluent.versioned { db in
                try await a.save(on: db)
                try await b.save(on: db)
            }
            let byName = try await Article.query(on: db.fluent).versions(modified: ["name"])
            #expect(byName.map(\.model.name) == ["a", "b", "a2", "b2"])
            #expect(try await Article.query(on: db.fluent).versions(modified: \.$name).map(\.transactionID) == byName.map(\.transactionID))
            #expect(try await Article.query(on: db.fluent).versions(modified: [FieldKey.string("name")]).map(\.model.name) == byName.map(\.model.name))
            let both = try await Article.query(on: db.fluent).versions(modified: \.$name, \.$status)
            #expect(both.map(\.model.name) == ["a", "b", "b2"], "inserts set every non-NULL field's flag; b2 changed both")
            let filtered = try await Article.query(on: db.fluent).filter(\.$name == "a2").versions(modified: \.$name)
            #expect(filtered.map(\.transactionID) == [3])
            #expect(try await Article.query(on: db.fluent).versions(modified: \.$id).isEmpty, "no version modifies its key")
        }
    }

    @Test("syncVersioning keeps a renamed field's history under the key path's field", arguments: TestDatabase.allCases)
    func syncRenamed(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Continuum.migration.prepare(on: db.fluent)
            try await db.exec("CREATE TABLE renamed_post (id \(db.autoKey), title TEXT)")
            try await RenamedPost.versioning.prepare(on: db.fluent)
            try await db.fluent.versioned { db in try await (db as! any SQLDatabase).raw("INSERT INTO renamed_post (title) VALUES ('first')").run() }
            try await db.exec("ALTER TABLE renamed_post RENAME COLUMN title TO headline")
            try await RenamedPost.syncVersioning(renamed: "title", to: \.$headline, on: db.fluent)
            let post = try #require(try await RenamedPost.find(1, on: db.fluent))
            post.headline = "second"
            try await db.fluent.versioned { db in try await post.save(on: db) }
            let versions = try await post.versions(on: db.fluent)
            #expect(versions.map(\.model.headline) == ["first", "second"])
            #expect(try versions[1].change(\.$headline)?.old(as: String.self) == "first")
            #expect(try versions[1].modified(\.$headline))
            #expect(try await db.engine.checkDrift(on: db.sql).isEmpty)
        }
    }

    @Test("alterVersioning drops a field the triggers name with Fluent's schema builder; a failing migration changes nothing", arguments: TestDatabase.allCases)
    func alterVersioning(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Continuum.migration.prepare(on: db.fluent)
            try await db.exec("CREATE TABLE renamed_post (id \(db.autoKey), headline TEXT, legacy TEXT)")
            try await RenamedPost.versioning.prepare(on: db.fluent)
            try await db.fluent.versioned { db in try await (db as! any SQLDatabase).raw("INSERT INTO renamed_post (headline, legacy) VALUES ('first', 'old')").run() }
            // Without alterVersioning the database refuses.
            await #expect(throws: (any Error).self) { try await db.fluent.schema("renamed_post").deleteField("legacy").update() }

            // A migration that fails halfway leaves the table and its triggers as they were.
            await #expect(throws: (any Error).self) {
                try await RenamedPost.alterVersioning(on: db.fluent) { database in
                    try await database.schema("renamed_post").deleteField("legacy").update()
                    try await database.schema("renamed_post").deleteField("nope").update()
                }
            }
            #expect(try await db.rows("SELECT legacy FROM renamed_post").map { $0[0] } == ["old"])
            let post = try #require(try await RenamedPost.find(1, on: db.fluent))
            post.headline = "second"
            try await db.fluent.versioned { db in try await post.save(on: db) }
            #expect(try await post.versions(on: db.fluent).map(\.model.headline) == ["first", "second"])

            try await RenamedPost.alterVersioning(on: db.fluent) { database in
                try await database.schema("renamed_post").deleteField("legacy").update()
            }
            post.headline = "third"
            try await db.fluent.versioned { db in try await post.save(on: db) }
            #expect(try await post.versions(on: db.fluent).map(\.model.headline) == ["first", "second", "third"])
            // The dropped column's history stays; new versions leave it NULL.
            #expect(try await db.rows("SELECT legacy FROM renamed_post_version ORDER BY transaction_id").map { $0[0] } == ["old", "old", nil])
            #expect(try await db.engine.checkDrift(on: db.sql).isEmpty)
            try await db.expectConsistent("renamed_post")
        }
    }

    @Test("syncVersioning takes renames as FieldKeys", arguments: TestDatabase.allCases)
    func syncRenamedFieldKeys(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Continuum.migration.prepare(on: db.fluent)
            try await db.exec("CREATE TABLE renamed_post (id \(db.autoKey), title TEXT)")
            try await RenamedPost.versioning.prepare(on: db.fluent)
            try await db.fluent.versioned { db in try await (db as! any SQLDatabase).raw("INSERT INTO renamed_post (title) VALUES ('first')").run() }
            try await db.exec("ALTER TABLE renamed_post RENAME COLUMN title TO headline")
            try await RenamedPost.syncVersioning(renamedFields: [FieldKey.string("title"): FieldKey.string("headline")], on: db.fluent)
            #expect(try await RenamedPost.versions(id: 1, on: db.fluent).map(\.model.headline) == ["first"])
        }
    }
}

/// A model whose field was renamed from `title` to `headline`.
final class RenamedPost: Model, Versioned, @unchecked Sendable {
    static let schema = "renamed_post"
    static let versioningOptions = VersioningOptions(tracksModifiedFields: true)

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "headline") var headline: String

    init() {}
}
