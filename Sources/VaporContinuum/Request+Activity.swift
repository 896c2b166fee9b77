#if Vapor
    import FluentContinuum
    import Vapor

    extension Request {
        /// Runs `body` as ``versioned(on:meta:_:)`` does, then records the activity `verb` about
        /// the model `body` returns, in the same transaction: the activity's actor is the
        /// request's user, and it remembers the version the model has after `body`.
        ///
        /// ```swift
        /// app.put("posts", ":id") { req async throws -> Post in
        ///     let input = try req.content.decode(PostInput.self)
        ///     return try await req.versioned(activity: "update", meta: ["reason": input.reason]) { db in
        ///         let post = try await Post.find(req.parameters.require("id"), on: db) ?? { throw Abort(.notFound) }()
        ///         post.title = input.title
        ///         try await post.save(on: db)
        ///         return post
        ///     }
        /// }
        /// ```
        ///
        /// Return a deleted model to record its deletion (its DELETE version keeps its values).
        /// To record several activities, or one about a model `body` does not return, call
        /// ``FluentContinuum/Activity/record(verb:object:target:data:on:)`` with the `db` of a
        /// plain ``versioned(on:meta:_:)``.
        ///
        /// - Parameters:
        ///   - verb: What happened (1 to 255 bytes).
        ///   - target: The versioned model the activity was done to or in.
        ///   - data: Any `Encodable` value, stored as the activity's JSON data.
        ///   - id: The database (the default one when `nil`).
        ///   - meta: Key/value pairs recorded with the transaction.
        /// - Throws: the errors of ``versioned(on:meta:_:)`` and of
        ///   ``FluentContinuum/Activity/record(verb:object:target:data:on:)``; whatever `body`
        ///   throws. Nothing is recorded when anything throws.
        public func versioned<M: Versioned>(
            activity verb: String,
            target: (any Versioned)? = nil,
            data: (any Encodable & Sendable)? = nil,
            on id: DatabaseID? = nil,
            meta: [String: String] = [:],
            _ body: @escaping @Sendable (any Database) async throws -> M
        ) async throws -> M {
            try await self.versioned(on: id, meta: meta) { db in
                let model = try await body(db)
                try await Activity.record(verb: verb, object: model, target: target, data: data, on: db)
                return model
            }
        }
    }
#endif
