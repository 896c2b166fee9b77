import Fluent
import Vapor

/// Logging in and out. Passwords are checked against their Bcrypt hashes.
struct AuthController: RouteCollection {
    struct LoginPage: Encodable {
        var username: String
        var error: String?
        var next: String
        var accounts: [Account]
    }

    struct Account: Encodable {
        var username: String
        var name: String
        var password: String
    }

    struct LoginForm: Content {
        var username: String
        var password: String
        var next: String?
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("login", use: self.page)
        routes.post("login", use: self.login)
        routes.post("logout", use: self.logout)
    }

    func page(req: Request) async throws -> Response {
        if req.auth.has(User.self) { return req.redirect(to: "/") }
        return try await self.render(req, username: "", error: nil, next: req.query[String.self, at: "next"])
    }

    func login(req: Request) async throws -> Response {
        let form = try req.content.decode(LoginForm.self)
        let username = form.username.trimmingCharacters(in: .whitespaces).lowercased()
        guard let user = try await User.query(on: req.db).filter(\.$username == username).first(),
            try await req.password.async.verify(form.password, created: user.passwordHash)
        else {
            return try await self.render(req, username: form.username, error: "Wrong username or password.", next: form.next, status: .unauthorized)
        }
        // A new session id at login (against session fixation): the old session is deleted and
        // the sessions middleware stores this one under a new id, with a new CSRF token.
        if let old = req.session.id {
            try await req.application.sessions.driver.deleteSession(old, for: req).get()
            req.session.id = nil
        }
        req.session.data[CSRFMiddleware.sessionKey] = nil
        req.auth.login(user)
        req.flash("Welcome back, \(user.name).")
        return req.redirect(to: Self.safeNext(form.next))
    }

    func logout(req: Request) async throws -> Response {
        req.auth.logout(User.self)
        req.session.destroy()
        return req.redirect(to: "/login")
    }

    private func render(_ req: Request, username: String, error: String?, next: String?, status: HTTPStatus = .ok) async throws -> Response {
        let accounts = SeedUsers.accounts.map { Account(username: $0.username, name: $0.name, password: $0.password) }
        return try await req.render(
            "login", title: "Log in", nav: "login",
            LoginPage(username: username, error: error, next: Self.safeNext(next), accounts: accounts), status: status)
    }

    /// Only a path on this site (never `//host` or a URL), so the login cannot redirect elsewhere.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\") else { return "/" }
        return next
    }
}

/// Sends visitors who are not logged in to the login page, remembering where they were going.
struct LoginRequired: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.auth.has(User.self) else {
            let target = request.url.path + (request.url.query.map { "?" + $0 } ?? "")
            var components = URLComponents()
            components.path = "/login"
            components.queryItems = [URLQueryItem(name: "next", value: target)]
            return request.redirect(to: components.string ?? "/login")
        }
        return try await next.respond(to: request)
    }
}
