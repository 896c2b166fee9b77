import FluentContinuum
import FluentKit
import Testing

/// The README's quickstart, line for line (keep the two in step): it must compile and work.
@Suite("README quickstart")
struct QuickstartTests {
    @Test("the quickstart runs on both databases", arguments: TestDatabase.allCases)
    func quickstart(_ database: TestDatabase) async throws {
        try await database.run { context in
            let db = context.fluent
            try await db.schema("article").field("id", .int, .identifier(auto: true)).field("name", .string, .required)
                .field("content", .string).field("status", .string, .required).field("published_at", .datetime)
                .field("views", .int, .required, .sql(.default(0))).create()
            // README: begin
            try await Continuum.migration.prepare(on: db)   // migrations.add(Continuum.migration)
            try await Article.versioning.prepare(on: db)    // migrations.add(Article.versioning)

            let article = Article(name: "Some article")
            try await db.versioned(userID: "42", remoteAddress: "10.0.0.1", meta: ["reason": "typo"]) { db in
                try await article.save(on: db)
                article.name = "Updated article"
                try await article.save(on: db)             // one version: the net INSERT
            }
            article.name = "Final"
            try await article.save(on: db)                 // outside a scope: still versioned

            let versions = try await article.versions(on: db)      // oldest first, in one query
            let change = try versions[1].change(\.$name)           // "Updated article" → "Final"
            try await versions[0].revert(on: db)                   // writes it back as a new version
            let log = try await Transaction.query(on: db).filter(\.$userID == "42").all()
            // README: end

            #expect(versions.map(\.operation) == [.insert, .update])
            #expect(try change?.old(as: String.self) == "Updated article")
            #expect(try change?.new(as: String.self) == "Final")
            #expect(log.count == 1)
            #expect(try await article.versions(on: db).map(\.model.name) == ["Updated article", "Final", "Updated article"])
        }
    }
}
