// swift-format-ignore-file
// Not formatted: its lines are the documentation's examples, compared line by line (DocumentationTests).
import FluentContinuum
import FluentKit
import Foundation
import SQLKit
import Testing

/// Every Swift example of `Sources/FluentContinuum/FluentContinuum.docc` and the README's
/// Fluent example, as code that compiles and runs on both databases. ``DocumentationTests``
/// checks that each example's lines appear here, in order: edit an example here first, then
/// copy it to its article. `app` is an ``ExampleApp`` (Vapor's `Application` stand-in).
@Suite("Documentation examples")
struct FluentDocumentationExamples {
    // MARK: - Models of the examples

    // FluentContinuum.md
    final class Article: Model, Versioned, @unchecked Sendable {
        static let schema = "article"
        static let versioningOptions = VersioningOptions(tracksModifiedFields: true)

        @ID(custom: "id", generatedBy: .database) var id: Int?
        @Field(key: "name") var name: String
        @Field(key: "status") var status: String

        init() {}
        init(name: String, status: String = "draft") {
            self.name = name
            self.status = status
        }
    }

    struct CreateArticle: AsyncMigration {
        func prepare(on database: any Database) async throws {
            try await database.schema("article")
                .field("id", .int, .identifier(auto: true))
                .field("name", .string, .required)
                .field("status", .string, .required)
                .create()
        }

        func revert(on database: any Database) async throws {
            try await database.schema("article").delete()
        }
    }

    // GettingStartedWithFluent.md, "Choose what is versioned"
    final class Post: Model, Versioned, @unchecked Sendable {
        static let schema = "post"
        static let versioningOptions = VersioningOptions(
            excludedFields: ["views"],           // not copied; a change to views alone writes no version
            versionTableName: "post_history",    // default: post_version
            tracksModifiedFields: true,          // a title_mod flag: modifiedFields, versions(modified:)
            entityName: "BlogPost",              // recorded in transaction_changes; default: "Post"
            requiresScope: true                  // SQLite: refuse writes made outside db.versioned
        )

        @ID(custom: "id", generatedBy: .database) var id: Int?
        @Field(key: "title") var title: String
        @Field(key: "views") var views: Int

        init() {}
        init(title: String) {
            self.title = title
            self.views = 0
        }
    }

    struct CreatePost: AsyncMigration {
        func prepare(on database: any Database) async throws {
            try await database.schema("post")
                .field("id", .int, .identifier(auto: true))
                .field("title", .string, .required)
                .field("views", .int, .required)
                .create()
        }

        func revert(on database: any Database) async throws {
            try await database.schema("post").delete()
        }
    }

    // GettingStartedWithFluent.md, "Configure each database"
    enum AuditLog: TransactionTableName { static let name = "audit_transaction" }
    typealias AuditTransaction = TransactionLog<AuditLog>

    // GettingStartedWithFluent.md, "Nested scopes"
    func publish(_ article: Article, on db: any Database) async throws {
        try await db.versioned(meta: ["action": "publish"]) { db in   // joins the caller's scope
            article.status = "published"
            try await article.save(on: db)
        }
    }

    // MigrationsWithFluent.md
    struct AddArticleSummary: AsyncMigration {
        func prepare(on database: any Database) async throws {
            try await database.schema("article").field("summary", .string).update()
            try await Article.syncVersioning(on: database)   // article_version gains summary
        }

        func revert(on database: any Database) async throws {
            // The triggers name summary: drop it inside alterVersioning, which regenerates them.
            try await Article.alterVersioning(on: database) { database in
                try await database.schema("article").deleteField("summary").update()
            }
        }
    }

    final class Page: Model, Versioned, @unchecked Sendable {
        static let schema = "page"

        @ID(custom: "id", generatedBy: .database) var id: Int?
        @Field(key: "content") var content: String

        init() {}
        init(content: String) { self.content = content }
    }

    struct RenamePageText: AsyncMigration {
        func prepare(on database: any Database) async throws {
            let sql = database as! any SQLDatabase
            try await sql.raw("ALTER TABLE page RENAME COLUMN text TO content").run()
            try await Page.syncVersioning(renamed: "text", to: \.$content, on: database)
        }

        func revert(on database: any Database) async throws {
            let sql = database as! any SQLDatabase
            try await sql.raw("ALTER TABLE page RENAME COLUMN content TO text").run()
            try await Page.syncVersioning(renamedFields: ["content": "text"], on: database)
        }
    }

    /// The migrations of FluentContinuum.md's overview, run.
    func migrateArticles(_ app: ExampleApp) async throws {
        app.migrations.add(Continuum.migration)
        app.migrations.add(CreateArticle())
        app.migrations.add(Article.versioning)
        try await app.autoMigrate()
    }

    // MARK: - README.md

    @Test("README: the Fluent example", arguments: TestDatabase.allCases)
    func readme(_ database: TestDatabase) async throws {
        try await database.runApp { app in
            let db = app.db
            app.migrations.add(CreateArticle())
            // README: begin
            app.migrations.add(Continuum.migration)   // the transaction log, once per database
            app.migrations.add(Article.versioning)    // article_version + triggers, after the table exists
            try await app.autoMigrate()

            let article = Article(name: "Some article")
            try await db.versioned(userID: "42", remoteAddress: "10.0.0.1", meta: ["reason": "typo"]) { db in
                try await article.save(on: db)
                article.name = "Updated article"
                try await article.save(on: db)             // one version: the net INSERT
            }
            article.name = "Final"
            try await article.save(on: db)                 // outside a scope: still versioned

            let versions = try await article.versions(on: db)      // oldest first, in one query
            let change = try versions[1].change(\.$name)           // "Updated article" → "Final"
            try await versions[0].revert(on: db)                   // writes it back as a new version
            let log = try await Transaction.query(on: db).filter(\.$userID == "42").all()
            // README: end

            #expect(versions.map(\.operation) == [.insert, .update])
            #expect(try change?.old(as: String.self) == "Updated article")
            #expect(try change?.new(as: String.self) == "Final")
            #expect(log.count == 1)
            #expect(try await article.versions(on: db).map(\.model.name) == ["Updated article", "Final", "Updated article"])
        }
    }

    // MARK: - FluentContinuum.md

    @Test("FluentContinuum.md: the overview", arguments: TestDatabase.allCases)
    func overview(_ database: TestDatabase) async throws {
        try await database.runApp { app in
            app.migrations.add(Continuum.migration)   // the transaction log, once per database
            app.migrations.add(CreateArticle())       // the article table
            app.migrations.add(Article.versioning)    // article_version and its triggers
            try await app.autoMigrate()

            let article = Article(name: "Some article")
            try await app.db.versioned(userID: "42", meta: ["reason": "first draft"]) { db in
                try await article.save(on: db)
            }
            article.name = "Updated article"
            try await article.save(on: app.db)        // outside a scope: versioned too

            let versions = try await article.versions(on: app.db)   // oldest first
            let operations = versions.map(\.operation)               // [.insert, .update]
            let change = versions[1].changeset["name"]               // "Some article" → "Updated article"
            let author = try await versions[0].transaction(on: app.db).userID   // "42"
            try await versions[0].revert(on: app.db)  // a third version, with the first one's values

            #expect(operations == [.insert, .update])
            #expect(change?.description == "\"Some article\" → \"Updated article\"")
            #expect(author == "42")
            #expect(try await Article.find(article.requireID(), on: app.db)?.name == "Some article")
            #expect(try await article.versions(on: app.db).map(\.operation) == [.insert, .update, .update])
        }
    }

    // MARK: - GettingStartedWithFluent.md

    @Test("GettingStartedWithFluent.md: the package manifest lines name this package's product")
    func manifest() throws {
        let lines = """
            .package(url: "https://github.com/swift-continuum/swift-continuum.git", branch: "main"),  // no release is tagged yet
            // in the target's dependencies:
            .product(name: "FluentContinuum", package: "swift-continuum"),
            """
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(manifest.contains(".library(name: \"FluentContinuum\""))
        #expect(lines.contains("name: \"FluentContinuum\""))
        #expect(readme.contains(#".package(url: "https://github.com/swift-continuum/swift-continuum.git", branch: "main")"#))
        #expect(lines.contains(#".package(url: "https://github.com/swift-continuum/swift-continuum.git", branch: "main")"#))
    }

    @Test("GettingStartedWithFluent.md: every versioning option", arguments: TestDatabase.allCases)
    func options(_ database: TestDatabase) async throws {
        try await database.runApp { app in
            app.migrations.add(Continuum.migration)
            app.migrations.add(CreatePost())
            app.migrations.add(Post.versioning)
            try await app.autoMigrate()
            let sql = app.db as! any SQLDatabase

            let post = Post(title: "Hello")
            try await app.db.versioned { db in try await post.save(on: db) }
            post.views = 10
            try await app.db.versioned { db in try await post.save(on: db) }
            post.title = "Hello, world"
            try await app.db.versioned { db in try await post.save(on: db) }

            let versions = try await post.versions(on: app.db)
            #expect(versions.map(\.model.title) == ["Hello", "Hello, world"], "a change to views alone writes nothing")
            #expect(versions[1].modifiedFields == ["title"])
            #expect(Post.versionSchema == "post_history")
            #expect(try await sql.raw("SELECT COUNT(*) AS n FROM post_history").first()?.decode(column: "n", as: Int.self) == 2)
            let entities = try await sql.raw("SELECT DISTINCT entity_name FROM transaction_changes").all()
            #expect(try entities.map { try $0.decode(column: "entity_name", as: String.self) } == ["BlogPost"])

            try await app.db.versioned { db in try await versions[0].revert(on: db) }
            let reverted = try #require(try await Post.find(post.requireID(), on: app.db))
            #expect(reverted.title == "Hello" && reverted.views == 10, "a revert leaves excluded fields as they are")
            #expect(try await post.versions(on: app.db).count == 3)

            post.title = "Outside a scope"
            if database == .sqlite {
                await #expect(throws: (any Error).self) { try await post.save(on: app.db) }
            } else {
                try await post.save(on: app.db)   // PostgreSQL groups every transaction by itself
            }
            #expect(try await post.versions(on: app.db).count == (database == .sqlite ? 3 : 4))
        }
    }

    @Test("GettingStartedWithFluent.md: writing in scopes, nested scopes", arguments: TestDatabase.allCases)
    func scopes(_ database: TestDatabase) async throws {
        try await database.runApp { app in
            try await migrateArticles(app)
            let db = app.db
            let article = Article(name: "Typo")
            try await db.versioned { db in try await article.save(on: db) }
            try await db.versioned { db in try await Article(name: "Other").save(on: db) }

            try await db.versioned(userID: "42", remoteAddress: "10.0.0.1", meta: ["reason": "typo"]) { db in
                article.name = "Fixed"
                try await article.save(on: db)
                try await Article.query(on: db).filter(\.$status == "draft").set(\.$status, to: "review").update()
                try await (db as! any SQLDatabase).raw("UPDATE article SET name = 'Renamed' WHERE name = 'Other'").run()
            }

            let log = try await Transaction.query(on: db).sort(\.$id).all()
            #expect(log.count == 3, "the scope is one transaction")
            #expect(log.last?.userID == "42")
            #expect(log.last?.remoteAddress == "10.0.0.1")
            #expect(try await log[2].meta(on: db) == ["reason": "typo"])
            #expect(try await log[2].versions(of: Article.self, on: db).map(\.model.name).sorted() == ["Fixed", "Renamed"])

            try await db.versioned(userID: "42") { db in
                try await publish(article, on: db)       // the scope's db: one transaction
            }

            let last = try #require(try await Transaction.query(on: db).sort(\.$id, .descending).first())
            #expect(last.userID == "42", "the outer actor stands")
            #expect(try await last.meta(on: db) == ["action": "publish"], "the inner meta is added")
            #expect(try await Transaction.query(on: db).count() == 4)
        }
    }

    @Test("GettingStartedWithFluent.md: a database whose transaction log has another name", arguments: TestDatabase.allCases)
    func configuration(_ database: TestDatabase) async throws {
        try await database.runApp { app in
            app.databases.configureVersioning(.init(transactionTable: AuditLog.name))
            app.migrations.add(Continuum.migration)   // creates audit_transaction
            app.migrations.add(CreateArticle())
            app.migrations.add(Article.versioning)
            try await app.autoMigrate()
            try await app.db.versioned(userID: "42") { db in try await Article(name: "a").save(on: db) }

            let mine = try await AuditTransaction.query(on: app.db).filter(\.$userID == "42").all()

            #expect(mine.count == 1)
            #expect(Continuum.configuration(of: app.db).transactionTable == "audit_transaction")
            let sql = app.db as! any SQLDatabase
            await #expect(throws: (any Error).self, "no table under the default name") {
                try await sql.raw("SELECT COUNT(*) FROM \"transaction\"").run()
            }
        }
    }

    @Test("GettingStartedWithFluent.md: writes outside a scope", arguments: TestDatabase.allCases)
    func outsideScopes(_ database: TestDatabase) async throws {
        try await database.runApp { app in
            try await migrateArticles(app)
            let db = app.db
            try await db.versioned { db in
                try await Article(name: "a").save(on: db)
                try await Article(name: "b").save(on: db)
            }

            try await Article.query(on: db).set(\.$status, to: "archived").update()   // two rows
            let transactions = try await Transaction.query(on: db).count()         // PostgreSQL 2, SQLite 3

            #expect(transactions == (database == .sqlite ? 3 : 2))
            #expect(try await Article.query(on: db).versions().count == 4)
        }
    }

    // MARK: - ReadingHistory.md

    /// Three transactions of user 42 on "Some article" (insert, rename, delete), another on a
    /// second article; returns the first article.
    func seedHistory(_ db: any Database) async throws -> Article {
        let article = Article(name: "Some article")
        try await db.versioned(userID: "42", meta: ["reason": "typo"]) { db in try await article.save(on: db) }
        try await db.versioned(userID: "42") { db in
            article.name = "Updated article"
            article.status = "published"
            try await article.save(on: db)
        }
        try await db.versioned(userID: "7") { db in try await Article(name: "Another article").save(on: db) }
        try await db.versioned(userID: "42") { db in try await article.delete(on: db) }
        return article
    }

    @Test("ReadingHistory.md: versions and their fields", arguments: TestDatabase.allCases)
    func readingVersions(_ database: TestDatabase) async throws {
        try await database.runApp { app in
            try await migrateArticles(app)
            let db = app.db
            let article = try await seedHistory(db)
            let id = try article.requireID()

            let versions = try await article.versions(on: db)      // oldest first, one query
            let first = versions[0].model.name                     // "Some article"
            let change = try versions[1].change(\.$name)           // "Some article" → "Updated article"
            let old = try change?.old(as: String.self)             // "Some article"
            let modified = versions[1].modifiedFields              // ["name", "status"]
            let previous = versions[1].previous?.transactionID     // versions[0].transactionID, no query
            let author = try await versions[1].transaction(on: db).userID   // "42"

            #expect(versions.map(\.operation) == [.insert, .update, .delete])
            #expect(first == "Some article")
            #expect(change?.description == "\"Some article\" → \"Updated article\"")
            #expect(old == "Some article")
            #expect(modified == ["name", "status"])
            #expect(previous == versions[0].transactionID)
            #expect(author == "42")
            #expect(versions[0].changeset.keys.sorted() == ["id", "name", "status"])
            #expect(versions.map(\.index) == [0, 1, 2])
            #expect(versions[2].next == nil)
            #expect(versions[0].endTransactionID == versions[1].transactionID)

            let same = try await Article.versions(id: id, on: db)   // by id, deleted entities too
            let count = try await Article.versionCount(id: id, on: db)   // 3

            #expect(same.map(\.transactionID) == versions.map(\.transactionID))
            #expect(count == 3)

            let atFirst = try await Article.version(id: id, at: versions[0].transactionID, on: db)
            let lastWeek = try await Article.version(id: id, asOf: Date().addingTimeInterval(-7 * 86_400), on: db)   // nil: not there yet
            let now = try await Article.version(id: id, asOf: Date(), on: db)   // the DELETE version

            #expect(atFirst?.model.name == "Some article")
            #expect(lastWeek == nil)
            #expect(now?.operation == .delete)

            let deleted = try await Article.deletedVersions(on: db)   // the last version of each deleted article

            #expect(deleted.map(\.model.id) == [id])
            #expect(deleted.first?.previous?.model.name == "Updated article")

            let then = try await Article.query(on: db)
                .filter(\.$status == "published")
                .sort(\.$name)
                .asOf(transaction: versions[1].transactionID)
                .all()                                           // the published articles then
            let lastMonth = try await Article.query(on: db).asOf(Date().addingTimeInterval(-30 * 86_400)).count()   // 0
            let found = try await Article.find(id, asOf: versions[0].transactionID, on: db)   // "Some article"

            #expect(then.map(\.name) == ["Updated article"])
            #expect(lastMonth == 0)
            #expect(found?.name == "Some article")
        }
    }

    @Test("ReadingHistory.md: version queries", arguments: TestDatabase.allCases)
    func versionQueries(_ database: TestDatabase) async throws {
        try await database.runApp { app in
            try await migrateArticles(app)
            let db = app.db
            _ = try await seedHistory(db)

            let published = try await Article.query(on: db).filter(\.$status == "published").versions()
            let latest = try await Article.query(on: db).sort(\.$name).limit(20).versions()
            let renamed = try await Article.query(on: db).versions(modified: \.$name)

            #expect(published.map(\.operation) == [.update, .delete], "the DELETE version keeps the last values")
            #expect(latest.map(\.model.name) == ["Another article", "Some article", "Updated article", "Updated article"])
            #expect(renamed.map(\.model.name) == ["Some article", "Updated article", "Another article", "Updated article"], "INSERT and DELETE versions set every flag")
            #expect(published[0].index == 1, "each version comes with its entity's history")
        }
    }

    @Test("ReadingHistory.md: the transaction log", arguments: TestDatabase.allCases)
    func transactionLog(_ database: TestDatabase) async throws {
        try await database.runApp { app in
            try await migrateArticles(app)
            let db = app.db
            _ = try await seedHistory(db)

            let page = try await Transaction.query(on: db)
                .filter(\.$userID == "42")
                .issued(after: Date().addingTimeInterval(-7 * 86_400))
                .sort(\.$id)
                .paginate(PageRequest(page: 1, per: 20))
            let first = page.items[0]
            let meta = try await first.meta(on: db)                              // ["reason": "typo"]
            let written = try await first.versions(of: Article.self, on: db)     // its Article versions
            let records = try await first.changedEntities(on: db)                // ["Article": [VersionRecord]]
            let touched = try await Transaction.query(on: db).changed(Article.self).count()

            #expect(page.items.count == 3 && page.metadata.total == 3)
            #expect(abs(try #require(first.issuedAt).timeIntervalSinceNow) < 120)
            #expect(meta == ["reason": "typo"])
            #expect(written.map(\.model.name) == ["Some article"])
            #expect(records.keys.sorted() == ["Article"])
            #expect(touched == 4)
        }
    }

    // MARK: - Reverting.md

    @Test("Reverting.md: revert, resurrect, revert to a delete", arguments: TestDatabase.allCases)
    func reverting(_ database: TestDatabase) async throws {
        try await database.runApp { app in
            try await migrateArticles(app)
            let db = app.db
            let article = Article(name: "Some article")
            try await db.versioned { db in try await article.save(on: db) }
            article.name = "Vandalised"
            try await db.versioned { db in try await article.save(on: db) }
            let id = try article.requireID()

            let versions = try await article.versions(on: db)
            try await db.versioned(userID: "42", meta: ["reason": "undo"]) { db in
                try await versions[0].revert(on: db)   // a new UPDATE version with the first version's values
            }

            #expect(try await Article.find(id, on: db)?.name == "Some article")
            #expect(try await article.versions(on: db).map(\.operation) == [.insert, .update, .update])
            #expect(try await Transaction.query(on: db).filter(\.$userID == "42").count() == 1)
            try await db.versioned { db in try await versions[0].revert(on: db) }
            #expect(try await article.versions(on: db).count == 3, "reverting to the values the row holds writes nothing")

            try await db.versioned { db in try await Article.query(on: db).filter(\.$id == id).delete() }

            let deleted = try await Article.deletedVersions(on: db)
            if let before = deleted.first?.previous {
                try await db.versioned(userID: "42") { db in
                    try await before.revert(on: db)   // inserts the row again, with its id
                }
            }

            #expect(try await Article.find(id, on: db)?.name == "Some article")

            let history = try await Article.versions(id: id, on: db)
            if let delete = history.last(where: { $0.operation == .delete }) {
                try await db.versioned(userID: "42") { db in
                    try await delete.revert(on: db)   // deletes the row again
                }
            }

            #expect(history.map(\.operation) == [.insert, .update, .update, .delete, .insert])
            #expect(try await Article.find(id, on: db) == nil)
            #expect(try await Article.versions(id: id, on: db).last?.operation == .delete)
        }
    }

    // MARK: - MigrationsWithFluent.md

    @Test("MigrationsWithFluent.md: added and renamed fields, reverting the versioning migration", arguments: TestDatabase.allCases)
    func migrations(_ database: TestDatabase) async throws {
        try await database.runApp { app in
            try await migrateArticles(app)
            let sql = app.db as! any SQLDatabase
            try await sql.raw("CREATE TABLE page (id \(unsafeRaw: database == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "SERIAL PRIMARY KEY"), text TEXT NOT NULL)").run()
            app.migrations.add(Page.versioning)
            try await app.autoMigrate()
            try await app.db.versioned { db in try await (db as! any SQLDatabase).raw("INSERT INTO page (text) VALUES ('before')").run() }
            let article = Article(name: "a")
            try await app.db.versioned { db in try await article.save(on: db) }

            app.migrations.add(AddArticleSummary())
            app.migrations.add(RenamePageText())
            try await app.autoMigrate()

            try await app.db.versioned { db in
                try await (db as! any SQLDatabase).raw("UPDATE article SET summary = 'short'").run()
                try await Page.query(on: db).set(\.$content, to: "after").update()
            }
            let versioned = try await sql.raw("SELECT summary FROM article_version WHERE summary IS NOT NULL").all()
            #expect(versioned.count == 1, "the added column is versioned")
            // `$content.value`, not `content`: a version without the value fails here instead of trapping.
            let pages = try await Page.versions(id: 1, on: app.db).map(\.model.$content.value)
            // On SQLite the read may run on a connection that read page_version before the
            // rename (SchemaChangeTests.renamedOnAnotherConnection).
            #expect(pages == ["before", "after"], "history continues under the new name")

            let engine = Continuum.engine(for: app.db)
            let drift = try await engine.checkDrift(on: app.db as! any SQLDatabase)   // [] when every table is in step

            #expect(drift.isEmpty)

            try await app.autoRevert()   // Article.versioning's revert stops versioning, keeps article_version

            let kept = try await sql.raw("SELECT COUNT(*) AS n FROM article_version").first()?.decode(column: "n", as: Int.self)
            #expect(kept == 2)
            #expect(try await sql.raw("SELECT COUNT(*) AS n FROM page_version").first()?.decode(column: "n", as: Int.self) == 2)
        }
    }
}

/// The examples of TimeTravel.md, on the test module's blog models (`Author`, `Post`,
/// `PostComment`, `Label`: RelationTests.swift) and `Article` with its tags (Models.swift).
@Suite("Documentation examples: time travel")
struct TimeTravelExamples {
    /// Ann's post "Hello" with the comment "first" and the label "swift" (transaction 1), then
    /// the comment "second" (transaction 2); returns the post.
    func blog(_ db: any Database) async throws -> Post {
        try await CreateBlog().prepare(on: db)
        let ann = Author(name: "Ann")
        let post = Post(title: "Hello", authorID: 0)
        try await db.versioned { db in
            try await ann.save(on: db)
            post.$author.id = try ann.requireID()
            try await post.save(on: db)
            try await PostComment(body: "first", postID: post.id).save(on: db)
            let label = Label(name: "swift")
            try await label.save(on: db)
            try await post.$labels.attach(label, on: db)
        }
        try await db.versioned { db in try await PostComment(body: "second", postID: post.id).save(on: db) }
        return post
    }

    @Test("TimeTravel.md: relations of a version", arguments: TestDatabase.allCases)
    func relations(_ database: TestDatabase) async throws {
        try await database.run { context in
            let db = context.fluent
            let post = try await blog(db)

            let version = try await post.versions(on: db)[0]
            let author = try await version.related(\.$author, on: db)        // Version<Author>?
            let comments = try await version.related(\.$comments, on: db)    // [Version<PostComment>]
            let labels = try await version.related(\.$labels, on: db)        // through the pivot
            let later = try await version.related(\.$comments, at: 42, on: db)

            #expect(author?.model.name == "Ann")
            #expect(comments.map(\.model.body) == ["first"])
            #expect(labels.map(\.model.name) == ["swift"])
            #expect(later.map(\.model.body).sorted() == ["first", "second"])
        }
    }

    @Test("TimeTravel.md: many versions at once", arguments: TestDatabase.allCases)
    func manyVersions(_ database: TestDatabase) async throws {
        try await database.run { context in
            let db = context.fluent
            _ = try await blog(db)

            let versions = try await Post.query(on: db).versions()
            let comments = try await versions.loadRelated(\.$comments, on: db)   // [[Version<PostComment>]]
            try await versions.loadRelated(\.$author, on: db)                     // fills model.author

            #expect(comments.map { $0.map(\.model.body) } == [["first"]])
            #expect(versions.map(\.model.author.name) == ["Ann"])
        }
    }

    @Test("TimeTravel.md: whole tables as of a moment", arguments: TestDatabase.allCases)
    func wholeTables(_ database: TestDatabase) async throws {
        try await database.run { context in
            let db = context.fluent
            try await CreateFixtures().prepare(on: db)
            let article = Article(name: "Some article", status: .published)
            try await db.versioned { db in
                try await article.save(on: db)
                try await Tag(name: "python", articleID: article.requireID()).save(on: db)
            }
            let monday = Date()
            try await db.versioned { db in try await Article(name: "Later").save(on: db) }

            let then = try await Article.query(on: db)
                .filter(\.$status == .published)
                .sort(\.$name)
                .asOf(transaction: 42)
                .with(\.$tags)
                .paginate(PageRequest(page: 1, per: 20))
            let one = try await Article.find(7, asOf: 42, on: db)
            let countThen = try await Article.query(on: db).asOf(monday).count()

            #expect(then.items.map(\.name) == ["Some article"])
            #expect(then.items.first?.tags.map(\.name) == ["python"])
            #expect(one == nil, "there is no article 7")
            #expect(countThen == 1)
        }
    }

    @Test("TimeTravel.md: revert with relations", arguments: TestDatabase.allCases)
    func revertWithRelations(_ database: TestDatabase) async throws {
        try await database.run { context in
            let db = context.fluent
            let post = try await blog(db)
            let version = try await post.versions(on: db)[0]

            let report = try await version.revert(relations: [
                .relation(\.$author, then: [.relation(\.$posts)]),
                .relation(\.$comments),
                .relation(\.$labels),
            ], on: db)

            #expect(report.counts[.deleted]?["comment"] == 1, "the comment added since")
            #expect(try await PostComment.query(on: db).all().map(\.body) == ["first"])
        }
    }

    @Test("TimeTravel.md: revert a whole transaction", arguments: TestDatabase.allCases)
    func revertTransaction(_ database: TestDatabase) async throws {
        try await database.run { context in
            let db = context.fluent
            _ = try await blog(db)
            let transaction = try #require(try await Transaction.query(on: db).sort(\.$id, .descending).first())

            let plan = try await transaction.revertPlan(on: db)     // dry run: rows and conflicts
            let done = try await db.versioned(userID: "admin") { db in
                try await transaction.revert(on: db, conflicts: .skip)   // the plan it carried out
            }

            #expect(plan.changes.map(\.undo) == [.delete])
            #expect(plan.conflicts.isEmpty)
            #expect(done.changes.count == 1)
            #expect(try await PostComment.query(on: db).all().map(\.body) == ["first"])
        }
    }

}

extension FluentDocumentationExamples {
    // MARK: - ActivityFeed.md

    @Test("ActivityFeed.md: record activities in scopes, read the feed and the versions it saw", arguments: TestDatabase.allCases)
    func activityFeed(_ database: TestDatabase) async throws {
        try await database.runApp { app in
            app.migrations.add(Continuum.migration)
            app.migrations.add(Continuum.activityMigration)   // the activity table, once per database
            app.migrations.add(CreateArticle())
            app.migrations.add(Article.versioning)
            try await app.autoMigrate()

            let article = Article(name: "Some article")
            try await app.db.versioned(userID: "42") { db in
                try await article.save(on: db)
                try await Activity.record(verb: "create", object: article, on: db)
            }
            try await app.db.versioned(userID: "7") { db in
                article.name = "Updated article"
                try await article.save(on: db)
                try await Activity.record(verb: "update", object: article, data: ["reason": "typo"], on: db)
            }

            let feed = try await Activity.feed(limit: 20, on: app.db)                // newest first
            let actor = feed[0].userID                                               // "7"
            let reason = try feed[0].data(as: [String: String].self)?["reason"]      // "typo"
            let then = try await feed[1].objectVersion(Article.self, on: app.db)     // the article as created
            let name = then?.model.name                                              // "Some article"
            let mine = try await Activity.feed(matching: .init(userID: "42", verb: "create"), on: app.db)
            let about = try await Activity.feed(matching: .init(involving: try ActivityEntity(article)), on: app.db)
            let next = try await Activity.feed(matching: .init(before: feed.last?.id), limit: 20, on: app.db)

            #expect(feed.map(\.verb) == ["update", "create"])
            #expect(actor == "7")
            #expect(reason == "typo")
            #expect(name == "Some article")
            #expect(mine.map(\.verb) == ["create"])
            #expect(about.count == 2)
            #expect(next.isEmpty)
        }
    }
}
