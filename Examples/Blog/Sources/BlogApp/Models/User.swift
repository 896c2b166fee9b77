import Fluent
import Vapor

/// Someone who can log in and write posts. Passwords are stored as Bcrypt hashes.
public final class User: Model, @unchecked Sendable {
    public static let schema = "blog_user"

    @ID(key: .id) public var id: UUID?
    @Field(key: "username") public var username: String
    @Field(key: "name") public var name: String
    @Field(key: "password_hash") public var passwordHash: String

    public init() {}

    public init(id: UUID? = nil, username: String, name: String, passwordHash: String) {
        self.id = id
        self.username = username
        self.name = name
        self.passwordHash = passwordHash
    }
}

extension User: ModelSessionAuthenticatable {}

struct CreateUser: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(User.schema)
            .id()
            .field("username", .string, .required)
            .field("name", .string, .required)
            .field("password_hash", .string, .required)
            .unique(on: "username")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(User.schema).delete()
    }
}

/// The demo accounts, created on first start (documented in the README and on the login page).
struct SeedUsers: AsyncMigration {
    static let accounts = [
        (username: "alice", name: "Alice Martin", password: "alice-demo"),
        (username: "bob", name: "Bob Okafor", password: "bob-demo"),
    ]

    let hasher: @Sendable (String) throws -> String

    func prepare(on database: any Database) async throws {
        for account in Self.accounts {
            try await User(username: account.username, name: account.name, passwordHash: self.hasher(account.password))
                .create(on: database)
        }
    }

    func revert(on database: any Database) async throws {
        try await User.query(on: database).filter(\.$username ~~ Self.accounts.map(\.username)).delete()
    }
}
