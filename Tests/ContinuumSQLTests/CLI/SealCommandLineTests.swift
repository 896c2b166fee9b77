import ContinuumSQL
import Foundation
import SQLKit
import Testing

/// `seal`, `verify` with seals, `prune`, `redact` and `storage`, through the built binary.
@Suite("Command line: seal, prune, redact, storage")
struct SealCommandLineTests {
    @Test("seal prints the head digest, verify checks it and names a hand-edited transaction (exit 1)", arguments: TestDatabase.allCases)
    func sealAndVerify(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CommandLineTests.setUp(db)
            let backfill = try await CommandLineTests.last(db)
            try await db.engine.versioned(on: db.sql, userID: "alice") { try await $0.raw("UPDATE article SET name = 'First!' WHERE id = 1").run() }
            let unsealed = try await db.cli(expecting: 0, "verify")
            #expect(unsealed.stdout.contains("seals: nothing sealed yet"))
            let sealed = try #require(try await db.cli(expecting: 0, "seal", "--json").json() as? [String: Any])
            #expect(sealed["sealed"] as? Int == 2)
            let digest = try #require(sealed["head_digest"] as? String)
            let text = try await db.cli(expecting: 0, "seal")
            #expect(text.stdout.contains("sealed 0 transactions"))
            #expect(text.stdout.contains("head digest \(digest)"))

            let verify = try await db.cli(expecting: 0, "verify", "--expect-digest", digest)
            #expect(verify.stdout.contains("seals: 2 transactions intact up to"))
            #expect(verify.stdout.contains("head digest \(digest)"))
            _ = try await db.cli(expecting: 1, "verify", "--expect-digest", String(repeating: "0", count: 64))

            try await db.exec("UPDATE article_version SET name = 'Forged' WHERE id = 2 AND transaction_id = \(backfill)")
            let json = try #require(try await db.cli(expecting: 1, "verify", "--json").json() as? [String: Any])
            #expect(json["valid"] as? Bool == false)
            let seal = try #require(json["seal"] as? [String: Any])
            let problems = try #require(seal["problems"] as? [[String: Any]])
            #expect(problems.map { $0["kind"] as? String } == ["edited_after_sealing"])
            #expect(problems.map { $0["transaction_id"] as? Int } == [backfill])
            let bad = try await db.cli(expecting: 1, "verify")
            #expect(bad.stdout.contains("PROBLEM  seals: 1 problem"))
            #expect(bad.stdout.contains("transaction \(backfill) was changed after it was sealed"))
        }
    }

    @Test("alter runs a migration the triggers block; a failing one changes nothing; sealed history stays verified", arguments: TestDatabase.allCases)
    func alter(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CommandLineTests.setUp(db)
            try await db.exec("ALTER TABLE article ADD COLUMN price NUMERIC(8,2)")
            _ = try await db.cli(expecting: 0, "sync", "article")
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE article SET price = 1.5 WHERE id = 1").run() }
            let digest = try #require(try await db.cli(expecting: 0, "seal", "--json").json() as? [String: Any])["head_digest"] as? String
            // What the triggers block: PostgreSQL a type change, SQLite dropping a column.
            let migration =
                db.kind == .postgres ? "ALTER TABLE article ALTER COLUMN price TYPE NUMERIC(12,4)" : "ALTER TABLE article DROP COLUMN content"
            await #expect(throws: (any Error).self) { try await db.exec(migration) }

            // A failing statement leaves the table, its triggers and its history as they were.
            let failed = try await db.cli(expecting: 2, "alter", "article", "--sql", migration, "--sql", "ALTER TABLE article DROP COLUMN nope")
            #expect(failed.stderr.contains("nothing was changed"), "\(failed.stderr)")
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE article SET name = 'Still versioned' WHERE id = 2").run() }
            #expect(try await db.rows("SELECT name FROM article_version WHERE id = 2 ORDER BY transaction_id DESC").first?[0] == "Still versioned")

            let altered = try await db.cli(expecting: 0, "alter", "article", "--sql", migration)
            #expect(altered.stdout.contains("altered article: 1 statement(s) run, versioning matches the table again"))
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE article SET price = 2.25 WHERE id = 1").run() }
            let status = try await db.cli(expecting: 0, "status")
            #expect(!status.stdout.contains("PROBLEM"), "\(status.stdout)")
            _ = try await db.cli(expecting: 0, "seal")
            let verify = try await db.cli(expecting: 0, "verify", "--expect-digest", try #require(digest))
            #expect(verify.stdout.contains("history consistent"))
            if db.kind == .postgres {
                // The conversion rewrote sealed text (1.50 to 1.5000), recorded as a sealed event.
                #expect(try await db.rows("SELECT CAST(price AS TEXT) FROM article_version WHERE id = 1 AND price IS NOT NULL").map { $0[0] }.contains("1.5000"))
                #expect(try await db.rows("SELECT value FROM transaction_meta WHERE key = 'continuum.event'").map { $0[0] } == ["retype"])
            }
            _ = try await db.cli(expecting: 64, "alter", "article")
        }
    }

    @Test("prune --dry-run counts, prune and redact keep verify green, storage lists the bytes", arguments: TestDatabase.allCases)
    func pruneRedactStorage(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CommandLineTests.setUp(db)
            for name in ["v2", "v3", "v4"] {
                try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE article SET name = \(bind: name) WHERE id = 1").run() }
            }
            let dry = try await db.cli(expecting: 0, "prune", "--keep-last", "2", "--dry-run")
            #expect(dry.stdout.contains("would prune 2 version(s)"))
            #expect(try await db.count("article_version") == 6)
            let pruned = try #require(try await db.cli(expecting: 0, "prune", "--keep-last", "2", "--table", "article", "--user", "ops", "--json").json() as? [String: Any])
            #expect(pruned["versions"] as? [String: Int] == ["article": 2])
            #expect(pruned["transactions"] as? Int == 1)
            #expect(try await db.count("article_version") == 4)
            let none = try await db.cli(expecting: 0, "prune", "--older-than", "30d")
            #expect(none.stdout.contains("pruned 0 version(s)"))
            let usage = try await db.cli(expecting: 64, "prune")
            #expect(usage.stderr.contains("give --older-than AGE, --keep-last N, or both"))
            _ = try await db.cli(expecting: 64, "prune", "--older-than", "soon")

            let redacted = try await db.cli(expecting: 0, "redact", "article", "1", "--field", "content", "--user", "dpo")
            #expect(redacted.stdout.contains("redacted 2 field(s) in 2 version(s) and 1 live row(s)"))
            #expect(try await db.count("article_version", where: "id = 1 AND content IS NOT NULL") == 0)
            let byValue = try #require(
                try await db.cli(expecting: 0, "redact", "article", "--where-value", "content=b", "--field", "content", "--json").json() as? [String: Any])
            #expect(byValue["fields"] as? Int == 1)
            let refused = try await db.cli(expecting: 2, "redact", "article", "1", "--field", "id")
            #expect(refused.stderr.contains("cannot redact column \"id\" of table \"article\": it is part of the primary key"))

            let verify = try await db.cli(expecting: 0, "verify")
            #expect(verify.stdout.contains("ok       article"))
            #expect(verify.stdout.contains("redacted fields"))
            #expect(verify.stdout.contains("pruned versions"))
            // The redactions and prunes, to check against those that were run.
            let events = try await db.rows("SELECT CAST(transaction_id AS TEXT) FROM transaction_meta WHERE key = 'continuum.event' ORDER BY transaction_id")
                .map { Int($0[0]!)! }
            #expect(events.count == 3)
            #expect(verify.stdout.contains("redactions and prunes recorded in transactions \(events.map(String.init).joined(separator: ", ")): check"))
            let listed = try #require(try await db.cli(expecting: 0, "verify", "--json").json() as? [String: Any])
            #expect((listed["seal"] as? [String: Any])?["event_transaction_ids"] as? [Int] == events)

            let storage = try #require(try await db.cli(expecting: 0, "storage", "--json").json() as? [[String: Any]])
            #expect(storage.map { $0["table"] as? String } == ["article", "tag"])
            #expect(storage[0]["versions"] as? Int == 6)
            #expect((storage[0]["version_bytes"] as? Int ?? 0) > 0)
            let table = try await db.cli(expecting: 0, "storage")
            #expect(table.stdout.hasPrefix("table"))
            #expect(table.stdout.contains("per version"))
        }
    }

    @Test("--help of the new commands shows examples")
    func help() async throws {
        for command in ["seal", "prune", "redact", "storage", "verify"] {
            let help = try await ContinuumCLI.run([command, "--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("Example:"), "\(command)")
        }
    }
}
