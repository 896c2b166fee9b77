import ContinuumSQL
import FluentContinuum
import FluentKit
import Foundation
import SQLKit
import Testing

@Suite("Seal", .serialized)
struct SealTests {
    /// Four transactions on `article`: two inserts with meta, an update, a delete. Returns their ids.
    static func history(_ db: TestContext) async throws -> [Int] {
        try await db.exec("CREATE TABLE article (id \(db.autoKey), name VARCHAR(255), content TEXT)")
        try await db.engine.install(on: db.sql)
        try await db.engine.enable("article", on: db.sql)
        try await db.engine.versioned(on: db.sql, userID: "ann", meta: ["reason": "import"]) { sql in
            try await sql.raw("INSERT INTO article (id, name, content) VALUES (1, 'One', 'a'), (2, 'Two', 'b')").run()
        }
        try await db.engine.versioned(on: db.sql, userID: "bob") { try await $0.raw("UPDATE article SET name = 'Uno' WHERE id = 1").run() }
        try await db.engine.versioned(on: db.sql, meta: ["ticket": "7"]) { try await $0.raw("UPDATE article SET content = 'c' WHERE id = 2").run() }
        try await db.engine.versioned(on: db.sql) { try await $0.raw("DELETE FROM article WHERE id = 2").run() }
        return try await db.rows("SELECT CAST(id AS TEXT) FROM \"transaction\" ORDER BY id").map { Int($0[0]!)! }
    }

    /// The hand edits of sealed history a check must catch, each with the transaction it must name.
    static func tampers(_ db: TestContext, _ ids: [Int]) -> [(String, String, Int)] {
        let (first, second, third, fourth) = (ids[0], ids[1], ids[2], ids[3])
        let now = db.kind == .sqlite ? "'2026-01-01 00:00:00.000000'" : "now()"
        return [
            ("edit a version row", "UPDATE article_version SET name = 'Forged' WHERE id = 1 AND transaction_id = \(first)", first),
            ("edit an operation", "UPDATE article_version SET operation_type = 0 WHERE id = 1 AND transaction_id = \(second)", second),
            ("delete a version row", "DELETE FROM article_version WHERE id = 2 AND transaction_id = \(third)", third),
            (
                "insert a version row", "INSERT INTO article_version (id, name, content, transaction_id, operation_type) VALUES (3, 'New', 'x', \(second), 0)",
                second
            ),
            ("edit a transaction row", "UPDATE \"transaction\" SET user_id = 'mallory' WHERE id = \(second)", second),
            ("delete a transaction row", "DELETE FROM \"transaction\" WHERE id = \(fourth)", fourth),
            ("insert a transaction row", "INSERT INTO \"transaction\" (id, issued_at, user_id) VALUES (0, \(now), 'mallory')", 0),
            ("edit metadata", "UPDATE transaction_meta SET value = 'forged' WHERE transaction_id = \(first)", first),
            ("delete metadata", "DELETE FROM transaction_meta WHERE transaction_id = \(third)", third),
            ("insert metadata", "INSERT INTO transaction_meta (transaction_id, key, value) VALUES (\(second), 'note', 'x')", second),
            ("edit a seal digest", "UPDATE _continuum_seal SET entry_digest = chain_digest WHERE transaction_id = \(third)", third),
            ("delete a seal row", "DELETE FROM _continuum_seal WHERE transaction_id = \(second)", second),
            ("insert a seal row", "INSERT INTO _continuum_seal (transaction_id, entry_digest, chain_digest) VALUES (0, '00', '00')", 0),
        ]
    }

    @Test("sealing is incremental; verify is green and reports the head digest", arguments: TestDatabase.allCases)
    func sealAndVerify(_ database: TestDatabase) async throws {
        try await database.run { db in
            let ids = try await Self.history(db)
            let first = try await db.engine.seal(on: db.sql)
            #expect(first.sealedTransactions == ids.count)
            #expect(first.headTransactionID == ids.last)
            let again = try await db.engine.seal(on: db.sql)
            #expect(again.sealedTransactions == 0)
            #expect(again.headDigest == first.headDigest)
            try await db.engine.versioned(on: db.sql) { try await $0.raw("INSERT INTO article (id, name) VALUES (5, 'Five')").run() }
            let next = try await db.engine.seal(on: db.sql)
            #expect(next.sealedTransactions == 1)
            let report = try await db.engine.verifySeal(expectedDigest: first.headDigest, on: db.sql)
            #expect(report.isValid, "\(report)")
            #expect(report.sealedTransactions == ids.count + 1)
            #expect(report.headDigest == next.headDigest)
            #expect(report.expectedDigestTransactionID == ids.last)
            // Sealing again from scratch, in batches of 2 or one transaction per batch (each
            // holding "too many" rows), gives a chain verify accepts; a new one, since every
            // transaction gets a new random salt, so the published digest no longer matches.
            for (batchSize, windowItems) in [(2, 10_000), (1_000, 1)] {
                try await db.exec("DELETE FROM _continuum_seal")
                let whole = try await db.engine.seal(batchSize: batchSize, waitingAtMost: .seconds(10), windowItems: windowItems, on: db.sql)
                #expect(whole.sealedTransactions == ids.count + 1)
                #expect(whole.headDigest != next.headDigest)
                let check = try await db.engine.verifySeal(on: db.sql)
                #expect(check.isValid && check.headDigest == whole.headDigest, "\(check)")
                #expect(try await db.engine.verifySeal(expectedDigest: next.headDigest, on: db.sql).problems == [.expectedDigestNotFound(next.headDigest!)])
            }
            try await db.expectConsistent("article")
        }
    }

    @Test("every single-row edit, delete or insert in sealed history is detected and named", arguments: TestDatabase.allCases)
    func tampering(_ database: TestDatabase) async throws {
        try await database.run { db in
            let ids = try await Self.history(db)
            let sealed = try await db.engine.seal(on: db.sql)
            for (name, statement, expected) in Self.tampers(db, ids) {
                let undo = try await Self.snapshot(db)
                try await db.exec(statement)
                let report = try await db.engine.verifySeal(on: db.sql)
                #expect(!report.isValid, "\(name) went unnoticed")
                #expect(report.problems.contains { $0.transactionID == expected }, "\(name): \(report.problems)")
                // Recomputed two sealed transactions at a time, the report is the same.
                #expect(try await db.engine.verifySeal(expectedDigest: nil, window: 2, on: db.sql) == report, "\(name): windows of 2")
                try await Self.restore(db, undo)
                #expect(try await db.engine.verifySeal(expectedDigest: sealed.headDigest, on: db.sql).isValid, "\(name): restore")
            }
            // Rewriting history and every seal after it is caught by the published digest.
            try await db.exec("UPDATE article_version SET name = 'Forged' WHERE id = 1", "DELETE FROM _continuum_seal")
            try await db.engine.seal(on: db.sql)
            #expect(try await db.engine.verifySeal(on: db.sql).isValid)
            let report = try await db.engine.verifySeal(expectedDigest: sealed.headDigest, on: db.sql)
            #expect(report.problems == [.expectedDigestNotFound(sealed.headDigest!)])
            #expect(try await db.engine.verifySeal(expectedDigest: sealed.headDigest, window: 1, on: db.sql) == report)
        }
    }

    @Test("a patch planted by whoever can write the seal tables is sealed with its transaction, and verify lists it with the redactions and prunes", arguments: TestDatabase.allCases)
    func plantedPatch(_ database: TestDatabase) async throws {
        try await database.run { db in
            let ids = try await Self.history(db)
            let sealed = try await db.engine.seal(on: db.sql)
            #expect(try await db.engine.verifySeal(on: db.sql).eventTransactionIDs == [])
            // The owner (on SQLite, anyone who can write the file) edits a sealed field and
            // explains it away with a check patch in a transaction not sealed yet.
            try await db.exec("UPDATE article_version SET name = 'Forged' WHERE id = 1 AND transaction_id = \(ids[0])")
            #expect(try await db.engine.verifySeal(on: db.sql).problems == [.edited(transactionID: ids[0])])
            try await db.engine.versioned(on: db.sql) { try await $0.raw("INSERT INTO article (id, name) VALUES (9, 'Nine')").run() }
            let event = try #require(Int(try await db.rows("SELECT CAST(MAX(id) AS TEXT) FROM \"transaction\"")[0][0]!))
            let salt = try #require(try await db.rows("SELECT salt FROM _continuum_seal WHERE transaction_id = \(ids[0])")[0][0])
            let key = db.kind == .sqlite ? "1" : "'1'"
            try await db.exec(
                """
                INSERT INTO _continuum_seal_patch VALUES (\(event), \(ids[0]), 'article_version', '\(key.replacingOccurrences(of: "'", with: "''"))', 'name',
                '\(SHA256.hex(salt + "\u{0}name\u{0}'One'"))', '=\(SHA256.hex(salt + "\u{0}name\u{0}'Forged'"))')
                """)
            // The next seal takes the patch with its transaction: the edit is accepted, and only
            // the list of events shows a redaction nobody ran.
            try await db.engine.seal(on: db.sql)
            let report = try await db.engine.verifySeal(expectedDigest: sealed.headDigest, on: db.sql)
            #expect(report.isValid, "a limit: a sealed patch is accepted")
            #expect(report.eventTransactionIDs == [event])
        }
    }

    @Test("the Python verifier of the docs agrees with verify, before and after tampering", arguments: TestDatabase.allCases)
    func pythonVerifier(_ database: TestDatabase) async throws {
        try await database.run { db in
            let ids = try await Self.history(db)
            let sealed = try await db.engine.seal(on: db.sql)
            #expect(try Self.python(db) == "ok \(sealed.headDigest!)")
            for (name, statement, expected) in Self.tampers(db, ids) where !name.contains("seal") {
                let undo = try await Self.snapshot(db)
                try await db.exec(statement)
                let first = try await db.engine.verifySeal(on: db.sql).problems.compactMap(\.transactionID).min()
                #expect(first == expected, "\(name)")
                #expect(try Self.python(db) == "changed \(expected)", "\(name)")
                try await Self.restore(db, undo)
            }
            #expect(try Self.python(db) == "ok \(sealed.headDigest!)")
        }
    }

    @Test("the Python verifier quotes the names it reads: a column named with quotes is read, not spliced into its SQL", arguments: TestDatabase.allCases)
    func pythonVerifierQuotesNames(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE note (id \(db.autoKey), \"say \"\"hi\"\" it's\" TEXT)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("note", on: db.sql)
            try await db.engine.versioned(on: db.sql) { try await $0.raw("INSERT INTO note VALUES (1, 'a'), (2, 'b')").run() }
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE note SET \"say \"\"hi\"\" it's\" = 'c' WHERE id = 1").run() }
            let sealed = try await db.engine.seal(on: db.sql)
            #expect(try Self.python(db) == "ok \(sealed.headDigest!)")
            let first = try #require(Int(try await db.rows("SELECT CAST(MIN(id) AS TEXT) FROM \"transaction\"")[0][0]!))
            try await db.exec("UPDATE note_version SET \"say \"\"hi\"\" it's\" = 'forged' WHERE id = 2")
            #expect(try Self.python(db) == "changed \(first)")
        }
    }

    @Test("the Python verifier reads tables and columns whose names hold quotes and spaces", arguments: TestDatabase.allCases)
    func pythonVerifierOddNames(_ database: TestDatabase) async throws {
        try await database.run { db in
            let table = "it's \"odd\" T"
            let blob = db.kind == .sqlite ? "BLOB" : "BYTEA"
            try await db.exec(
                "CREATE TABLE \(SQLText.quoted(table)) (\"Lang\" VARCHAR(20), n INTEGER, \"my \"\"b\"\"\" \(blob), \"e-mail\" TEXT, PRIMARY KEY (\"Lang\", n))")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable(table, on: db.sql)
            let bytes = db.kind == .sqlite ? "X'00ff'" : "'\\x00ff'"
            for statement in [
                "INSERT INTO \(SQLText.quoted(table)) VALUES ('en,x', 1, \(bytes), 'ann@example.com'), ('b''c', 2, NULL, '')",
                "UPDATE \(SQLText.quoted(table)) SET \"e-mail\" = 'ann2@example.com' WHERE n = 1",
                "UPDATE \(SQLText.quoted(table)) SET \"e-mail\" = 'x' WHERE n = 2",
            ] {
                try await db.engine.versioned(on: db.sql) { try await $0.raw(SQLQueryString(statement)).run() }
            }
            let sealed = try await db.engine.seal(on: db.sql)
            #expect(try Self.python(db) == "ok \(sealed.headDigest!)")
            try await db.engine.prune(keepLast: 1, on: db.sql)
            try await db.engine.redact(table, .key(["en,x", "1"]), fields: ["e-mail", "my \"b\""], on: db.sql)
            let report = try await db.engine.verifySeal(expectedDigest: sealed.headDigest, on: db.sql)
            #expect(report.isValid && report.prunedVersions == 2 && report.redactedFields == 2, "\(report)")
            #expect(try Self.python(db) == "ok \(report.headDigest!)")
            try await db.exec("UPDATE \(SQLText.quoted(table + "_version")) SET \"e-mail\" = 'forged' WHERE n = 2 AND \"e-mail\" = 'x'")
            let edited = try #require(try await db.engine.verifySeal(on: db.sql).problems.first?.transactionID)
            #expect(try Self.python(db) == "changed \(edited)")
        }
    }

    @Test("a column added after sealing, a table disabled after sealing and one dropped with its history keep verify green", arguments: TestDatabase.allCases)
    func schemaChangesAfterSealing(_ database: TestDatabase) async throws {
        try await database.run { db in
            let ids = try await Self.history(db)
            try await db.exec("CREATE TABLE tag (id INTEGER PRIMARY KEY, name TEXT)", "CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
            for table in ["tag", "note"] {
                try await db.engine.enable(table, on: db.sql)
                try await db.engine.versioned(on: db.sql) {
                    try await $0.raw(SQLQueryString("INSERT INTO \(table) (id) VALUES (1)")).run()
                    try await $0.raw(SQLQueryString("UPDATE article SET content = 'with \(table)' WHERE id = 1")).run()
                }
            }
            let published = try #require(try await db.engine.seal(on: db.sql).headDigest)
            // History sealed before _continuum_seal_column existed: verified as it was sealed, and
            // the next seal records every column then in place as covered from the start.
            try await db.exec("DROP TABLE _continuum_seal_column")
            #expect(try await db.engine.verifySeal(expectedDigest: published, on: db.sql).isValid)
            try await db.engine.seal(on: db.sql)
            #expect(try await db.count("_continuum_seal_column", where: "since_transaction_id = 0") == 5 + 4 + 4)
            #expect(try await db.engine.verifySeal(expectedDigest: published, on: db.sql).isValid)
            // A migration adds a column: every sealed version row now has it, NULL.
            try await db.exec("ALTER TABLE article ADD COLUMN extra TEXT")
            try await db.engine.sync("article", on: db.sql)
            var report = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(report.isValid, "\(report)")
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE article SET extra = 'e' WHERE id = 1").run() }
            try await db.engine.seal(on: db.sql)
            report = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(report.isValid, "\(report)")
            #expect(try Self.python(db) == "ok \(report.headDigest!)")
            // A value written into the new column of a sealed row is still an edit.
            let undo = try await Self.snapshot(db)
            try await db.exec("UPDATE article_version SET extra = 'forged' WHERE id = 1 AND transaction_id = \(ids[0])")
            #expect(try await db.engine.verifySeal(on: db.sql).problems == [.edited(transactionID: ids[0])])
            #expect(try Self.python(db) == "changed \(ids[0])")
            try await Self.restore(db, undo)

            // Disabled, keeping its history: still sealed, still checked.
            let tagged = try #require(Int(try await db.rows("SELECT CAST(MIN(transaction_id) AS TEXT) FROM tag_version")[0][0]!))
            try await db.engine.disable("tag", on: db.sql)
            report = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(report.isValid, "\(report)")
            #expect(try Self.python(db) == "ok \(report.headDigest!)")
            try await db.exec("UPDATE tag_version SET name = 'forged'")
            #expect(try await db.engine.verifySeal(on: db.sql).problems.compactMap(\.transactionID).contains(tagged))
            #expect(try Self.python(db) == "changed \(tagged)")
            try await db.exec("UPDATE tag_version SET name = NULL")
            // A record naming a table that holds no history is ignored, not an error.
            try await db.exec("INSERT INTO _continuum_seal_column (version_table, column_name, since_transaction_id) VALUES ('transaction', 'id', 1)")
            #expect(try await db.engine.verifySeal(expectedDigest: published, on: db.sql).isValid)
            try await db.exec("DELETE FROM _continuum_seal_column WHERE version_table = 'transaction'")
            // Enabled again: its version table is adopted and read once.
            try await db.engine.enable("tag", on: db.sql)
            try await db.engine.seal(on: db.sql)
            #expect(try await db.engine.verifySeal(expectedDigest: published, on: db.sql).isValid)

            // Disabled dropping its history: the drop is recorded and sealed like a prune.
            try await db.engine.disable("note", keepHistory: false, on: db.sql)
            #expect(try await !db.tableExists("note_version"))
            report = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(report.isValid, "\(report)")
            #expect(report.prunedVersions == 1)
            let event = try await db.engine.transactions(limit: 1, on: db.sql)[0]
            #expect(event.meta == [VersioningEngine.eventMetaKey: "disable", "continuum.table": "note"])
            #expect(try Self.python(db) == "ok \(report.headDigest!)")
            try await db.expectConsistent("article", "tag")
        }
    }

    @Test("a column added after sealing to a table that tracks modified columns (its _mod flag false in sealed rows) keeps verify green", arguments: TestDatabase.allCases)
    func columnAddedWithModifiedFlag(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("item", options: .init(tracksModifiedColumns: true), on: db.sql)
            try await db.engine.versioned(on: db.sql) { try await $0.raw("INSERT INTO item (id, name) VALUES (1, 'a'), (2, 'b')").run() }
            let first = try #require(try await db.engine.transactions(limit: 1, on: db.sql).first?.id)
            let published = try #require(try await db.engine.seal(on: db.sql).headDigest)
            try await db.exec("ALTER TABLE item ADD COLUMN size INTEGER")
            try await db.engine.sync("item", on: db.sql)
            #expect(try await db.count("item_version", where: "size_mod IS NOT NULL") == 2, "sync fills the new flag in sealed rows")
            var report = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(report.isValid, "\(report)")
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE item SET size = 3 WHERE id = 1").run() }
            try await db.engine.seal(on: db.sql)
            report = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(report.isValid, "\(report)")
            #expect(try Self.python(db) == "ok \(report.headDigest!)")
            // A sealed row's new flag set to true is an edit.
            let flag = db.kind == .sqlite ? "1" : "TRUE"
            try await db.exec("UPDATE item_version SET size_mod = \(flag) WHERE id = 2 AND transaction_id = \(first)")
            #expect(try await db.engine.verifySeal(on: db.sql).problems == [.edited(transactionID: first)])
            #expect(try Self.python(db) == "changed \(first)")
        }
    }

    @Test("a column renamed by sync after sealing keeps the name it was sealed under: verify, redact and the Python verifier agree", arguments: TestDatabase.allCases)
    func columnRenamedAfterSealing(_ database: TestDatabase) async throws {
        try await database.run { db in
            let ids = try await Self.history(db)
            let published = try #require(try await db.engine.seal(on: db.sql).headDigest)
            try await db.exec("ALTER TABLE article RENAME COLUMN name TO title")
            try await db.engine.sync("article", renamedColumns: ["name": "title"], on: db.sql)
            var report = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(report.isValid, "\(report)")
            #expect(try Self.python(db) == "ok \(report.headDigest!)")
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE article SET title = 'Eins' WHERE id = 1").run() }
            // Renamed back and forth: each transaction keeps its own name.
            try await db.exec("ALTER TABLE article RENAME COLUMN title TO heading")
            try await db.engine.sync("article", renamedColumns: ["title": "heading"], on: db.sql)
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE article SET heading = 'Un' WHERE id = 1").run() }
            try await db.engine.seal(on: db.sql)
            report = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(report.isValid, "\(report)")
            #expect(try Self.python(db) == "ok \(report.headDigest!)")
            let redaction = try await db.engine.redact("article", .key(["1"]), fields: ["heading"], on: db.sql)
            #expect(redaction.fields == 4, "\(redaction)")
            report = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(report.isValid && report.redactedFields == 4, "\(report)")
            #expect(try Self.python(db) == "ok \(report.headDigest!)")
            // Renamed back to its first name: a cycle of names, each transaction still read
            // under the name it was sealed with.
            try await db.exec("ALTER TABLE article RENAME COLUMN heading TO name")
            try await db.engine.sync("article", renamedColumns: ["heading": "name"], on: db.sql)
            try await db.engine.seal(on: db.sql)
            report = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(report.isValid, "\(report)")
            #expect(try Self.python(db) == "ok \(report.headDigest!)")
            try await db.exec("UPDATE article_version SET name = 'Forged' WHERE id = 2 AND transaction_id = \(ids[0])")
            #expect(try await db.engine.verifySeal(on: db.sql).problems == [.edited(transactionID: ids[0])])
            #expect(try Self.python(db) == "changed \(ids[0])")
            try await db.expectConsistent("article")
        }
    }

    @Test("sealing while writers commit: every transaction is sealed once, in order, and verify is green", arguments: TestDatabase.allCases)
    func concurrentWriters(_ database: TestDatabase) async throws {
        try await database.run(connectionsPerEventLoop: 4) { db in
            _ = try await Self.history(db)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<3 {
                    group.addTask {
                        for step in 0..<15 {
                            let id = 100 + writer * 100 + step
                            try await db.engine.versioned(on: db.sql) { try await $0.raw("INSERT INTO article (id, name) VALUES (\(bind: id), 'w')").run() }
                        }
                    }
                }
                group.addTask {
                    for _ in 0..<8 { try await db.engine.seal(batchSize: 3, on: db.sql) }
                }
                try await group.waitForAll()
            }
            try await db.engine.seal(on: db.sql)
            let report = try await db.engine.verifySeal(on: db.sql)
            #expect(report.isValid, "\(report)")
            #expect(report.sealedTransactions == 4 + 45)
            #expect(report.unsealedTransactions == 0)
            try await db.expectConsistent("article")
        }
    }

    @Test("PostgreSQL: a transaction still running with a smaller id holds the seal back until it commits")
    func postgresStability() async throws {
        try await TestDatabase.postgres.run(connectionsPerEventLoop: 4) { db in
            _ = try await Self.history(db)
            try await db.engine.seal(on: db.sql)
            try await db.sql.withSession { slow in
                try await slow.raw("BEGIN").run()
                // Draws its transaction id now, commits last.
                try await slow.raw("INSERT INTO article (id, name) VALUES (10, 'slow')").run()
                try await db.engine.versioned(on: db.sql) { try await $0.raw("INSERT INTO article (id, name) VALUES (11, 'fast')").run() }
                await #expect(throws: ContinuumError.sealBlockedByWriters(seconds: 0)) {
                    try await db.engine.seal(waitingAtMost: .milliseconds(300), on: db.sql)
                }
                try await slow.raw("COMMIT").run()
            }
            // A long transaction that never wrote this schema's log (here: an unversioned
            // table) does not hold the seal back.
            try await db.exec("CREATE TABLE scratch (n INTEGER)")
            try await db.sql.withSession { report in
                try await report.raw("BEGIN").run()
                try await report.raw("INSERT INTO scratch VALUES (1)").run()
                let sealed = try await db.engine.seal(waitingAtMost: .milliseconds(300), on: db.sql)
                #expect(sealed.sealedTransactions == 2)
                try await report.raw("COMMIT").run()
            }
            let report = try await db.engine.verifySeal(on: db.sql)
            #expect(report.isValid, "\(report)")
            #expect(report.unsealedTransactions == 0)
        }
    }

    @Test("PostgreSQL: a migration that changes the text of sealed values is recorded and sealed; verify, the published digest and the Python verifier stay green")
    func postgresTypeChange() async throws {
        // SQLite's version columns keep their type through a migration: the text of sealed
        // values never changes there.
        try await TestDatabase.postgres.run { db in
            try await db.exec("CREATE TABLE price (id SERIAL PRIMARY KEY, amount NUMERIC(10,2), at TIMESTAMP, note TEXT)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("price", on: db.sql)
            try await db.engine.versioned(on: db.sql, userID: "ann") {
                try await $0.raw("INSERT INTO price (amount, at, note) VALUES (1.5, '2026-01-02 03:04:05', 'one'), (2, NULL, 'two'), (NULL, NULL, 'three')").run()
            }
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE price SET amount = 1.75, note = 'uno' WHERE id = 1").run() }
            try await db.engine.redact("price", .key(["2"]), fields: ["note"], on: db.sql)
            let published = try #require(try await db.engine.seal(on: db.sql).headDigest)
            let before = try await db.rows("SELECT quote_nullable(amount::text) FROM price_version ORDER BY transaction_id, id").map { $0[0]! }

            try await db.engine.alter("price", on: db.sql) { sql in
                try await sql.raw("ALTER TABLE price ALTER COLUMN amount TYPE NUMERIC(12,4), ALTER COLUMN at TYPE TIMESTAMPTZ USING at AT TIME ZONE 'UTC'").run()
            }
            // The conversion rewrote history's text (1.50 is now 1.5000)...
            let after = try await db.rows("SELECT quote_nullable(amount::text) FROM price_version ORDER BY transaction_id, id").map { $0[0]! }
            #expect(before.contains("'1.50'") && after.contains("'1.5000'") && !after.contains("'1.50'"))
            // ...as one sealed event naming the table and the columns, never a value.
            let event = try await db.rows("SELECT CAST(transaction_id AS TEXT), value FROM transaction_meta WHERE key = 'continuum.fields'").last
            #expect(event?[1] == "price.amount,price.at")
            let report = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(report.isValid, "\(report)")
            #expect(report.unsealedTransactions == 0)
            #expect(try Self.python(db) == "ok \(report.headDigest!)")
            #expect(try await db.rows("SELECT value FROM _continuum_seal_patch WHERE value LIKE '%1.5%'").isEmpty)

            // History goes on: new versions, a redaction and a prune over the rewritten values.
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE price SET amount = 3 WHERE id = 1").run() }
            try await db.engine.redact("price", .key(["1"]), fields: ["amount"], on: db.sql)
            try await db.engine.prune(keepLast: 2, on: db.sql)
            let later = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(later.isValid, "\(later)")
            #expect(try Self.python(db) == "ok \(later.headDigest!)")
            try await db.expectConsistent("price")

            // Two tables retyped in one transaction share one event, which names both.
            try await db.exec("CREATE TABLE cost (id SERIAL PRIMARY KEY, amount NUMERIC(10,2))")
            try await db.engine.enable("cost", on: db.sql)
            try await db.engine.versioned(on: db.sql) { try await $0.raw("INSERT INTO cost (amount) VALUES (4.5)").run() }
            try await db.engine.seal(on: db.sql)
            try await db.sql.withSession { session in
                try await session.raw("BEGIN").run()
                for table in ["price", "cost"] {
                    try await db.engine.alter(table, on: session) { try await $0.raw("ALTER TABLE \(unsafeRaw: table) ALTER COLUMN amount TYPE NUMERIC(14,5)").run() }
                }
                try await session.raw("COMMIT").run()
            }
            #expect(try await db.rows("SELECT value FROM transaction_meta WHERE key = 'continuum.fields'").last?[0] == "price.amount,cost.amount")
            // Inside the caller's transaction the record waits for the next seal.
            #expect(try await db.engine.seal(on: db.sql).sealedTransactions == 1)
            let both = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(both.isValid && both.unsealedTransactions == 0, "\(both)")
            #expect(try Self.python(db) == "ok \(both.headDigest!)")

            // Fluent's alterVersioning runs in a transaction of its own and seals after it.
            try await SealedPrice.alterVersioning(on: db.fluent) { database in
                try await (database as! any SQLDatabase).raw("ALTER TABLE price ALTER COLUMN amount TYPE NUMERIC(16,6)").run()
            }
            let fluent = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(fluent.isValid && fluent.unsealedTransactions == 0, "\(fluent)")

            // A column renamed after sealing, then retyped: its sealed name is kept.
            try await db.engine.alter("price", renamedColumns: ["amount": "total"], on: db.sql) {
                try await $0.raw("ALTER TABLE price RENAME COLUMN amount TO total").run()
            }
            try await db.engine.alter("price", on: db.sql) { try await $0.raw("ALTER TABLE price ALTER COLUMN total TYPE NUMERIC(18,7)").run() }
            let renamed = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(renamed.isValid && renamed.unsealedTransactions == 0, "\(renamed)")
            #expect(try Self.python(db) == "ok \(renamed.headDigest!)")

            // A migration that changes no sealed text records nothing.
            let events = try await db.rows("SELECT count(*) FROM transaction_meta WHERE key = 'continuum.event'").first?[0]
            try await db.engine.alter("price", on: db.sql) { try await $0.raw("ALTER TABLE price ALTER COLUMN note TYPE VARCHAR(100)").run() }
            #expect(try await db.rows("SELECT count(*) FROM transaction_meta WHERE key = 'continuum.event'").first?[0] == events)

            // A hand edit of a rewritten value is still named.
            let first = try #require(try await db.rows("SELECT CAST(min(transaction_id) AS TEXT) FROM price_version WHERE id = 2").first?[0])
            try await db.exec("UPDATE price_version SET total = 9 WHERE id = 2 AND transaction_id = \(first)")
            let tampered = try await db.engine.verifySeal(on: db.sql)
            #expect(tampered.problems.contains { $0.transactionID == Int(first) }, "\(tampered)")
        }
    }

    // MARK: Support

    static let tables = ["article_version", "transaction", "transaction_meta", "_continuum_seal", "_continuum_seal_patch"]

    /// Copies the tables a tamper touches, to put back afterwards.
    static func snapshot(_ db: TestContext) async throws -> [String] {
        for table in Self.tables { try await db.exec("CREATE TABLE \(SQLText.quoted("backup_" + table)) AS SELECT * FROM \(SQLText.quoted(table))") }
        return Self.tables
    }

    static func restore(_ db: TestContext, _ tables: [String]) async throws {
        for table in tables {
            let backup = SQLText.quoted("backup_" + table)
            try await db.exec("DELETE FROM \(SQLText.quoted(table))", "INSERT INTO \(SQLText.quoted(table)) SELECT * FROM \(backup)", "DROP TABLE \(backup)")
        }
    }

    /// Runs `Tests/Interop/seal_verify.py` on the SQLite file.
    static func python(_ db: TestContext) throws -> String {
        guard let python = ProcessInfo.processInfo.environment["CONTINUUM_PYTHON"], FileManager.default.isExecutableFile(atPath: python) else {
            throw ContinuumInterop.Failed(description: "CONTINUUM_PYTHON is not set: run the tests through scripts/test.sh")
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Interop/seal_verify.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        switch db.kind {
        case .sqlite: process.arguments = [script, db.file!]
        case .postgres:
            let environment = ProcessInfo.processInfo.environment
            let password = environment["POSTGRES_PASSWORD"].flatMap { $0.isEmpty ? nil : ":" + $0 } ?? ""
            let url =
                "postgresql://\(environment["POSTGRES_USER"] ?? "postgres")\(password)@\(environment["POSTGRES_HOST"] ?? "127.0.0.1"):"
                + "\(environment["POSTGRES_PORT"] ?? "5432")/\(environment["POSTGRES_DB"] ?? "postgres")"
            process.arguments = [script, url, db.schema!]
        }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// `price` of the type-change test, for Fluent's `alterVersioning`.
final class SealedPrice: Model, Versioned, @unchecked Sendable {
    static let schema = "price"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @OptionalField(key: "note") var note: String?

    init() {}
}
