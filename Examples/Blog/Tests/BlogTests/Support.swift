import BlogApp
import FluentPostgresDriver
import Foundation
import Testing
import VaporTesting

/// The databases the route tests run on: SQLite always, PostgreSQL when `POSTGRES_HOST` is set
/// (scripts/test.sh starts a throwaway server and sets it).
enum TestDatabase: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite, postgres

    static var available: [TestDatabase] {
        ProcessInfo.processInfo.environment["POSTGRES_HOST"] == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    var description: String { self.rawValue }

    static var postgresURL: String {
        let env = ProcessInfo.processInfo.environment
        let user = env["POSTGRES_USER"] ?? "postgres"
        let password = env["POSTGRES_PASSWORD"].flatMap { $0.isEmpty ? nil : ":" + $0 } ?? ""
        let host = env["POSTGRES_HOST"] ?? "127.0.0.1"
        let port = env["POSTGRES_PORT"] ?? "5432"
        return "postgres://\(user)\(password)@\(host):\(port)/\(env["POSTGRES_DB"] ?? "postgres")?sslmode=disable"
    }

    /// Runs `body` with the blog configured on a new, empty database (migrated, demo users
    /// seeded), which is removed afterwards on every path.
    func withBlog(_ body: (Application) async throws -> Void) async throws {
        let name = "blog_test_\(UUID().uuidString.prefix(8).lowercased())"
        let database: BlogDatabase
        switch self {
        case .sqlite:
            database = .sqlite(path: FileManager.default.temporaryDirectory.appendingPathComponent(name + ".sqlite").path)
        case .postgres:
            try await Self.admin { try await $0.raw("CREATE DATABASE \(ident: name)").run() }
            let base = Self.postgresURL
            let server = base[..<base.range(of: "/", options: .backwards)!.lowerBound]
            database = .postgres(url: "\(server)/\(name)?sslmode=disable")
        }
        defer {
            if case .sqlite(let path) = database { try? FileManager.default.removeItem(atPath: path) }
        }
        let app = try await Application.make(.testing)
        app.logger.logLevel = .error
        do {
            try await configure(app, database: database, passwordCost: 4)
            try await body(app)
            try await app.asyncShutdown()
        } catch {
            try? await app.asyncShutdown()
            if self == .postgres { try? await Self.admin { try await $0.raw("DROP DATABASE IF EXISTS \(ident: name)").run() } }
            throw error
        }
        if self == .postgres { try await Self.admin { try await $0.raw("DROP DATABASE IF EXISTS \(ident: name)").run() } }
    }

    /// Runs `body` on the server's default database (to create and drop test databases).
    private static func admin(_ body: (any SQLDatabase) async throws -> Void) async throws {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .error
        do {
            app.databases.use(try .postgres(url: Self.postgresURL), as: .psql)
            try await body(app.db as! any SQLDatabase)
            try await app.asyncShutdown()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }
}

/// A browser's memory for the in-memory tester: the session cookie and the last page's CSRF token.
final class Browser: @unchecked Sendable {
    let app: Application
    var cookie: String?
    var csrf: String?

    init(_ app: Application) {
        self.app = app
    }

    /// A request with the session cookie; remembers a new cookie and the page's CSRF token.
    @discardableResult
    func send(_ method: HTTPMethod, _ path: String, form: [String: String]? = nil) async throws -> TestingHTTPResponse {
        var headers = HTTPHeaders()
        if let cookie { headers.add(name: .cookie, value: cookie) }
        var body: ByteBuffer?
        if let form {
            headers.contentType = .urlEncodedForm
            let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
            let encode = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }
            body = ByteBuffer(string: form.sorted { $0.key < $1.key }.map { encode($0.key) + "=" + encode($0.value) }.joined(separator: "&"))
        }
        let response = try await self.app.testing().sendRequest(method, path, headers: headers, body: body)
        if let setCookie = response.headers.first(name: .setCookie), let pair = setCookie.split(separator: ";").first {
            self.cookie = String(pair)
        }
        if let token = Self.csrf(in: response.body.string) { self.csrf = token }
        return response
    }

    /// Posts a form with the current CSRF token (`csrf: nil` leaves it out; any other value replaces it).
    @discardableResult
    func post(_ path: String, _ form: [String: String], csrf: String?? = .none) async throws -> TestingHTTPResponse {
        var form = form
        switch csrf {
        case .none: form["csrf"] = self.csrf
        case .some(.none): break
        case .some(.some(let token)): form["csrf"] = token
        }
        return try await self.send(.POST, path, form: form)
    }

    @discardableResult
    func get(_ path: String) async throws -> TestingHTTPResponse {
        try await self.send(.GET, path)
    }

    /// Logs in as a demo user (alice-demo, bob-demo) and follows the redirect, as a browser
    /// does: the login renews the session and its CSRF token, which the next page carries.
    func logIn(_ username: String) async throws {
        try await self.get("/login")
        let response = try await self.post("/login", ["username": username, "password": "\(username)-demo"])
        #expect(response.status == .seeOther)
        try await self.get(response.location ?? "/")
    }

    static func csrf(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) else { return nil }
        let match = html[range]
        return match.split(separator: "\"").dropFirst(3).first.map(String.init)
    }
}

extension TestingHTTPResponse {
    /// The redirect's target.
    var location: String? { self.headers.first(name: .location) }
}
