#if Vapor
    import Fluent
    import FluentContinuum
    import Foundation
    import Vapor

    /// A JSON route over the activity feed (``FluentContinuum/Activity``), mounted where the app
    /// chooses (it adds no authorization: mount it behind the app's own middleware).
    ///
    /// ```swift
    /// app.grouped("history").activityRoutes()
    /// // GET /history/activities?user=42&verb=update&type=Article&id=5&limit=20
    /// ```
    ///
    /// | Route | Returns |
    /// | --- | --- |
    /// | `GET activities?user=U&verb=V&type=T&id=N&involving=true&before=A&limit=L` | ``ActivityPage``, newest first |
    ///
    /// `user` filters by actor, `verb` by verb, `type` and `id` by object (an entity name, such
    /// as `Article`, and an id; with `involving=true`, by object or target). Pages hold `limit`
    /// activities (default 50, at most 200); pass the page's ``ActivityPage/before`` as `before`
    /// for the next one. An `id` that is not an integer, or a `type` without an `id`, answers `400`.
    public struct ActivityRoutes: RouteCollection, Sendable {
        /// The database (the default one when `nil`).
        let database: DatabaseID?

        /// The route over the activity feed of `database` (the default one when `nil`).
        public init(on database: DatabaseID? = nil) {
            self.database = database
        }

        /// Registers the route on `routes`.
        public func boot(routes: any RoutesBuilder) {
            routes.get("activities") { req in try await self.activities(req) }
        }

        func activities(_ req: Request) async throws -> ActivityPage {
            var filter = ActivityFilter(userID: req.query[String.self, at: "user"], verb: req.query[String.self, at: "verb"])
            if let type = req.query[String.self, at: "type"] {
                guard let id = req.query[Int.self, at: "id"] else { throw Abort(.badRequest, reason: "type needs an integer id") }
                let entity = ActivityEntity(type: type, id: id)
                if req.query[Bool.self, at: "involving"] == true { filter.involving = entity } else { filter.object = entity }
            }
            if req.query[String.self, at: "before"] != nil {
                guard let before = req.query[Int.self, at: "before"] else { throw Abort(.badRequest, reason: "before is an activity id") }
                filter.before = before
            }
            let limit = min(max(req.query[Int.self, at: "limit"] ?? 50, 1), 200)
            let activities = try await Activity.feed(matching: filter, limit: limit + 1, on: req.db(self.database))
            let items = activities.prefix(limit).map(ActivityResponse.init)
            return ActivityPage(items: Array(items), before: activities.count > limit ? items.last?.id : nil)
        }
    }

    /// One page of the activity feed, newest first (``ActivityRoutes``).
    public struct ActivityPage: Content, Sendable, Hashable {
        /// The activities.
        public var items: [ActivityResponse]
        /// The cursor of the next page (pass it as `before`); `nil` on the last page.
        public var before: Int?

        /// A page of `items`, followed by the activities before `before`.
        public init(items: [ActivityResponse], before: Int?) {
            self.items = items
            self.before = before
        }
    }

    /// An activity as ``ActivityRoutes`` returns it.
    ///
    /// ```json
    /// {"id": 7, "verb": "update", "transactionID": 12, "userID": "42", "issuedAt": "2026-...",
    ///  "object": {"type": "Article", "id": 5}, "objectTransactionID": 12, "data": {"reason": "typo"}}
    /// ```
    public struct ActivityResponse: Content, Sendable, Hashable {
        /// The activity's id (the paging cursor).
        public var id: Int
        /// What happened.
        public var verb: String
        /// The transaction the activity belongs to.
        public var transactionID: Int
        /// The actor: the transaction's user id.
        public var userID: String?
        /// When the transaction began writing.
        public var issuedAt: Date?
        /// The entity the activity is about.
        public var object: ActivityEntity?
        /// The transaction of the version the object had at this activity (read it with
        /// ``VersionRoutes``' `GET :id/versions/:transaction`).
        public var objectTransactionID: Int?
        /// The entity the activity was done to or in.
        public var target: ActivityEntity?
        /// The transaction of the version the target had at this activity.
        public var targetTransactionID: Int?
        /// The activity's JSON data.
        public var data: FieldJSON?

        /// The response for `activity`.
        public init(_ activity: Activity) {
            self.id = activity.id
            self.verb = activity.verb
            self.transactionID = activity.transactionID
            self.userID = activity.userID
            self.issuedAt = activity.issuedAt
            self.object = activity.object
            self.objectTransactionID = activity.objectTransactionID
            self.target = activity.target
            self.targetTransactionID = activity.targetTransactionID
            self.data = activity.json.flatMap { try? JSONDecoder().decode(FieldJSON.self, from: Data($0.utf8)) }
        }
    }

    extension RoutesBuilder {
        /// Mounts ``ActivityRoutes`` here: `GET activities`, the activity feed.
        ///
        /// ```swift
        /// app.grouped("history").activityRoutes()
        /// ```
        public func activityRoutes(on database: DatabaseID? = nil) {
            ActivityRoutes(on: database).boot(routes: self)
        }
    }
#endif
