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

    @Test("malformed ages, counts and digests are usage errors (exit 64) that name the option", arguments: TestDatabase.allCases)
    func usageErrors(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CommandLineTests.setUp(db)
            // A number and a unit, finite and at most 1,000 years: no crash on inf or 1e300.
            for age in ["90x", "=-1d", "infd", "nand", "1e300w", "0x10d", "d", "400000d"] {
                let arguments = age.hasPrefix("=") ? ["prune", "--older-than" + age] : ["prune", "--older-than", age]
                let result = try await ContinuumCLI.run(db.cliDatabase + arguments)
                #expect(result.status == 64, "\(age): \(result)")
                #expect(result.stderr.contains("--older-than"), "\(age): \(result)")
            }
            let keepNone = try await db.cli(expecting: 64, "prune", "--keep-last", "0")
            #expect(keepNone.stderr.contains("--keep-last 0: keep at least 1 version per row"))
            let batch = try await db.cli(expecting: 64, "prune", "--keep-last", "1", "--batch-size", "0")
            #expect(batch.stderr.contains("--batch-size 0"))
            _ = try await db.cli(expecting: 64, "seal", "--batch-size", "0")
            _ = try await db.cli(expecting: 64, "seal", "--wait", "-1")
            // A digest that is not one is a typing error, not "the seals were rewritten".
            for digest in ["garbage", String(repeating: "g", count: 64), String(repeating: "0", count: 63)] {
                let verify = try await db.cli(expecting: 64, "verify", "--expect-digest", digest)
                #expect(verify.stderr.contains("a head digest is 64 hexadecimal digits"))
                #expect(!verify.stdout.contains("rewritten"))
            }
            #expect(try await db.count("article_version") == 3)
            #expect(try await !db.tableExists("_continuum_seal"))
            // A fractional age is fine; an upper-case published digest too.
            _ = try await db.cli(expecting: 0, "prune", "--older-than", "1.5d", "--dry-run")
            let digest = try #require(try await db.cli(expecting: 0, "seal", "--json").json() as? [String: Any])["head_digest"] as? String
            _ = try await db.cli(expecting: 0, "verify", "--expect-digest", try #require(digest).uppercased())
        }
    }

    @Test("prune --dry-run writes nothing, not even seals, and counts exactly what prune then removes", arguments: TestDatabase.allCases)
    func dryRunWritesNothing(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CommandLineTests.setUp(db)
            for name in ["v2", "v3", "v4"] {
                try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE article SET name = \(bind: name) WHERE id = 1").run() }
            }
            try await db.engine.versioned(on: db.sql) { try await $0.raw("DELETE FROM article WHERE id = 2").run() }
            let transactions = try await db.count("transaction")
            let dry = try #require(try await db.cli(expecting: 0, "prune", "--keep-last", "1", "--dry-run", "--json").json() as? [String: Any])
            #expect(dry["versions"] as? [String: Int] == ["article": 4, "tag": 0])
            #expect(try await !db.tableExists("_continuum_seal"), "a dry run seals nothing")
            #expect(try await db.count("transaction") == transactions)
            #expect(try await db.count("article_version") == 7)
            let pruned = try #require(try await db.cli(expecting: 0, "prune", "--keep-last", "1", "--json").json() as? [String: Any])
            #expect(pruned["versions"] as? [String: Int] == dry["versions"] as? [String: Int])
            let again = try #require(try await db.cli(expecting: 0, "prune", "--keep-last", "1", "--dry-run", "--json").json() as? [String: Any])
            #expect(again["versions"] as? [String: Int] == ["article": 0, "tag": 0])
            _ = try await db.cli(expecting: 0, "verify")
        }
    }

    @Test("output into a pipe closed early (continuum log | head) ends quietly with exit 0, not a crash; a full disk is an error", arguments: TestDatabase.allCases)
    func closedPipe(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CommandLineTests.setUp(db)
            let quoted = ([ContinuumCLI.binary] + db.cliDatabase).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
            // `true` exits without reading: every write of the command meets a closed pipe.
            let script = ["log", "verify", "verify --json", "prune --keep-last 1 --dry-run", "storage", "export article"]
                .map { "\(quoted) \($0) | true; echo \"\($0): ${PIPESTATUS[0]}\"" }.joined(separator: "\n")
            let result = try await ContinuumCLI.run(["-c", script], executable: "/bin/bash")
            #expect(result.status == 0, "\(result)")
            for command in ["log", "verify", "verify --json", "prune --keep-last 1 --dry-run", "storage", "export article"] {
                #expect(result.stdout.contains("\(command): 0\n"), "\(result)")
            }
            #expect(!result.stderr.contains("Fatal error"), "\(result)")
            // Any other write failure is an error: the output is incomplete.
            let full = try await ContinuumCLI.run(["-c", "\(quoted) log > /dev/full"], executable: "/bin/bash")
            #expect(full.status == 2, "\(full)")
            #expect(full.stderr.contains("standard output could not be written"), "\(full)")
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
