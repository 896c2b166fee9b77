import Fluent
import FluentContinuum
import SQLKit
import Vapor

/// A blog post. `Versioned`: every change to the `post` table is kept in `post_version`.
public final class Post: Model, Versioned, @unchecked Sendable {
    public static let schema = "post"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "title") public var title: String
    @Field(key: "body") public var body: String
    @Parent(key: "author_id") public var author: User

    public init() {}

    public init(id: Int? = nil, title: String, body: String, authorID: User.IDValue) {
        self.id = id
        self.title = title
        self.body = body
        self.$author.id = authorID
    }
}

struct CreatePost: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // On SQLite, AUTOINCREMENT: a deleted post's id is never given to a new post, so each
        // id has one history (swift-continuum warns about plain INTEGER PRIMARY KEY).
        let sqlite = (database as? any SQLDatabase)?.dialect.name == "sqlite"
        try await database.schema(Post.schema)
            .field("id", .int, sqlite ? .sql(unsafeRaw: "PRIMARY KEY AUTOINCREMENT") : .identifier(auto: true))
            .field("title", .string, .required)
            .field("body", .string, .required)
            .field("author_id", .uuid, .required, .references(User.schema, "id"))
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Post.schema).delete()
    }
}
