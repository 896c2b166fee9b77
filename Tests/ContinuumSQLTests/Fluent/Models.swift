import FluentContinuum
import FluentKit
import Foundation

enum Status: String, Codable, Sendable { case draft, published }

final class Article: Model, Versioned, @unchecked Sendable {
    static let schema = "article"
    static let versioningOptions = VersioningOptions(excludedFields: ["views"], tracksModifiedFields: true)

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "name") var name: String
    @OptionalField(key: "content") var content: String?
    @Enum(key: "status") var status: Status
    @OptionalField(key: "published_at") var publishedAt: Date?
    @Field(key: "views") var views: Int
    @Children(for: \.$article) var tags: [Tag]

    init() {}
    init(name: String, content: String? = nil, status: Status = .draft) {
        self.name = name
        self.content = content
        self.status = status
        self.views = 0
    }
}

final class Tag: Model, Versioned, @unchecked Sendable {
    static let schema = "tag"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "name") var name: String
    @Parent(key: "article_id") var article: Article

    init() {}
    init(name: String, articleID: Int) {
        self.name = name
        self.$article.id = articleID
    }
}

final class Note: Model, Versioned, @unchecked Sendable {
    static let schema = "note"
    @ID(key: .id) var id: UUID?
    @Field(key: "text") var text: String
    init() {}
    init(text: String) { self.text = text }
}

final class Membership: Model, Versioned, @unchecked Sendable {
    static let schema = "membership"

    final class IDValue: Fields, Hashable, @unchecked Sendable {
        @Field(key: "team_id") var teamID: Int
        @Field(key: "user_id") var userID: Int
        init() {}
        init(teamID: Int, userID: Int) {
            self.teamID = teamID
            self.userID = userID
        }
        static func == (lhs: IDValue, rhs: IDValue) -> Bool { lhs.teamID == rhs.teamID && lhs.userID == rhs.userID }
        func hash(into hasher: inout Hasher) { hasher.combine(self.teamID); hasher.combine(self.userID) }
    }

    @CompositeID var id: IDValue?
    @Field(key: "role") var role: String

    init() {}
    init(teamID: Int, userID: Int, role: String) {
        self.id = .init(teamID: teamID, userID: userID)
        self.role = role
    }
}

/// Creates the tables of the models above and versions them through the public migrations.
struct CreateFixtures: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("article")
            .field("id", .int, .identifier(auto: true))
            .field("name", .string, .required)
            .field("content", .string)
            .field("status", .string, .required)
            .field("published_at", .datetime)
            .field("views", .int, .required, .sql(.default(0)))
            .create()
        try await database.schema("tag")
            .field("id", .int, .identifier(auto: true))
            .field("name", .string, .required)
            .field("article_id", .int, .required, .references("article", "id", onDelete: .cascade))
            .create()
        try await database.schema("note").id().field("text", .string, .required).create()
        try await database.schema("membership")
            .field("team_id", .int, .required)
            .field("user_id", .int, .required)
            .field("role", .string, .required)
            .compositeIdentifier(over: "team_id", "user_id")
            .create()
        for migration in [Continuum.migration, Article.versioning, Tag.versioning, Note.versioning, Membership.versioning] {
            try await migration.prepare(on: database)
        }
    }

    func revert(on database: any Database) async throws {}
}
