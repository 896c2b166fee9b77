#if Vapor
    import FluentContinuum
    import Vapor

    extension Request {
        /// What swift-continuum records about this request: its user and client address, as
        /// configured in ``Vapor/Application/continuum``.
        public var continuum: Continuum { .init(request: self) }

        /// The facade behind ``Vapor/Request/continuum``.
        public struct Continuum: Sendable {
            /// The request.
            public let request: Request

            /// The acting user's id, from ``Vapor/Application/Continuum/userID``.
            public func userID() async throws -> String? {
                try await self.request.application.continuum.userID(self.request)
            }

            /// The client address recorded for this request, from
            /// ``Vapor/Application/Continuum/remoteAddress``.
            public func remoteAddress() async throws -> String? {
                try await self.request.application.continuum.remoteAddress(self.request)
            }

            /// The client's address by the default rule: the socket peer, unless the peer is one
            /// of ``Vapor/Application/Continuum/trustedProxies``; then `X-Forwarded-For` is read
            /// right to left, and the first hop that is not a trusted proxy is the client (the
            /// leftmost hop when all are). A malformed hop ends the walk at the proxy that reported
            /// it. `nil` when the request has no socket peer (Vapor's in-memory tester).
            public var clientAddress: String? {
                guard var client = self.request.remoteAddress?.ipAddress else { return nil }
                let trusted = self.request.application.continuum.trustedProxies
                guard !trusted.isEmpty else { return client }
                let hops = self.request.headers[.xForwardedFor]
                    .flatMap { $0.split(separator: ",") }
                    .map { Self.address(of: $0.trimmingCharacters(in: .whitespaces)) }
                for hop in hops.reversed() {
                    guard trusted.contains(where: { $0.contains(client) }) else { break }
                    guard IPNetwork.parse(hop) != nil else { break }
                    client = hop
                }
                return client
            }

            /// The address of a forwarded hop, without a port (`1.2.3.4:80`, `[::1]:80`).
            static func address(of hop: String) -> String {
                if hop.hasPrefix("["), let end = hop.firstIndex(of: "]") {
                    return String(hop[hop.index(after: hop.startIndex)..<end])
                }
                if hop.filter({ $0 == ":" }).count == 1, let colon = hop.firstIndex(of: ":") {
                    return String(hop[..<colon])
                }
                return hop
            }
        }

        /// Runs `body` in one database transaction whose versioned writes form one transaction of
        /// the history, recorded with this request's user and client address (see
        /// ``Vapor/Application/continuum``) and `meta`.
        ///
        /// ```swift
        /// app.put("articles", ":id") { req async throws -> Article in
        ///     let input = try req.content.decode(ArticleInput.self)
        ///     return try await req.versioned(meta: ["reason": input.reason]) { db in
        ///         let article = try await Article.find(req.parameters.require("id"), on: db) ?? { throw Abort(.notFound) }()
        ///         article.title = input.title
        ///         try await article.save(on: db)
        ///         return article
        ///     }
        /// }
        /// ```
        ///
        /// Write through the `db` passed to `body`. Writes made through `req.db` outside a
        /// `versioned` scope are still versioned, without user, address or meta:
        /// - **PostgreSQL** groups every database transaction by itself: each statement that runs
        ///   on its own (autocommit) is a transaction of the history, and a `req.db.transaction`
        ///   block is one.
        /// - **SQLite** gives each changed row a transaction of its own (a multi-row UPDATE records
        ///   as many transactions), or refuses the write for a model with
        ///   ``FluentContinuum/VersioningOptions/requiresScope``.
        ///
        /// - Parameters:
        ///   - id: The database (the default one when `nil`).
        ///   - meta: Key/value pairs recorded with the transaction (`transaction_meta`).
        /// - Throws: whatever the ``Vapor/Application/Continuum/userID`` and
        ///   ``Vapor/Application/Continuum/remoteAddress`` closures throw, the errors of
        ///   ``FluentKit/Database/versioned(userID:remoteAddress:meta:_:)``, and whatever `body`
        ///   throws (the transaction then rolls back with its history).
        public func versioned<R: Sendable>(
            on id: DatabaseID? = nil,
            meta: [String: String] = [:],
            _ body: @escaping @Sendable (any Database) async throws -> R
        ) async throws -> R {
            let userID = try await self.continuum.userID()
            let address = try await self.continuum.remoteAddress()
            return try await self.db(id).versioned(userID: userID, remoteAddress: address, meta: meta, body)
        }
    }
#endif
