import FluentContinuum
import FluentKit

/// PERFORMANCE.md's article. The same model serves the unversioned and the versioned
/// configurations: versioning is the triggers, so only `enable` differs.
final class Article: Model, Versioned, @unchecked Sendable {
    static let schema = "article"
    /// SQLAlchemy-Continuum names entities after classes; so do we here, for comparable rows.
    static let versioningOptions = VersioningOptions(entityName: "Article")

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "title") var title: String
    @Field(key: "body") var body: String
    @Field(key: "status") var status: String
    @Field(key: "views") var views: Int
    @Children(for: \.$article) var tags: [Tag]

    init() {}

    init(title: String, body: String, status: String, views: Int) {
        self.title = title
        self.body = body
        self.status = status
        self.views = views
    }
}

final class Tag: Model, Versioned, @unchecked Sendable {
    static let schema = "tag"
    static let versioningOptions = VersioningOptions(entityName: "Tag")

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Parent(key: "article_id") var article: Article
    @Field(key: "name") var name: String

    init() {}

    init(articleID: Int, name: String) {
        self.$article.id = articleID
        self.name = name
    }
}

/// The schema, as SQLAlchemy 2.1 creates it for the Python worker's models, so that all stacks
/// write the same tables (an `Integer` primary key becomes a rowid alias on SQLite and SERIAL on
/// PostgreSQL; the index on `tag.article_id` is declared on both sides).
enum BenchSchema {
    static func statements(_ backend: Backend) -> [String] {
        let key = backend == .sqlite ? "INTEGER NOT NULL" : "SERIAL NOT NULL"
        return [
            "CREATE TABLE article (id \(key), title VARCHAR(200), body TEXT, status VARCHAR(20), views INTEGER, PRIMARY KEY (id))",
            "CREATE TABLE tag (id \(key), article_id INTEGER NOT NULL, name VARCHAR(50), PRIMARY KEY (id), FOREIGN KEY(article_id) REFERENCES article (id))",
            "CREATE INDEX ix_tag_article_id ON tag (article_id)",
        ]
    }
}
