#if Vapor
    import FluentContinuum
    import Foundation
    import Testing
    import VaporContinuum
    import VaporTesting

    @Suite("Vapor: version routes")
    struct VersionRoutesTests {
        /// Decodes a response body as `T` (Vapor's default JSON dates: seconds since 1970).
        func decode<T: Decodable>(_ type: T.Type, _ res: TestingHTTPResponse) throws -> T {
            try res.content.decode(T.self)
        }

        @Test("list, one version, diff, restore, deleted, undelete and the transaction log, over HTTP", arguments: TestDatabase.allCases)
        func routes(_ database: TestDatabase) async throws {
            try await database.withApp { app, db in
                app.recordUserFromHeader()
                app.grouped("articles").versionRoutes(Article.self)
                let start = Date().addingTimeInterval(-1)

                let article = Article(name: "First", content: "Body")
                try await app.db.versioned(userID: "alice") { db in try await article.save(on: db) }
                let id = try article.requireID()
                try await app.db.versioned(userID: "bob", meta: ["reason": "typo"]) { db in
                    article.name = "Second"
                    try await article.save(on: db)
                }
                let tester = try app.testing()

                // The versions, oldest first, each with who wrote it.
                var versions: [VersionResponse] = []
                try await tester.test(.GET, "articles/\(id)/versions") { res in
                    #expect(res.status == .ok)
                    versions = try self.decode([VersionResponse].self, res)
                }
                try #require(versions.count == 2)
                #expect(versions.map(\.operation) == ["insert", "update"])
                #expect(versions.map(\.index) == [0, 1])
                #expect(versions.map { $0.transaction?.userID } == ["alice", "bob"])
                #expect(versions[0].values["name"] == .string("First"))
                #expect(versions[0].values["status"] == .string("draft"))
                #expect(versions[0].values["views"] == nil, "excluded fields are not history")
                #expect(versions[1].changeset["name"]?.old == .string("First"))
                #expect(versions[1].changeset["name"]?.new == .string("Second"))
                #expect(versions[1].changeset.count == 1)
                let (first, second) = (versions[0].transactionID, versions[1].transactionID)

                // One version, with its transaction's meta.
                try await tester.test(.GET, "articles/\(id)/versions/\(second)") { res in
                    let version = try self.decode(VersionResponse.self, res)
                    #expect(version.transaction?.meta == ["reason": "typo"])
                    #expect(version.values["name"] == .string("Second"))
                }

                // A diff between any two versions.
                try await tester.test(.GET, "articles/\(id)/diff?from=\(second)&to=\(first)") { res in
                    let diff = try self.decode(DiffResponse.self, res)
                    #expect(diff.changes.keys.sorted() == ["name"])
                    #expect(diff.changes["name"]?.old == .string("Second"))
                    #expect(diff.changes["name"]?.new == .string("First"))
                    #expect(diff.to.transaction?.userID == "alice")
                }

                // Restore: a new version with the old values, recorded as the acting user with meta.
                try await tester.test(
                    .POST, "articles/\(id)/versions/\(first)/restore", headers: ["X-User": "carol"],
                    beforeRequest: { req in
                        try req.content.encode(["meta": ["reason": "revert vandalism"]])
                    }
                ) { res in
                    #expect(res.status == .ok)
                    let version = try self.decode(VersionResponse.self, res)
                    #expect(version.index == 2)
                    #expect(version.operation == "update")
                    #expect(version.values["name"] == .string("First"))
                    #expect(version.transaction?.userID == "carol")
                }
                #expect(try await Article.find(id, on: app.db)?.name == "First")
                let restore = try #require(try await Transaction.query(on: app.db).filter(\.$userID == "carol").first())
                #expect(try await restore.meta(on: app.db) == ["reason": "revert vandalism"])

                // Deleted entities and undelete.
                try await app.db.versioned(userID: "dave") { db in try await article.delete(on: db) }
                try await tester.test(.GET, "articles/deleted") { res in
                    let deleted = try self.decode([VersionResponse].self, res)
                    #expect(deleted.map(\.operation) == ["delete"])
                    #expect(deleted.first?.values["name"] == .string("First"))
                    #expect(deleted.first?.transaction?.userID == "dave")
                }
                try await tester.test(.POST, "articles/deleted/\(id)/undelete", headers: ["X-User": "erin"]) { res in
                    #expect(res.status == .ok)
                    let version = try self.decode(VersionResponse.self, res)
                    #expect(version.operation == "insert")
                    #expect(version.transaction?.userID == "erin")
                }
                #expect(try await Article.find(id, on: app.db)?.name == "First")
                try await tester.test(.GET, "articles/deleted") { res in
                    let deleted = try self.decode([VersionResponse].self, res)
                    #expect(deleted.isEmpty)
                }
                try await tester.test(.POST, "articles/deleted/\(id)/undelete") { res in #expect(res.status == .conflict) }

                // The transaction log of the model, newest first, filtered by user and date.
                try await tester.test(.GET, "articles/transactions") { res in
                    let page = try self.decode(Page<TransactionResponse>.self, res)
                    #expect(page.items.map(\.userID) == ["erin", "dave", "carol", "bob", "alice"])
                    #expect(page.metadata.total == 5)
                    #expect(page.items.first?.issuedAt.map { $0 >= start } == true)
                }
                try await tester.test(.GET, "articles/transactions?user=carol") { res in
                    let page = try self.decode(Page<TransactionResponse>.self, res)
                    #expect(page.items.map(\.userID) == ["carol"])
                }
                let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
                let earlier = ISO8601DateFormatter().string(from: start)
                try await tester.test(.GET, "articles/transactions?after=\(later)") { res in
                    let page = try self.decode(Page<TransactionResponse>.self, res)
                    #expect(page.items.isEmpty)
                }
                try await tester.test(.GET, "articles/transactions?after=\(earlier)&before=\(later)&per=2") { res in
                    let page = try self.decode(Page<TransactionResponse>.self, res)
                    #expect(page.items.map(\.userID) == ["erin", "dave"])
                    #expect(page.metadata.total == 5)
                }

                // Unknown ids and versions, and ids that are not ids.
                try await tester.test(.GET, "articles/999/versions") { res in #expect(res.status == .notFound) }
                try await tester.test(.GET, "articles/\(id)/versions/999999") { res in #expect(res.status == .notFound) }
                try await tester.test(.POST, "articles/999/versions/\(first)/restore") { res in #expect(res.status == .notFound) }
                try await tester.test(.GET, "articles/abc/versions") { res in #expect(res.status == .badRequest) }
                try await tester.test(.GET, "articles/transactions?after=yesterday") { res in #expect(res.status == .badRequest) }
                #expect(try await Transaction.query(on: app.db).count() == 5, "failed requests record nothing")
                try await db.expectConsistent("article")
            }
        }

        @Test("models with UUID ids mount the same routes", arguments: TestDatabase.allCases)
        func uuidRoutes(_ database: TestDatabase) async throws {
            try await database.withApp { app, _ in
                app.grouped("notes").versionRoutes(Note.self)
                let note = Note(text: "one")
                try await app.db.versioned(userID: "alice") { db in try await note.save(on: db) }
                let tester = try app.testing()
                try await tester.test(.GET, "notes/\(try note.requireID())/versions") { res in
                    let versions = try self.decode([VersionResponse].self, res)
                    #expect(versions.map { $0.values["text"] } == [.string("one")])
                }
                try await tester.test(.GET, "notes/not-a-uuid/versions") { res in #expect(res.status == .badRequest) }
            }
        }
    }
#endif
