#if Vapor
    import Fluent
    import FluentContinuum
    import Foundation
    import SQLKit
    import Vapor

    /// A JSON route over the whole transaction log (every model's changes), filtered by user and
    /// date, mounted where the app chooses (it adds no authorization: mount it behind the app's
    /// own middleware). ``VersionRoutes`` has the same route restricted to one model.
    ///
    /// ```swift
    /// app.grouped("history").grouped(User.guardMiddleware()).transactionLogRoutes()
    /// // GET /history/transactions?user=42&after=2026-11-01T00:00:00Z&page=1&per=20
    /// ```
    ///
    /// | Route | Returns |
    /// | --- | --- |
    /// | `GET transactions?user=U&after=D&before=D&page=P&per=N` | `Page<TransactionResponse>`, newest first, each with its meta |
    ///
    /// Dates are ISO 8601 (`2026-11-29T10:00:00Z`): `after` is inclusive, `before` exclusive.
    /// A malformed date answers `400`.
    public struct TransactionLogRoutes<Log: TransactionTableName>: RouteCollection, Sendable {
        /// The database (the default one when `nil`).
        let database: DatabaseID?

        /// The route over the transaction log `log` of `database`.
        ///
        /// - Parameters:
        ///   - log: The transaction log's table name (``FluentContinuum/DefaultTransactionTable``
        ///     unless the database was configured with another one).
        ///   - database: The database (the default one when `nil`).
        public init(log: Log.Type, on database: DatabaseID? = nil) {
            self.database = database
        }

        /// Registers the route on `routes`.
        public func boot(routes: any RoutesBuilder) {
            routes.get("transactions") { req in try await self.transactions(req) }
        }

        func transactions(_ req: Request) async throws -> Page<TransactionResponse> {
            let db = req.db(self.database)
            let query = TransactionLog<Log>.query(on: db)
            if let user = req.query[String.self, at: "user"] { query.filter(\.$userID == user) }
            if let after = try HistoryQuery.date(req, "after") { query.issued(after: after) }
            if let before = try HistoryQuery.date(req, "before") { query.issued(before: before) }
            let page = try await query.sort(\.$id, .descending).paginate(for: req)
            let meta = try await HistoryQuery.meta(of: page.items.compactMap(\.id), on: db)
            return page.map { TransactionResponse($0, meta: $0.id.flatMap { meta[$0] } ?? [:]) }
        }
    }

    /// Query-string and batch helpers shared by the history routes.
    enum HistoryQuery {
        /// An ISO 8601 date from the query string; `nil` when absent, `400` when malformed.
        static func date(_ req: Request, _ name: String) throws -> Date? {
            guard let text = req.query[String.self, at: name] else { return nil }
            let formatter = ISO8601DateFormatter()
            if let date = formatter.date(from: text) { return date }
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = formatter.date(from: text) { return date }
            throw Abort(.badRequest, reason: "\(name) is not an ISO 8601 date (2026-11-29T10:00:00Z)")
        }

        /// The meta of the transactions `ids`, in one query.
        static func meta(of ids: [Int], on db: any Database) async throws -> [Int: [String: String]] {
            guard !ids.isEmpty, let sql = db as? any SQLDatabase else { return [:] }
            let rows = try await sql.select().columns("transaction_id", "key", "value")
                .from(Continuum.configuration(of: db).transactionMetaTable)
                .where("transaction_id", .in, Array(Set(ids))).all()
            var meta: [Int: [String: String]] = [:]
            for row in rows {
                let id = try row.decode(column: "transaction_id", as: Int.self)
                meta[id, default: [:]][try row.decode(column: "key", as: String.self)] = try row.decode(column: "value", as: String?.self) ?? ""
            }
            return meta
        }
    }

    extension RoutesBuilder {
        /// Mounts ``TransactionLogRoutes`` here: `GET transactions`, the whole transaction log
        /// filtered by user and date.
        ///
        /// ```swift
        /// app.grouped("history").transactionLogRoutes()
        /// ```
        public func transactionLogRoutes(on database: DatabaseID? = nil) {
            self.transactionLogRoutes(log: DefaultTransactionTable.self, on: database)
        }

        /// Mounts ``TransactionLogRoutes`` here, reading the transaction log named by `log` (a
        /// database configured with another ``ContinuumSQL/VersioningConfiguration/transactionTable``).
        public func transactionLogRoutes<Log: TransactionTableName>(log: Log.Type, on database: DatabaseID? = nil) {
            TransactionLogRoutes(log: log, on: database).boot(routes: self)
        }
    }
#endif
