import FluentContinuum
import FluentKit
import Foundation
import SQLKit
import Testing

final class Author: Model, Versioned, @unchecked Sendable {
    static let schema = "author"
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "name") var name: String
    @Children(for: \.$author) var posts: [Post]
    init() {}
    init(name: String) { self.name = name }
}

final class Post: Model, Versioned, @unchecked Sendable {
    static let schema = "post"
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "title") var title: String
    @Parent(key: "author_id") var author: Author
    @OptionalParent(key: "editor_id") var editor: Author?
    @Children(for: \.$post) var comments: [PostComment]
    @OptionalChild(for: \.$post) var cover: Cover?
    @Siblings(through: PostLabel.self, from: \.$post, to: \.$label) var labels: [Label]
    init() {}
    init(title: String, authorID: Int) {
        self.title = title
        self.$author.id = authorID
    }
}

final class PostComment: Model, Versioned, @unchecked Sendable {
    static let schema = "comment"
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "body") var body: String
    @OptionalParent(key: "post_id") var post: Post?
    init() {}
    init(id: Int? = nil, body: String, postID: Int?) {
        self.id = id
        self.body = body
        self.$post.id = postID
    }
}

final class Cover: Model, Versioned, @unchecked Sendable {
    static let schema = "cover"
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "url") var url: String
    @Parent(key: "post_id") var post: Post
    init() {}
    init(url: String, postID: Int) {
        self.url = url
        self.$post.id = postID
    }
}

final class Label: Model, Versioned, @unchecked Sendable {
    static let schema = "label"
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "name") var name: String
    init() {}
    init(name: String) { self.name = name }
}

/// A pivot with a surrogate id.
final class PostLabel: Model, Versioned, @unchecked Sendable {
    static let schema = "post_label"
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Parent(key: "post_id") var post: Post
    @Parent(key: "label_id") var label: Label
    init() {}
}

struct CreateBlog: AsyncMigration {
    /// On SQLite, `comment` gets an `INTEGER PRIMARY KEY` without `AUTOINCREMENT`: SQLite may give
    /// a deleted comment's key to a new row.
    var commentKeysReused = false

    func prepare(on database: any Database) async throws {
        try await database.schema("author").field("id", .int, .identifier(auto: true)).field("name", .string, .required).create()
        try await database.schema("post").field("id", .int, .identifier(auto: true)).field("title", .string, .required)
            .field("author_id", .int, .required).field("editor_id", .int).create()
        if self.commentKeysReused, let sql = database as? any SQLDatabase, sql.dialect.name == "sqlite" {
            try await sql.raw("CREATE TABLE \"comment\" (\"id\" INTEGER PRIMARY KEY, \"body\" TEXT NOT NULL, \"post_id\" INTEGER)").run()
        } else {
            try await database.schema("comment").field("id", .int, .identifier(auto: true)).field("body", .string, .required)
                .field("post_id", .int).create()
        }
        try await database.schema("cover").field("id", .int, .identifier(auto: true)).field("url", .string, .required)
            .field("post_id", .int, .required).create()
        try await database.schema("label").field("id", .int, .identifier(auto: true)).field("name", .string, .required).unique(on: "name").create()
        try await database.schema("post_label").field("id", .int, .identifier(auto: true))
            .field("post_id", .int, .required).field("label_id", .int, .required).create()
        for migration in [Continuum.migration, Author.versioning, Post.versioning, PostComment.versioning, Cover.versioning, Label.versioning, PostLabel.versioning] {
            try await migration.prepare(on: database)
        }
    }

    func revert(on database: any Database) async throws {}
}

@Suite("Relations in time")
struct RelationTests {
    static func last(_ db: any Database) async throws -> Int {
        try await Transaction.query(on: db).sort(\.$id, .descending).first()!.id!
    }

    @Test("children as they were: added, changed elsewhere, re-parented, deleted, re-created with their key", arguments: TestDatabase.allCases)
    func children(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateBlog().prepare(on: db.fluent)
            let ann = Author(name: "Ann")
            let post = Post(title: "p1", authorID: 0)
            let other = Post(title: "other", authorID: 0)
            try await db.fluent.versioned { db in
                try await ann.save(on: db)
                post.$author.id = try ann.requireID()
                other.$author.id = try ann.requireID()
                try await post.save(on: db)
                try await other.save(on: db)
                try await PostComment(id: 10, body: "c10", postID: post.id).save(on: db)
                try await PostComment(id: 11, body: "c11", postID: post.id).save(on: db)
            }
            let t1 = try await Self.last(db.fluent)
            // A child changed in a transaction that does not touch the post (Continuum #35).
            try await db.fluent.versioned { db in
                let c = try await PostComment.find(10, on: db)!
                c.body = "c10 edited"
                try await c.save(on: db)
            }
            let t2 = try await Self.last(db.fluent)
            // Re-parented to another post, and a new child.
            try await db.fluent.versioned { db in
                let c = try await PostComment.find(11, on: db)!
                c.$post.id = other.id
                try await c.save(on: db)
                try await PostComment(id: 12, body: "c12", postID: post.id).save(on: db)
            }
            let t3 = try await Self.last(db.fluent)
            // Deleted, then a row with the same key created again.
            try await db.fluent.versioned { db in try await PostComment.find(10, on: db)!.delete(on: db) }
            let t4 = try await Self.last(db.fluent)
            try await db.fluent.versioned { db in try await PostComment(id: 10, body: "c10 again", postID: post.id).save(on: db) }
            let t5 = try await Self.last(db.fluent)

            let version = try #require(try await post.versions(on: db.fluent).first)
            #expect(version.transactionID == t1)
            func bodies(at t: Int) async throws -> [String] {
                try await version.related(\.$comments, at: t, on: db.fluent).map(\.model.body)
            }
            #expect(try await version.related(\.$comments, on: db.fluent).map(\.model.body) == ["c10", "c11"])
            #expect(version.model.comments.map(\.body) == ["c10", "c11"], "the relation is filled on the version's model")
            #expect(try await bodies(at: t2) == ["c10 edited", "c11"])
            #expect(try await bodies(at: t3) == ["c10 edited", "c12"])
            #expect(try await bodies(at: t4) == ["c12"])
            #expect(try await bodies(at: t5) == ["c10 again", "c12"])
            let otherVersion = try #require(try await other.versions(on: db.fluent).first)
            #expect(try await otherVersion.related(\.$comments, at: t2, on: db.fluent).isEmpty)
            #expect(try await otherVersion.related(\.$comments, at: t3, on: db.fluent).map(\.model.body) == ["c11"])

            // The parent of a child, as it was.
            let comment = try #require(try await PostComment.versions(id: 11, on: db.fluent).last)
            #expect(try await comment.related(\.$post, on: db.fluent)?.model.title == "other")
            #expect(try await comment.related(\.$post, at: t1, on: db.fluent)?.model.title == "other", "the version read decides the key")
            let author = try await version.related(\.$author, on: db.fluent)
            #expect(author?.model.name == "Ann")
            #expect(try await author!.related(\.$posts, on: db.fluent).map(\.model.title) == ["p1", "other"], "the point travels: read at t1")
            #expect(try await version.related(\.$editor, on: db.fluent) == nil)
        }
    }

    @Test("a parent deleted with its children still has them in its DELETE version (Continuum #309)", arguments: TestDatabase.allCases)
    func deletedTogether(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateBlog().prepare(on: db.fluent)
            let post = Post(title: "gone", authorID: 1)
            try await db.fluent.versioned { db in
                try await Author(name: "Ann").save(on: db)
                try await post.save(on: db)
                try await PostComment(body: "a", postID: post.id).save(on: db)
                try await Cover(url: "u", postID: post.requireID()).save(on: db)
            }
            try await db.fluent.versioned { db in
                try await PostComment.query(on: db).filter(\.$post.$id == post.id).delete()
                try await Cover.query(on: db).delete()
                try await post.delete(on: db)
            }
            let deleted = try #require(try await Post.deletedVersions(on: db.fluent).first)
            #expect(deleted.operation == .delete)
            #expect(try await deleted.related(\.$comments, on: db.fluent).map(\.model.body) == ["a"])
            #expect(try await deleted.related(\.$cover, on: db.fluent)?.model.url == "u")
            #expect(try await deleted.related(\.$comments, at: deleted.transactionID, on: db.fluent).isEmpty, "after the delete: none")
        }
    }

    @Test("many-to-many through a versioned pivot: links removed and added again, a deleted target", arguments: TestDatabase.allCases)
    func siblings(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateBlog().prepare(on: db.fluent)
            let post = Post(title: "p", authorID: 1)
            let swift = Label(name: "swift"), sql = Label(name: "sql")
            try await db.fluent.versioned { db in
                try await Author(name: "Ann").save(on: db)
                try await post.save(on: db)
                try await swift.save(on: db)
                try await sql.save(on: db)
                try await post.$labels.attach([swift, sql], on: db)
            }
            let t1 = try await Self.last(db.fluent)
            try await db.fluent.versioned { db in try await post.$labels.detach(swift, on: db) }
            let t2 = try await Self.last(db.fluent)
            try await db.fluent.versioned { db in try await post.$labels.attach(swift, on: db) }
            let t3 = try await Self.last(db.fluent)
            try await db.fluent.versioned { db in
                sql.name = "SQL"
                try await sql.save(on: db)
            }
            let t4 = try await Self.last(db.fluent)
            try await db.fluent.versioned { db in
                try await PostLabel.query(on: db).filter(\.$label.$id == sql.id!).delete()
                try await sql.delete(on: db)
            }
            let t5 = try await Self.last(db.fluent)
            let version = try #require(try await post.versions(on: db.fluent).first)
            func names(at t: Int) async throws -> [String] {
                try await version.related(\.$labels, at: t, on: db.fluent).map(\.model.name).sorted()
            }
            #expect(try await names(at: t1) == ["sql", "swift"])
            #expect(try await names(at: t2) == ["sql"])
            #expect(try await names(at: t3) == ["sql", "swift"])
            #expect(try await names(at: t4) == ["SQL", "swift"])
            #expect(try await names(at: t5) == ["swift"])
        }
    }

    @Test("batch loading reads one relation of many versions in a fixed number of statements", arguments: TestDatabase.allCases)
    func batch(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateBlog().prepare(on: db.fluent)
            try await db.fluent.versioned { db in
                try await Author(name: "Ann").save(on: db)
                for n in 1...100 {
                    let post = Post(title: "p\(n)", authorID: 1)
                    try await post.save(on: db)
                    for c in 0..<(n % 3) { try await PostComment(body: "c\(n).\(c)", postID: post.id).save(on: db) }
                    let label = Label(name: "l\(n)")
                    try await label.save(on: db)
                    try await post.$labels.attach(label, on: db)
                }
            }
            let (counted, log) = db.counting()
            _ = try await Post.query(on: counted).count()
            let few = try await Post.query(on: db.fluent).filter(\.$id <= 3).versions()
            let many = try await Post.query(on: db.fluent).versions()
            #expect(many.count == 100)
            var counts: [Int] = []
            for versions in [few, many] {
                log.reset()
                let comments = try await versions.loadRelated(\.$comments, on: counted)
                let authors = try await versions.loadRelated(\.$author, on: counted)
                let labels = try await versions.loadRelated(\.$labels, on: counted)
                counts.append(log.count)
                #expect(comments.map(\.count) == versions.map { $0.model.id! % 3 })
                #expect(authors.allSatisfy { $0?.model.name == "Ann" })
                #expect(labels.map { $0.map(\.model.name) } == versions.map { ["l\($0.model.id!)"] })
                #expect(versions.allSatisfy { $0.model.labels.count == 1 && $0.model.author.name == "Ann" })
            }
            #expect(counts[0] == counts[1], "3 versions and 100 versions: \(counts)")
            // Nested: the loaded children carry the same moment, and filling theirs fills the tree.
            let firstComments = try await few.loadRelated(\.$comments, on: db.fluent)
            let parents = try await firstComments.flatMap { $0 }.loadRelated(\.$post, on: db.fluent)
            let expected = zip(few, firstComments).flatMap { version, comments in comments.map { _ in version.model.title } }
            #expect(parents.map { $0?.model.title } == expected)
            #expect(few[0].model.comments.first?.post?.title == few[0].model.title, "nested relations fill the version's model tree")
        }
    }

    /// T1: Ann's post with comments c1 c2, a cover, labels swift and sql. T2: Ann renamed, the
    /// title changed, c1 edited, c2 deleted, c3 added, swift unlinked, go linked.
    static func history(_ db: any Database) async throws -> (post: Post, t1: Int) {
        let ann = Author(name: "Ann")
        let post = Post(title: "p", authorID: 0)
        let swift = Label(name: "swift"), sql = Label(name: "sql"), go = Label(name: "go")
        try await db.versioned { db in
            try await ann.save(on: db)
            post.$author.id = try ann.requireID()
            try await post.save(on: db)
            try await PostComment(id: 1, body: "c1", postID: post.id).save(on: db)
            try await PostComment(id: 2, body: "c2", postID: post.id).save(on: db)
            try await Cover(url: "u1", postID: post.requireID()).save(on: db)
            for label in [swift, sql, go] { try await label.save(on: db) }
            try await post.$labels.attach([swift, sql], on: db)
        }
        let t1 = try await Self.last(db)
        try await db.versioned { db in
            ann.name = "Ann B."
            try await ann.save(on: db)
            post.title = "p2"
            try await post.save(on: db)
            let c1 = try await PostComment.find(1, on: db)!
            c1.body = "c1 edited"
            try await c1.save(on: db)
            try await PostComment.find(2, on: db)!.delete(on: db)
            try await PostComment(id: 3, body: "c3", postID: post.id).save(on: db)
            try await post.$labels.detach(swift, on: db)
            try await post.$labels.attach(go, on: db)
        }
        return (post, t1)
    }

    @Test("revert with relations: n-1, 1-n (surplus deleted or detached), n-n, in one transaction", arguments: TestDatabase.allCases)
    func revertRelations(_ database: TestDatabase) async throws {
        for surplus in [SurplusChildren.delete, .detach] {
            try await database.run { db in
                try await CreateBlog().prepare(on: db.fluent)
                let (post, t1) = try await Self.history(db.fluent)
                let version = try #require(try await post.versions(on: db.fluent).first { $0.transactionID == t1 })
                let transactions = try await Transaction.query(on: db.fluent).count()
                let report = try await db.fluent.versioned(userID: "undo") { db in
                    try await version.revert(relations: [.relation(\.$author), .relation(\.$comments, surplus: surplus), .relation(\.$labels)], on: db)
                }
                #expect(try await Transaction.query(on: db.fluent).count() == transactions + 1, "one transaction")
                #expect(try await Post.find(post.id, on: db.fluent)?.title == "p")
                #expect(try await Author.query(on: db.fluent).all().map(\.name) == ["Ann"])
                let comments = try await PostComment.query(on: db.fluent).sort(\.$id).all()
                if surplus == .delete {
                    #expect(comments.map(\.body) == ["c1", "c2"])
                    #expect(report.count(.deleted, "comment") == 1)
                } else {
                    #expect(comments.map(\.body) == ["c1", "c2", "c3"])
                    #expect(comments.map(\.$post.id) == [post.id, post.id, nil])
                    #expect(report.count(.detached, "comment") == 1)
                }
                #expect(try await post.$labels.get(reload: true, on: db.fluent).map(\.name).sorted() == ["sql", "swift"])
                #expect(report.count(.restored, "post") == 1 && report.count(.restored, "author") == 1)
                try await db.expectConsistent("post", "comment", "post_label", "author", "label")
            }
        }
    }

    @Test("revert with a nested path resurrects a deleted root, its parent and its children", arguments: TestDatabase.allCases)
    func revertDeletedRoot(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateBlog().prepare(on: db.fluent)
            let (post, t1) = try await Self.history(db.fluent)
            let id = try post.requireID()
            try await db.fluent.versioned { db in
                try await PostComment.query(on: db).delete()
                try await Cover.query(on: db).delete()
                try await PostLabel.query(on: db).delete()
                try await post.delete(on: db)
            }
            let version = try #require(try await Post.versions(id: id, on: db.fluent).first { $0.transactionID == t1 })
            try await version.revert(
                relations: [
                    .relation(\.$author, then: [.relation(\.$posts)]),
                    .relation(\.$comments),
                    .relation(\.$cover, then: [.relation(\.$post)]),
                    .relation(\.$labels),
                ], on: db.fluent)
            #expect(try await Post.find(id, on: db.fluent)?.title == "p")
            #expect(try await PostComment.query(on: db.fluent).sort(\.$id).all().map(\.body) == ["c1", "c2"])
            #expect(try await Cover.query(on: db.fluent).all().map(\.url) == ["u1"])
            #expect(try await PostLabel.query(on: db.fluent).count() == 2)
            #expect(try await Author.query(on: db.fluent).first()?.name == "Ann")
        }
    }

    @Test("revert collisions are errors that write nothing: a UNIQUE value taken, a parent with no version then", arguments: TestDatabase.allCases)
    func revertCollisions(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateBlog().prepare(on: db.fluent)
            let (post, t1) = try await Self.history(db.fluent)
            // "swift" renamed, and the name taken by a new label.
            try await db.fluent.versioned { db in
                let swift = try await Label.query(on: db).filter(\.$name == "swift").first()!
                swift.name = "swift-old"
                try await swift.save(on: db)
                try await Label(name: "swift").save(on: db)
            }
            let version = try #require(try await post.versions(on: db.fluent).first { $0.transactionID == t1 })
            let transactions = try await Transaction.query(on: db.fluent).count()
            await #expect(throws: ContinuumError.revertCollision(table: "label")) {
                try await version.revert(relations: [.relation(\.$comments), .relation(\.$labels)], on: db.fluent)
            }
            #expect(try await Post.find(post.id, on: db.fluent)?.title == "p2", "nothing written")
            #expect(try await PostComment.query(on: db.fluent).count() == 2)
            #expect(try await Transaction.query(on: db.fluent).count() == transactions)

            // A post whose author never had a version.
            let orphan = Post(title: "orphan", authorID: 99)
            try await db.fluent.versioned { db in try await orphan.save(on: db) }
            let first = try #require(try await orphan.versions(on: db.fluent).first)
            let missing = await #expect(throws: ContinuumError.self) { try await first.revert(relations: [.relation(\.$author)], on: db.fluent) }
            #expect(missing == .parentVersionMissing(model: "Post", parent: Author.entityName, transaction: first.transactionID))
            #expect(missing?.code == .parentVersionMissing)
        }
    }

    @Test("a deleted child's key now held by a row of another parent: SQLite's reused key is refused, a key is an identity elsewhere", arguments: TestDatabase.allCases)
    func revertChildKeyTaken(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateBlog(commentKeysReused: true).prepare(on: db.fluent)
            let (post, t1) = try await Self.history(db.fluent)
            // Comment 2 was deleted at t2; a comment of another post now has key 2.
            let other = Post(title: "other", authorID: post.$author.id)
            try await db.fluent.versioned { db in
                try await other.save(on: db)
                try await PostComment(id: 2, body: "someone else's", postID: other.id).save(on: db)
            }
            let version = try #require(try await post.versions(on: db.fluent).first { $0.transactionID == t1 })
            let transactions = try await Transaction.query(on: db.fluent).count()
            if db.kind == .sqlite {
                // SQLite gave the key to a new row (no AUTOINCREMENT): another entity, which the
                // revert must not take over. Nothing is written.
                let error = await #expect(throws: ContinuumError.self) {
                    try await version.revert(relations: [.relation(\.$comments)], on: db.fluent)
                }
                #expect(error?.code == .keyReused, "\(String(describing: error))")
                #expect(try await Post.find(post.id, on: db.fluent)?.title == "p2", "nothing written")
                #expect(try await PostComment.find(2, on: db.fluent)?.body == "someone else's")
                #expect(try await PostComment.find(2, on: db.fluent)?.$post.id == other.id)
                #expect(try await Transaction.query(on: db.fluent).count() == transactions)
            } else {
                // Keys are never reused by PostgreSQL's sequences: a row inserted with key 2 is
                // the same entity come back (Continuum's identity), so the revert re-parents it.
                let report = try await version.revert(relations: [.relation(\.$comments)], on: db.fluent)
                #expect(report.count(.restored, "comment") == 2)
                let comments = try await PostComment.query(on: db.fluent).filter(\.$post.$id == post.id).sort(\.$id).all()
                #expect(comments.map(\.body) == ["c1", "c2"])
                #expect(try await PostComment.query(on: db.fluent).filter(\.$post.$id == other.id).count() == 0)
                #expect(try await Transaction.query(on: db.fluent).count() == transactions + 1)
            }
        }
    }

    @Test("the versioning migration indexes each parent reference with the transaction", arguments: TestDatabase.allCases)
    func parentIndexes(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateBlog().prepare(on: db.fluent)
            func indexes(_ table: String) async throws -> [String] {
                let query =
                    db.kind == .sqlite
                    ? "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '\(table)' AND name LIKE 'ix_%' ORDER BY name"
                    : "SELECT indexname FROM pg_indexes WHERE tablename = '\(table)' AND schemaname = current_schema() AND indexname LIKE 'ix_%' ORDER BY indexname"
                // Leaving out the engine's own indexes.
                return try await db.rows(query).map { $0[0] ?? "" }.filter { $0.hasSuffix("_transaction_id") && $0 != "ix_\(table)_transaction_id" }
            }
            let found = try await indexes("comment_version")
            #expect(found == ["ix_comment_version_post_id_transaction_id"], "\(found)")
            #expect(try await indexes("post_version") == ["ix_post_version_author_id_transaction_id", "ix_post_version_editor_id_transaction_id"])
            #expect(try await indexes("post_label_version") == ["ix_post_label_version_label_id_transaction_id", "ix_post_label_version_post_id_transaction_id"])
            #expect(try await indexes("author_version").isEmpty)
            try await db.exec("CREATE TABLE unindexed (id \(db.autoKey), post_id INTEGER)")
            try await Unindexed.versioning.prepare(on: db.fluent)
            #expect(try await indexes("unindexed_version").isEmpty)
        }
    }
}

final class Unindexed: Model, Versioned, @unchecked Sendable {
    static let schema = "unindexed"
    static let versioningOptions = VersioningOptions(indexesParentKeys: false)
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @OptionalParent(key: "post_id") var post: Post?
    init() {}
}

/// A composite-key parent and its children.
final class Edition: Model, Versioned, @unchecked Sendable {
    static let schema = "edition"
    final class IDValue: Fields, Hashable, @unchecked Sendable {
        @Field(key: "book_id") var bookID: Int
        @Field(key: "lang") var lang: String
        init() {}
        init(bookID: Int, lang: String) {
            self.bookID = bookID
            self.lang = lang
        }
        static func == (lhs: IDValue, rhs: IDValue) -> Bool { lhs.bookID == rhs.bookID && lhs.lang == rhs.lang }
        func hash(into hasher: inout Hasher) { hasher.combine(self.bookID); hasher.combine(self.lang) }
    }
    @CompositeID var id: IDValue?
    @Field(key: "title") var title: String
    @CompositeChildren(for: \.$edition) var chapters: [Chapter]
    @CompositeOptionalChild(for: \.$edition) var preface: Preface?
    init() {}
    init(bookID: Int, lang: String, title: String) {
        self.id = .init(bookID: bookID, lang: lang)
        self.title = title
    }
}

final class Chapter: Model, Versioned, @unchecked Sendable {
    static let schema = "chapter"
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "name") var name: String
    @CompositeParent(prefix: "edition", strategy: .snakeCase) var edition: Edition
    init() {}
    init(name: String, bookID: Int, lang: String) {
        self.name = name
        self.$edition.id = .init(bookID: bookID, lang: lang)
    }
}

final class Preface: Model, Versioned, @unchecked Sendable {
    static let schema = "preface"
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "text") var text: String
    @CompositeOptionalParent(prefix: "edition", strategy: .snakeCase) var edition: Edition?
    init() {}
    init(text: String, bookID: Int, lang: String) {
        self.text = text
        self.$edition.id = .init(bookID: bookID, lang: lang)
    }
}

@Suite("Relations in time, composite keys")
struct CompositeRelationTests {
    @Test("composite parents and children read as they were", arguments: TestDatabase.allCases)
    func composite(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.fluent.schema("edition").field("book_id", .int, .required).field("lang", .string, .required)
                .field("title", .string, .required).compositeIdentifier(over: "book_id", "lang").create()
            try await db.fluent.schema("chapter").field("id", .int, .identifier(auto: true)).field("name", .string, .required)
                .field("edition_book_id", .int, .required).field("edition_lang", .string, .required).create()
            try await db.fluent.schema("preface").field("id", .int, .identifier(auto: true)).field("text", .string, .required)
                .field("edition_book_id", .int).field("edition_lang", .string).create()
            for migration in [Continuum.migration, Edition.versioning, Chapter.versioning, Preface.versioning] { try await migration.prepare(on: db.fluent) }
            let en = Edition(bookID: 1, lang: "en", title: "Book"), fr = Edition(bookID: 1, lang: "fr", title: "Livre")
            try await db.fluent.versioned { db in
                try await en.create(on: db)
                try await fr.create(on: db)
                try await Chapter(name: "one", bookID: 1, lang: "en").save(on: db)
                try await Chapter(name: "un", bookID: 1, lang: "fr").save(on: db)
                try await Preface(text: "hello", bookID: 1, lang: "en").save(on: db)
            }
            try await db.fluent.versioned { db in
                try await Chapter(name: "two", bookID: 1, lang: "en").save(on: db)
                let one = try await Chapter.query(on: db).filter(\.$name == "one").first()!
                one.name = "one (revised)"
                try await one.save(on: db)
            }
            let first = try #require(try await en.versions(on: db.fluent).first)
            #expect(try await first.related(\.$chapters, on: db.fluent).map(\.model.name) == ["one"])
            #expect(try await first.related(\.$chapters, at: 2, on: db.fluent).map(\.model.name) == ["one (revised)", "two"])
            #expect(try await first.related(\.$preface, on: db.fluent)?.model.text == "hello")
            let chapter = try #require(try await Chapter.versions(id: 2, on: db.fluent).first)
            #expect(try await chapter.related(\.$edition, on: db.fluent)?.model.title == "Livre")
            let preface = try #require(try await Preface.versions(id: 1, on: db.fluent).first)
            #expect(try await preface.related(\.$edition, on: db.fluent)?.model.title == "Book")
            let all = try await Edition.query(on: db.fluent).versions()
            #expect(try await all.loadRelated(\.$chapters, on: db.fluent).map { $0.map(\.model.name) } == [["one"], ["un"]])
        }
    }
}
