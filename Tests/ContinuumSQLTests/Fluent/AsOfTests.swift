import FluentContinuum
import FluentKit
import Foundation
import SQLKit
import Testing

@Suite("Whole-table as-of")
struct AsOfTests {
    /// What a reader sees of the articles and their tags at one moment.
    struct Snapshot: Equatable, CustomStringConvertible {
        var articles: [String]
        var published: [String]
        var tags: [String]
        var description: String { "articles \(self.articles) published \(self.published) tags \(self.tags)" }
    }

    static func article(_ article: Article) -> String { "\(article.id!):\(article.name):\(article.status.rawValue)" }

    static func snapshot(_ query: @Sendable () -> QueryBuilder<Article>) async throws -> Snapshot {
        let articles = try await query().sort(\.$id).with(\.$tags).all()
        let published = try await query().filter(\.$status == .published).sort(\.$name, .descending).all()
        return Snapshot(
            articles: articles.map(Self.article),
            published: published.map(Self.article),
            tags: articles.flatMap { article in article.tags.sorted { $0.id! < $1.id! }.map { "\(article.id!)<-\($0.id!):\($0.name)" } }
        )
    }

    @Test("as-of reads equal a replay of a random history at every transaction, eager loads and pages included", arguments: TestDatabase.allCases)
    func replay(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            var random = SeededGenerator(state: 20_261_129)
            var expected: [Int: Snapshot] = [:]
            for step in 0..<40 {
                let live = try await Article.query(on: db.fluent).sort(\.$id).all()
                let tags = try await Tag.query(on: db.fluent).all()
                let choice = Int.random(in: 0..<7, using: &random)
                let pick = live.isEmpty ? nil : live[Int.random(in: 0..<live.count, using: &random)]
                let other = live.isEmpty ? nil : live[Int.random(in: 0..<live.count, using: &random)]
                let tag = tags.isEmpty ? nil : tags[Int.random(in: 0..<tags.count, using: &random)]
                let publish = Bool.random(using: &random)
                try await db.fluent.versioned(userID: "step \(step)") { db in
                    switch choice {
                    case 0, 1:
                        let article = Article(name: "a\(step)", status: publish ? .published : .draft)
                        try await article.save(on: db)
                        try await Tag(name: "t\(step)", articleID: article.requireID()).save(on: db)
                    case 2 where pick != nil:
                        pick!.name = "a\(step)"
                        pick!.status = pick!.status == .draft ? .published : .draft
                        try await pick!.save(on: db)
                    case 3 where pick != nil:
                        try await pick!.delete(on: db)  // its tags go by ON DELETE CASCADE
                    case 4 where tag != nil && other != nil:
                        tag!.$article.id = try other!.requireID()  // re-parented
                        tag!.name = "t\(step)"
                        try await tag!.save(on: db)
                    case 5 where tag != nil:
                        try await tag!.delete(on: db)
                    default:
                        pick?.views += 1  // excluded: no version, no transaction
                        try await pick?.save(on: db)
                    }
                }
                guard let last = try await Transaction.query(on: db.fluent).sort(\.$id, .descending).first()?.id else { continue }
                expected[last] = try await Self.snapshot { Article.query(on: db.fluent) }
            }
            #expect(expected.count > 25)
            var previous = Snapshot(articles: [], published: [], tags: [])
            let newest = expected.keys.max()!
            for id in 0...newest + 1 {
                let want = expected[id] ?? previous
                previous = want
                let got = try await Self.snapshot { Article.query(on: db.fluent).asOf(transaction: id) }
                #expect(got == want, "at transaction \(id)")
                let count = try await Article.query(on: db.fluent).asOf(transaction: id).count()
                #expect(count == want.articles.count, "count at transaction \(id)")
                let page = try await Article.query(on: db.fluent).sort(\.$id).asOf(transaction: id).paginate(PageRequest(page: 2, per: 2))
                #expect(page.items.map(Self.article) == Array(want.articles.dropFirst(2).prefix(2)), "page 2 at transaction \(id)")
                #expect(page.metadata.total == want.articles.count)
            }
            // find(asOf:), and an entity before it existed.
            let first = try #require(expected.keys.min())
            let found = try await Article.find(1, asOf: newest, on: db.fluent)
            #expect(found.map(Self.article) == expected[newest]!.articles.first { $0.hasPrefix("1:") })
            #expect(try await Article.find(1, asOf: first - 1, on: db.fluent) == nil)
        }
    }

    @Test("joins of versioned models read both tables at the same moment", arguments: TestDatabase.allCases)
    func joins(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let a = Article(name: "a"), b = Article(name: "b")
            try await db.fluent.versioned { db in
                try await a.save(on: db)
                try await b.save(on: db)
                try await Tag(name: "swift", articleID: a.requireID()).save(on: db)
            }
            try await db.fluent.versioned { db in
                let tag = try await Tag.query(on: db).first()!
                tag.$article.id = try b.requireID()  // moved to b
                try await tag.save(on: db)
            }
            func tagged(at transaction: Int) async throws -> [String] {
                try await Article.query(on: db.fluent).join(Tag.self, on: \Tag.$article.$id == \Article.$id)
                    .filter(Tag.self, \.$name == "swift").asOf(transaction: transaction).all().map(\.name)
            }
            #expect(try await tagged(at: 1) == ["a"])
            #expect(try await tagged(at: 2) == ["b"])
        }
    }

    @Test("as-of a date reads the last transaction issued before it", arguments: TestDatabase.allCases)
    func byDate(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let article = Article(name: "v1")
            try await db.fluent.versioned { db in try await article.save(on: db) }
            try await Task.sleep(for: .milliseconds(30))
            let between = Date()
            try await Task.sleep(for: .milliseconds(30))
            article.name = "v2"
            try await db.fluent.versioned { db in try await article.save(on: db) }
            #expect(try await Article.query(on: db.fluent).asOf(between).all().map(\.name) == ["v1"])
            #expect(try await Article.query(on: db.fluent).asOf(Date()).all().map(\.name) == ["v2"])
            #expect(try await Article.query(on: db.fluent).asOf(Date(timeIntervalSince1970: 0)).all().isEmpty)
        }
    }

    @Test("soft-deleted models are judged at the point's time, not now", arguments: TestDatabase.allCases)
    func softDeletes(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Memo.create(on: db.fluent)
            let memo = Memo(text: "kept")
            try await db.fluent.versioned { db in try await memo.save(on: db) }
            let before = try #require(try await Transaction.query(on: db.fluent).sort(\.$id, .descending).first()?.id)
            // Deleted "in an hour" (a scheduled deletion), then really deleted.
            memo.deletedAt = Date().addingTimeInterval(3600)
            try await db.fluent.versioned { db in try await memo.save(on: db) }
            let scheduled = before + 1
            try await db.fluent.versioned { db in try await memo.delete(on: db) }
            #expect(try await Memo.query(on: db.fluent).all().isEmpty)
            #expect(try await Memo.query(on: db.fluent).asOf(transaction: before).all().map(\.text) == ["kept"])
            #expect(try await Memo.query(on: db.fluent).asOf(transaction: scheduled).all().map(\.text) == ["kept"], "not deleted yet then")
            #expect(try await Memo.query(on: db.fluent).asOf(transaction: scheduled + 1).all().isEmpty)
        }
    }

    @Test("as-of queries only read, refuse excluded fields and tables without history", arguments: TestDatabase.allCases)
    func refusals(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            try await db.exec("CREATE TABLE plain (id \(db.autoKey), article_id INTEGER)")
            try await db.fluent.versioned { db in try await Article(name: "a").save(on: db) }
            let then = Article.query(on: db.fluent).asOf(transaction: 1)
            let read = try await then.all()
            #expect(read.map(\.name) == ["a"])
            #expect(read[0].$views.value == nil, "an excluded field is not loaded")
            await #expect(throws: ContinuumError.asOfQueryIsReadOnly) { try await Article.query(on: db.fluent).asOf(transaction: 1).set(\.$name, to: "b").update() }
            await #expect(throws: ContinuumError.fieldNotVersioned(table: "article", field: "views")) {
                try await Article.query(on: db.fluent).filter(\.$views > 0).asOf(transaction: 1).all()
            }
            await #expect(throws: ContinuumError.fieldNotVersioned(table: "article", field: "views")) {
                try await Article.query(on: db.fluent).sort(\.$views).asOf(transaction: 1).all()
            }
            await #expect(throws: ContinuumError.tableNotVersioned("plain")) {
                try await Article.query(on: db.fluent).join(Plain.self, on: \Plain.$articleID == \Article.$id).asOf(transaction: 1).all()
            }
            #expect(try await Article.query(on: db.fluent).all().map(\.name) == ["a"])
        }
    }
}

final class Plain: Model, @unchecked Sendable {
    static let schema = "plain"
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @OptionalField(key: "article_id") var articleID: Int?
    init() {}
}

final class Memo: Model, Versioned, @unchecked Sendable {
    static let schema = "memo"
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "text") var text: String
    @Timestamp(key: "deleted_at", on: .delete) var deletedAt: Date?
    init() {}
    init(text: String) { self.text = text }

    static func create(on database: any Database) async throws {
        try await database.schema(Self.schema).field("id", .int, .identifier(auto: true))
            .field("text", .string, .required).field("deleted_at", .datetime).create()
        try await Continuum.migration.prepare(on: database)
        try await Self.versioning.prepare(on: database)
    }
}
