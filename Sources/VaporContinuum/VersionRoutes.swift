#if Vapor
    import Fluent
    import FluentContinuum
    import Foundation
    import Vapor

    /// JSON routes over the history of one ``FluentContinuum/Versioned`` model, mounted where the
    /// app chooses (they add no authorization: mount them behind the app's own middleware).
    ///
    /// ```swift
    /// let articles = app.grouped("articles").grouped(UserAuthenticator(), User.guardMiddleware())
    /// articles.versionRoutes(Article.self)
    /// ```
    ///
    /// | Route | Returns |
    /// | --- | --- |
    /// | `GET :id/versions` | `[VersionResponse]`, oldest first, each with its transaction |
    /// | `GET :id/versions/:transaction` | ``VersionResponse`` with its transaction's meta |
    /// | `GET :id/diff?from=T&to=T` | ``DiffResponse`` between two versions (by transaction) |
    /// | `POST :id/versions/:transaction/restore` | the new latest ``VersionResponse`` |
    /// | `GET deleted` | `[VersionResponse]`: the delete version of each deleted entity, newest first |
    /// | `POST deleted/:id/undelete` | the new latest ``VersionResponse`` |
    /// | `GET transactions?user=U&after=D&before=D&page=P&per=N` | `Page<TransactionResponse>` of the transactions that changed the model, newest first |
    ///
    /// Restore and undelete run in ``Vapor/Request/versioned(on:meta:_:)``, so they record the
    /// request's user and address; a JSON body `{"meta": {"reason": "..."}}` adds meta. Dates in
    /// queries are ISO 8601 (`2026-11-29T10:00:00Z`). Unknown ids and versions answer `404`;
    /// undeleting an entity that is not deleted answers `409`. The whole transaction log (every
    /// model) is ``TransactionLogRoutes``; the activity feed, ``ActivityRoutes``.
    public struct VersionRoutes<M: Versioned, Log: TransactionTableName>: RouteCollection, Sendable {
        /// Reads an id from a path parameter; `nil` answers `400`.
        let parseID: @Sendable (String) -> M.IDValue?
        /// The database (the default one when `nil`).
        let database: DatabaseID?

        /// Routes over `model`'s history, reading the transaction log `log`.
        ///
        /// - Parameters:
        ///   - model: The versioned model.
        ///   - log: The transaction log's table name (``FluentContinuum/DefaultTransactionTable``
        ///     unless the database was configured with another one).
        ///   - database: The database (the default one when `nil`).
        ///   - parseID: Reads the model's id from a path parameter.
        public init(
            _ model: M.Type,
            log: Log.Type,
            on database: DatabaseID? = nil,
            parseID: @escaping @Sendable (String) -> M.IDValue?
        ) {
            self.parseID = parseID
            self.database = database
        }

        /// Registers the routes on `routes`.
        public func boot(routes: any RoutesBuilder) {
            routes.get(":id", "versions") { req in try await self.list(req) }
            routes.get(":id", "versions", ":transaction") { req in try await self.one(req) }
            routes.get(":id", "diff") { req in try await self.diff(req) }
            routes.post(":id", "versions", ":transaction", "restore") { req in try await self.restore(req) }
            routes.get("deleted") { req in try await self.deleted(req) }
            routes.post("deleted", ":id", "undelete") { req in try await self.undelete(req) }
            routes.get("transactions") { req in try await self.transactions(req) }
        }

        func list(_ req: Request) async throws -> [VersionResponse] {
            let db = req.db(self.database)
            let versions = try await M.versions(id: self.id(req), on: db)
            guard !versions.isEmpty else { throw Abort(.notFound) }
            let transactions = try await self.transactions(versions.map(\.transactionID), on: db)
            return versions.map { VersionResponse($0, transaction: transactions[$0.transactionID]) }
        }

        func one(_ req: Request) async throws -> VersionResponse {
            let db = req.db(self.database)
            let version = try await self.version(req, transaction: req.parameters.require("transaction", as: Int.self), on: db)
            var transaction = try await self.transactions([version.transactionID], on: db)[version.transactionID]
            if transaction != nil {
                transaction?.meta = try await TransactionLog<Log>(id: version.transactionID).meta(on: db)
            }
            return VersionResponse(version, transaction: transaction)
        }

        func diff(_ req: Request) async throws -> DiffResponse {
            let db = req.db(self.database)
            let from = try await self.version(req, transaction: req.query.get(Int.self, at: "from"), on: db)
            let to = try await self.version(req, transaction: req.query.get(Int.self, at: "to"), on: db)
            let transactions = try await self.transactions([from.transactionID, to.transactionID], on: db)
            return DiffResponse(from: from, to: to, transactions: transactions)
        }

        func restore(_ req: Request) async throws -> VersionResponse {
            let id = try self.id(req)
            let transaction = try req.parameters.require("transaction", as: Int.self)
            let meta = try Self.meta(req)
            try await req.versioned(on: self.database, meta: meta) { db in
                guard let version = try await M.versions(id: id, on: db).first(where: { $0.transactionID == transaction }) else {
                    throw Abort(.notFound)
                }
                try await version.revert(on: db)
            }
            return try await self.latest(id, on: req.db(self.database))
        }

        func deleted(_ req: Request) async throws -> [VersionResponse] {
            let db = req.db(self.database)
            let versions = try await M.deletedVersions(on: db)
            let transactions = try await self.transactions(versions.map(\.transactionID), on: db)
            return versions.map { VersionResponse($0, transaction: transactions[$0.transactionID]) }
        }

        func undelete(_ req: Request) async throws -> VersionResponse {
            let id = try self.id(req)
            let meta = try Self.meta(req)
            try await req.versioned(on: self.database, meta: meta) { db in
                let versions = try await M.versions(id: id, on: db)
                guard let last = versions.last else { throw Abort(.notFound) }
                guard last.operation == .delete, let before = last.previous else {
                    throw Abort(.conflict, reason: "\(M.entityName) \(id) is not deleted")
                }
                try await before.revert(on: db)
            }
            return try await self.latest(id, on: req.db(self.database))
        }

        func transactions(_ req: Request) async throws -> Page<TransactionResponse> {
            let db = req.db(self.database)
            let query = TransactionLog<Log>.query(on: db).changed(M.self)
            if let user = req.query[String.self, at: "user"] { query.filter(\.$userID == user) }
            if let after = try HistoryQuery.date(req, "after") { query.issued(after: after) }
            if let before = try HistoryQuery.date(req, "before") { query.issued(before: before) }
            return try await query.sort(\.$id, .descending).paginate(for: req).map { TransactionResponse($0) }
        }

        // MARK: - Helpers

        private func id(_ req: Request) throws -> M.IDValue {
            guard let text = req.parameters.get("id"), let id = self.parseID(text) else {
                throw Abort(.badRequest, reason: "not a \(M.entityName) id")
            }
            return id
        }

        private func version(_ req: Request, transaction: Int, on db: any Database) async throws -> Version<M> {
            guard let version = try await M.versions(id: self.id(req), on: db).first(where: { $0.transactionID == transaction }) else {
                throw Abort(.notFound)
            }
            return version
        }

        private func latest(_ id: M.IDValue, on db: any Database) async throws -> VersionResponse {
            guard let last = try await M.versions(id: id, on: db).last else { throw Abort(.notFound) }
            return VersionResponse(last, transaction: try await self.transactions([last.transactionID], on: db)[last.transactionID])
        }

        /// The transaction log rows with `ids`, in one query.
        private func transactions(_ ids: [Int], on db: any Database) async throws -> [Int: TransactionResponse] {
            guard !ids.isEmpty else { return [:] }
            let rows = try await TransactionLog<Log>.query(on: db).filter(\.$id ~~ Array(Set(ids))).all()
            var result: [Int: TransactionResponse] = [:]
            for row in rows { if let id = row.id { result[id] = TransactionResponse(row) } }
            return result
        }

        private struct MetaBody: Content {
            var meta: [String: String]?
        }

        private static func meta(_ req: Request) throws -> [String: String] {
            guard let body = req.body.data, body.readableBytes > 0 else { return [:] }
            return try req.content.decode(MetaBody.self).meta ?? [:]
        }
    }

    extension TransactionLog {
        fileprivate convenience init(id: Int) {
            self.init()
            self.id = id
        }
    }

    extension RoutesBuilder {
        /// Mounts ``VersionRoutes`` over `model`'s history here, reading the transaction log
        /// `transaction` (ids read with `init(_: String)`).
        ///
        /// ```swift
        /// app.grouped("articles").versionRoutes(Article.self)
        /// ```
        public func versionRoutes<M: Versioned>(_ model: M.Type, on database: DatabaseID? = nil) where M.IDValue: LosslessStringConvertible {
            self.versionRoutes(model, log: DefaultTransactionTable.self, on: database)
        }

        /// Mounts ``VersionRoutes`` over `model`'s history here, reading the transaction log
        /// named by `log` (a database configured with another ``ContinuumSQL/VersioningConfiguration/transactionTable``).
        public func versionRoutes<M: Versioned, Log: TransactionTableName>(
            _ model: M.Type,
            log: Log.Type,
            on database: DatabaseID? = nil
        ) where M.IDValue: LosslessStringConvertible {
            VersionRoutes(model, log: log, on: database) { M.IDValue($0) }.boot(routes: self)
        }

        /// Mounts ``VersionRoutes`` over the history of `model`, whose ids are UUIDs, here.
        public func versionRoutes<M: Versioned>(_ model: M.Type, on database: DatabaseID? = nil) where M.IDValue == UUID {
            self.versionRoutes(model, log: DefaultTransactionTable.self, on: database)
        }

        /// Mounts ``VersionRoutes`` over the history of `model`, whose ids are UUIDs, here,
        /// reading the transaction log named by `log`.
        public func versionRoutes<M: Versioned, Log: TransactionTableName>(
            _ model: M.Type,
            log: Log.Type,
            on database: DatabaseID? = nil
        ) where M.IDValue == UUID {
            VersionRoutes(model, log: log, on: database) { UUID(uuidString: $0) }.boot(routes: self)
        }
    }
#endif
