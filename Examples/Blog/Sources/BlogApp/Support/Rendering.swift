import Vapor

/// What every page's layout shows: its title, the current section, the user, the CSRF token for
/// the log-out form, and a one-time message from the previous request.
struct Layout: Encodable {
    var title: String
    var nav: String
    var user: String?
    var csrf: String
    var flash: String?
}

/// A page's context: the layout, and the page's own data under `page`.
struct PageContext<Body: Encodable>: Encodable {
    var layout: Layout
    var page: Body
}

/// A page with no data of its own.
struct Empty: Encodable {}

extension Request {
    /// Renders `template` inside the layout. Leaf escapes every value (`#(...)`): the templates
    /// never print unescaped text.
    func render<Body: Encodable>(
        _ template: String,
        title: String,
        nav: String,
        _ body: Body,
        status: HTTPStatus = .ok
    ) async throws -> Response {
        let flash = self.session.data["flash"]
        self.session.data["flash"] = nil
        let layout = Layout(title: title, nav: nav, user: self.auth.get(User.self)?.name, csrf: self.csrfToken, flash: flash)
        let response = try await self.view.render(template, PageContext(layout: layout, page: body)).encodeResponse(for: self)
        response.status = status
        return response
    }

    /// A message shown once, on the next page.
    func flash(_ message: String) {
        self.session.data["flash"] = message
    }

    /// The logged-in user (the routes that call it are behind the login redirect).
    var user: User {
        get throws { try self.auth.require(User.self) }
    }
}

/// Renders errors (a refused CSRF token, a missing post) as pages, with their status.
struct ErrorPageMiddleware: AsyncMiddleware {
    struct ErrorPage: Encodable {
        var status: Int
        var heading: String
        var message: String
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch let error as any AbortError where error.status != .seeOther && error.status != .found {
            let heading: String
            switch error.status {
            case .forbidden: heading = "Not allowed"
            case .notFound: heading = "Not found"
            default: heading = error.status.reasonPhrase
            }
            let message =
                error.status == .notFound && error.reason == error.status.reasonPhrase
                ? "There is nothing at this address. It may have been deleted." : error.reason
            return try await request.render(
                "error", title: heading, nav: "",
                ErrorPage(status: Int(error.status.code), heading: heading, message: message), status: error.status)
        }
    }
}
