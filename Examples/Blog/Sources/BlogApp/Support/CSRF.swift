import Vapor

/// Synchronizer-token CSRF protection: a random token kept in the session, sent back by every
/// form in the hidden field `csrf`, and checked on every request that is not GET or HEAD.
/// A missing or wrong token is refused with 403 before any handler runs, so nothing is written.
struct CSRFMiddleware: AsyncMiddleware {
    static let field = "csrf"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.method != .GET, request.method != .HEAD else {
            return try await next.respond(to: request)
        }
        guard let expected = request.session.data[Self.sessionKey],
            let sent = try? request.content.get(String.self, at: Self.field),
            Array(sent.utf8).secureCompare(to: Array(expected.utf8))
        else {
            throw Abort(.forbidden, reason: "This form has expired or did not come from this site. Go back, reload the page and try again.")
        }
        return try await next.respond(to: request)
    }

    static let sessionKey = "csrf"
}

extension Request {
    /// The session's CSRF token, made on first use (32 random bytes, base64url).
    var csrfToken: String {
        if let token = self.session.data[CSRFMiddleware.sessionKey] { return token }
        let token = Data([UInt8].random(count: 32)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        self.session.data[CSRFMiddleware.sessionKey] = token
        return token
    }
}
