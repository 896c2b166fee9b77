import Fluent
import FluentContinuum
import FluentPostgresDriver
import FluentSQLiteDriver
import Leaf
import LeafKit
import Vapor
import VaporContinuum

/// Where the blog keeps its data.
public enum BlogDatabase: Sendable {
    /// A SQLite file (created when missing).
    case sqlite(path: String)
    /// A PostgreSQL database, `postgres://user:password@host:port/database`.
    case postgres(url: String)

    /// `DATABASE_URL` when set, otherwise `blog.sqlite` in the working directory.
    public static func fromEnvironment() -> BlogDatabase {
        if let url = Environment.get("DATABASE_URL"), !url.isEmpty {
            return url.hasPrefix("sqlite:") ? .sqlite(path: String(url.dropFirst("sqlite:".count))) : .postgres(url: url)
        }
        return .sqlite(path: "blog.sqlite")
    }
}

/// Configures the blog on `app`: its database and migrations (run at once: the tables, history,
/// the demo users), sessions, Leaf, CSRF and the routes.
///
/// - Parameters:
///   - database: Where the data lives. Default: ``BlogDatabase/fromEnvironment()``.
///   - passwordCost: Bcrypt's cost for hashing passwords (tests pass 4, the minimum).
public func configure(_ app: Application, database: BlogDatabase = .fromEnvironment(), passwordCost: Int = 12) async throws {
    switch database {
    case .sqlite(let path):
        app.databases.use(.sqlite(.file(path)), as: .sqlite)
    case .postgres(let url):
        app.databases.use(try .postgres(url: url), as: .psql)
    }
    app.passwords.use(.bcrypt(cost: passwordCost))

    // Versioning: the transaction log, then the post table and its history.
    app.migrations.add(SessionRecord.migration)
    app.migrations.add(CreateUser())
    app.migrations.add(Continuum.migration)
    app.migrations.add(Continuum.activityMigration)  // the activity feed's table
    app.migrations.add(CreatePost())
    app.migrations.add(Post.versioning)
    let hasher = app.password
    app.migrations.add(SeedUsers(hasher: { try hasher.hash($0) }))
    try await app.autoMigrate()

    // Who changed what: the logged-in user; the address is the socket peer (no proxy trusted).
    app.continuum.userID = { req in try req.auth.get(User.self)?.requireID().uuidString }

    // Sessions in the database, behind an HttpOnly, SameSite=Lax cookie.
    app.sessions.use(.fluent)
    app.sessions.configuration = .init(cookieName: "blog_session") { id in
        HTTPCookies.Value(string: id.string, maxAge: 60 * 60 * 24 * 14, isSecure: false, isHTTPOnly: true, sameSite: .lax)
    }

    // Templates and the stylesheet ship as resources of this module.
    guard let views = Bundle.module.url(forResource: "Views", withExtension: nil),
        let publicFolder = Bundle.module.url(forResource: "Public", withExtension: nil)
    else { throw Abort(.internalServerError, reason: "the blog's Views and Public resources are missing") }
    app.directory.viewsDirectory = views.path + "/"
    app.directory.publicDirectory = publicFolder.path + "/"
    app.views.use(.leaf)
    // Leaf's default refuses paths with a hidden folder, such as SwiftPM's `.build` where the
    // resources live: keep the sandbox, allow only .leaf files.
    app.leaf.sources = .singleSource(
        NIOLeafFiles(
            fileio: app.fileio, limits: [.toSandbox, .onlyLeafExtensions], sandboxDirectory: app.directory.viewsDirectory,
            viewDirectory: app.directory.viewsDirectory))
    app.middleware.use(FileMiddleware(publicDirectory: app.directory.publicDirectory))
    app.middleware.use(app.sessions.middleware)
    app.middleware.use(User.sessionAuthenticator())
    app.middleware.use(ErrorPageMiddleware())
    app.middleware.use(CSRFMiddleware())

    try app.register(collection: AuthController())
    try app.register(collection: PostController())
    try app.register(collection: HistoryController())
}
