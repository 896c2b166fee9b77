#if Vapor
    import FluentContinuum
    import Foundation
    import Testing
    import VaporContinuum
    import VaporTesting

    @Suite("Vapor: activity feed and transaction log routes")
    struct ActivityRoutesTests {
        struct Input: Content { var name: String }

        /// An app with `PUT articles/:id` recording an `update` activity through `req.versioned(activity:)`,
        /// and the history routes under `history/`.
        func configure(_ app: Application) async throws {
            try await Continuum.activityMigration.prepare(on: app.db)
            app.recordUserFromHeader()
            app.put("articles", ":id") { req async throws -> Response in
                let input = try req.content.decode(Input.self)
                let id = try req.parameters.require("id", as: Int.self)
                let article = try await req.versioned(activity: "update", data: ["from": "api"], meta: ["reason": "edit"]) { db in
                    guard let article = try await Article.find(id, on: db) else { throw Abort(.notFound) }
                    article.name = input.name
                    try await article.save(on: db)
                    return article
                }
                return Response(status: .ok, body: .init(string: article.name))
            }
            let history = app.grouped("history")
            history.activityRoutes()
            history.transactionLogRoutes()
        }

        @Test("req.versioned(activity:) records the request's user on the activity, and GET activities filters and pages the feed", arguments: TestDatabase.allCases)
        func activityFeed(_ database: TestDatabase) async throws {
            try await database.withApp { app, db in
                try await self.configure(app)
                let one = Article(name: "One")
                let two = Article(name: "Two")
                try await app.db.versioned(userID: "alice") { db in
                    try await one.save(on: db)
                    try await two.save(on: db)
                    try await Activity.record(verb: "create", object: one, on: db)
                    try await Activity.record(verb: "create", object: two, on: db)
                }
                let (o, t) = (try one.requireID(), try two.requireID())
                let tester = try app.testing()
                for (user, id, name) in [("bob", o, "One, edited"), ("carol", t, "Two, edited"), ("bob", o, "One, again")] {
                    try await tester.test(.PUT, "articles/\(id)", headers: ["X-User": user], beforeRequest: { req in try req.content.encode(Input(name: name)) }) { res in
                        #expect(res.status == .ok)
                    }
                }
                // A failed request records neither the change nor the activity.
                try await tester.test(.PUT, "articles/999", headers: ["X-User": "mallory"], beforeRequest: { req in try req.content.encode(Input(name: "x")) }) { res in
                    #expect(res.status == .notFound)
                }

                var feed = ActivityPage(items: [], before: nil)
                try await tester.test(.GET, "history/activities") { res in
                    #expect(res.status == .ok)
                    feed = try res.content.decode(ActivityPage.self)
                }
                #expect(feed.items.map(\.verb) == ["update", "update", "update", "create", "create"])
                #expect(feed.items.map(\.userID) == ["bob", "carol", "bob", "alice", "alice"])
                #expect(feed.items.first?.object == ActivityEntity(type: "Article", id: o))
                #expect(feed.items.first?.data == .object(["from": .string("api")]))
                #expect(feed.before == nil)
                // The version each activity saw: the second update of One is its third version.
                let versions = try await Article.versions(id: o, on: app.db)
                #expect(feed.items[0].objectTransactionID == versions[2].transactionID)
                #expect(feed.items[2].objectTransactionID == versions[1].transactionID)
                #expect(try await Activity.feed(on: app.db)[2].objectVersion(Article.self, on: app.db)?.model.name == "One, edited")
                #expect(try await versions[2].transaction(on: app.db).meta(on: app.db) == ["reason": "edit"])

                func items(_ query: String) async throws -> ActivityPage {
                    var page = ActivityPage(items: [], before: nil)
                    try await tester.test(.GET, "history/activities?\(query)") { res in
                        #expect(res.status == .ok)
                        page = try res.content.decode(ActivityPage.self)
                    }
                    return page
                }
                #expect(try await items("user=bob").items.map(\.object?.id) == [o, o])
                #expect(try await items("verb=create").items.map(\.object?.id) == [t, o])
                #expect(try await items("type=Article&id=\(t)").items.map(\.verb) == ["update", "create"])
                #expect(try await items("type=Article&id=\(t)&involving=true").items.count == 2)
                #expect(try await items("user=carol&verb=create").items.isEmpty)
                let first = try await items("limit=2")
                #expect(first.items.count == 2)
                let second = try await items("limit=2&before=\(try #require(first.before))")
                #expect(second.items.map(\.userID) == ["bob", "alice"])
                let last = try await items("limit=2&before=\(try #require(second.before))")
                #expect(last.items.map(\.verb) == ["create"])
                #expect(last.before == nil)

                try await tester.test(.GET, "history/activities?type=Article") { res in #expect(res.status == .badRequest) }
                try await tester.test(.GET, "history/activities?type=Article&id=abc") { res in #expect(res.status == .badRequest) }
                try await tester.test(.GET, "history/activities?before=abc") { res in #expect(res.status == .badRequest) }
                try await db.expectConsistent("article")
            }
        }

        @Test("GET transactions: the whole log, every model's changes, filtered by user and date, with meta", arguments: TestDatabase.allCases)
        func transactionLog(_ database: TestDatabase) async throws {
            try await database.withApp { app, _ in
                try await self.configure(app)
                let start = Date().addingTimeInterval(-1)
                let article = Article(name: "A")
                try await app.db.versioned(userID: "alice") { db in try await article.save(on: db) }
                let tag = Tag(name: "t", articleID: try article.requireID())
                try await app.db.versioned(userID: "bob", meta: ["reason": "tagging"]) { db in try await tag.save(on: db) }
                try await app.db.versioned(userID: "alice") { db in try await Note(text: "n").save(on: db) }
                let tester = try app.testing()

                func page(_ query: String) async throws -> Page<TransactionResponse> {
                    var page: Page<TransactionResponse>?
                    try await tester.test(.GET, "history/transactions\(query)") { res in
                        #expect(res.status == .ok)
                        page = try res.content.decode(Page<TransactionResponse>.self)
                    }
                    return try #require(page)
                }
                let all = try await page("")
                #expect(all.items.map(\.userID) == ["alice", "bob", "alice"], "every model, newest first")
                #expect(all.items.map(\.meta) == [[:], ["reason": "tagging"], [:]])
                #expect(all.metadata.total == 3)
                #expect(try await page("?user=alice").items.count == 2)
                #expect(try await page("?user=bob").items.first?.meta == ["reason": "tagging"])
                let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
                let earlier = ISO8601DateFormatter().string(from: start)
                #expect(try await page("?after=\(later)").items.isEmpty)
                #expect(try await page("?after=\(earlier)&before=\(later)&per=2").items.map(\.userID) == ["alice", "bob"])
                #expect(try await page("?user=alice&before=\(earlier)").items.isEmpty)
                try await tester.test(.GET, "history/transactions?before=tomorrow") { res in #expect(res.status == .badRequest) }
            }
        }
    }
#endif
