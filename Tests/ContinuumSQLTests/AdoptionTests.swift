import ContinuumSQL
import SQLKit
import Testing

@Suite("Adopting SQLAlchemy-Continuum history")
struct AdoptionTests {
    /// SQLAlchemy-Continuum versions an association table with insert and delete rows only and
    /// never writes their `end_transaction_id`.
    @Test("enable repairs the chains of an association table Continuum versioned", arguments: TestDatabase.allCases)
    func associationChains(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.engine.install(on: db.sql)
            try await db.exec(
                "CREATE TABLE article_label (article_id INTEGER NOT NULL, label_id INTEGER NOT NULL, PRIMARY KEY (article_id, label_id))",
                """
                CREATE TABLE article_label_version (article_id INTEGER NOT NULL, label_id INTEGER NOT NULL, transaction_id BIGINT NOT NULL,
                end_transaction_id BIGINT, operation_type SMALLINT NOT NULL, PRIMARY KEY (article_id, label_id, transaction_id))
                """,
                "INSERT INTO \"transaction\" DEFAULT VALUES",
                "INSERT INTO \"transaction\" DEFAULT VALUES",
                "INSERT INTO \"transaction\" DEFAULT VALUES",
                "INSERT INTO \"transaction\" DEFAULT VALUES",
                // Linked in 1, unlinked in 2, linked again in 3; another link made in 4.
                "INSERT INTO article_label_version VALUES (1, 1, 1, NULL, 0), (1, 1, 2, NULL, 2), (1, 1, 3, NULL, 0), (1, 2, 4, NULL, 0)",
                "INSERT INTO article_label VALUES (1, 1), (1, 2)"
            )
            try await db.engine.enable("article_label", on: db.sql)
            #expect(
                try await db.versions("article_label_version", ["article_id", "label_id"], orderBy: ["article_id", "label_id"]) == [
                    ["1", "1", "1", "2", "0"],
                    ["1", "1", "2", "3", "2"],
                    ["1", "1", "3", nil, "0"],
                    ["1", "2", "4", nil, "0"],
                ])
            try await db.expectConsistent("article_label")
            // New changes continue the repaired chains.
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("DELETE FROM article_label WHERE label_id = 1").run()
            }
            let versions = try await db.engine.versions(of: "article_label", key: ["article_id": 1, "label_id": 1], on: db.sql)
            let last = try await db.engine.transactions(limit: 1, on: db.sql)[0].id
            #expect(versions.map(\.endTransactionID) == [2, 3, last, nil])
            try await db.expectConsistent("article_label")
        }
    }
}
