import ContinuumSQL
import Foundation
import SQLKit
import Testing

@Suite("Redact and prune", .serialized)
struct RetentionTests {
    static func count(_ db: TestContext, _ query: String) async throws -> Int {
        Int(try await db.rows(query.replacingOccurrences(of: "SELECT COUNT(*)", with: "SELECT CAST(COUNT(*) AS TEXT)"))[0][0]!)!
    }

    @Test("redact erases fields across a row's whole history, is recorded without the values, and verify stays green", arguments: TestDatabase.allCases)
    func redact(_ database: TestDatabase) async throws {
        try await database.run { db in
            let ids = try await SealTests.history(db)
            let sealed = try await db.engine.seal(on: db.sql)
            let report = try await db.engine.redact("article", .key(["1"]), fields: ["name"], userID: "dpo", on: db.sql)
            #expect(report.fields == 2)
            #expect(report.liveRows == 1)
            #expect(try await Self.count(db, "SELECT COUNT(*) FROM article_version WHERE id = 1 AND name IS NOT NULL") == 0)
            #expect(try await db.rows("SELECT name, content FROM article WHERE id = 1") == [[nil, "a"]])
            let verification = try await db.engine.verifySeal(expectedDigest: sealed.headDigest, on: db.sql)
            #expect(verification.isValid, "\(verification)")
            #expect(verification.redactedFields == 2)
            #expect(verification.headTransactionID == report.transactionID)
            #expect(verification.eventTransactionIDs == [report.transactionID])
            try await db.expectConsistent("article")
            // Recorded: who, which fields; never the erased values.
            let event = try await db.engine.transactions(limit: 1, on: db.sql)[0]
            #expect(event.id == report.transactionID)
            #expect(event.userID == "dpo")
            #expect(event.meta[VersioningEngine.eventMetaKey] == "redact")
            #expect(event.meta["continuum.fields"] == "name")
            #expect(try await Self.count(db, "SELECT COUNT(*) FROM _continuum_seal_patch WHERE value LIKE '%Uno%' OR value LIKE '%One%'") == 0)
            #expect(try SealTests.python(db) == "ok \(verification.headDigest!)")
            // A guessed value cannot be confirmed: the erased fields' digests were salted, and
            // each transaction they were in has a new salt since.
            let salts = try await db.rows("SELECT salt FROM _continuum_seal WHERE salt IS NOT NULL").map { $0[0]! }
            #expect(salts.count == verification.sealedTransactions)
            let recorded = Set(try await db.rows("SELECT digest FROM _continuum_seal_patch WHERE field = 'name' AND value = 'NULL'").map { $0[0]! })
            #expect(recorded.count == 2)
            for guess in ["'One'", "'Uno'"] {
                #expect(!recorded.contains(SHA256.hex("name\u{0}" + guess)))
                for salt in salts { #expect(!recorded.contains(SHA256.hex(salt + "\u{0}name\u{0}" + guess))) }
            }

            // Tampering with a redacted field or with the redaction's record is detected.
            let tampers = [
                ("UPDATE article_version SET content = 'z' WHERE id = 1 AND transaction_id = \(ids[0])", ids[0]),
                ("UPDATE _continuum_seal SET salt = '00' WHERE transaction_id = \(ids[0])", ids[0]),
                ("UPDATE article_version SET name = 'Uno' WHERE id = 1 AND transaction_id = \(ids[1])", ids[1]),
                ("UPDATE _continuum_seal_patch SET digest = '00' WHERE transaction_id = \(ids[0])", report.transactionID),
                ("DELETE FROM _continuum_seal_patch WHERE transaction_id = \(ids[1])", report.transactionID),
                ("UPDATE transaction_meta SET value = 'content' WHERE transaction_id = \(report.transactionID) AND key = 'continuum.fields'", report.transactionID),
            ]
            for (statement, expected) in tampers {
                let undo = try await SealTests.snapshot(db)
                try await db.exec(statement)
                let problems = try await db.engine.verifySeal(on: db.sql).problems
                #expect(problems.contains { $0.transactionID == expected }, "\(statement): \(problems)")
                try await SealTests.restore(db, undo)
            }

            // All history of a value: only the version of the deleted article 2 that held 'b'.
            let byValue = try await db.engine.redact("article", .value(column: "content", equals: "b"), fields: ["content"], on: db.sql)
            #expect(byValue.versions == 1)
            #expect(byValue.liveRows == 0)
            #expect(try await Self.count(db, "SELECT COUNT(*) FROM article_version WHERE content = 'b'") == 0)
            #expect(try await Self.count(db, "SELECT COUNT(*) FROM article_version WHERE content = 'c'") == 2)
            let again = try await db.engine.verifySeal(expectedDigest: sealed.headDigest, on: db.sql)
            #expect(again.isValid, "\(again)")
            #expect(try SealTests.python(db) == "ok \(again.headDigest!)")
            try await db.expectConsistent("article")

            await #expect(throws: ContinuumError.cannotRedactColumn(table: "article", column: "id", reason: "it is part of the primary key")) {
                try await db.engine.redact("article", .key(["1"]), fields: ["id"], on: db.sql)
            }
            await #expect(throws: ContinuumError.unknownColumn(table: "article", column: "nope")) {
                try await db.engine.redact("article", .key(["1"]), fields: ["nope"], on: db.sql)
            }
        }
    }

    @Test("a redaction gives the transactions of the row's pruned versions new salts: a guess of an erased value matches no digest a prune left", arguments: TestDatabase.allCases)
    func redactPrunedVersions(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE person (id \(db.autoKey), email VARCHAR(255))")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("person", on: db.sql)
            for statement in [
                "INSERT INTO person (id, email) VALUES (1, 'ann@old.example')", "UPDATE person SET email = 'ann@new.example' WHERE id = 1",
                "INSERT INTO person (id, email) VALUES (2, 'bob@example.org')",
            ] {
                try await db.engine.versioned(on: db.sql) { try await $0.raw(SQLQueryString(statement)).run() }
            }
            let first = try #require(Int(try await db.rows("SELECT CAST(MIN(id) AS TEXT) FROM \"transaction\"")[0][0]!))
            let published = try await db.engine.seal(on: db.sql).headDigest
            try await db.engine.prune(keepLast: 1, on: db.sql)
            // The pruned first version's digest, from its transaction's salt and guessed fields.
            let literal = { (value: String, quoted: Bool) in db.kind == .sqlite && !quoted ? value : "'\(value)'" }
            func guess(_ salt: String) -> String {
                let fields = [
                    ("id", literal("1", false)), ("email", literal("ann@old.example", true)), ("transaction_id", literal(String(first), false)),
                    ("operation_type", literal("0", false)),
                ]
                return SHA256.hex((["row", "person_version"] + fields.map { SHA256.hex([salt, $0.0, $0.1].joined(separator: "\u{0}")) }.sorted()).joined(separator: "\u{0}"))
            }
            func confirmed() async throws -> Bool {
                let recorded = Set(try await db.rows("SELECT digest FROM _continuum_seal_patch WHERE field = ''").map { $0[0]! })
                let salts = try await db.rows("SELECT salt FROM _continuum_seal WHERE salt IS NOT NULL").map { $0[0]! }
                return salts.contains { recorded.contains(guess($0)) }
            }
            #expect(try await confirmed(), "the guess is computed as the seal computes a pruned version's digest")
            // The key in a form its type reads but the seal never writes ("01" for 1).
            try await db.engine.redact("person", .key(["01"]), fields: ["email"], on: db.sql)
            #expect(try await !confirmed())
            let verification = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(verification.isValid, "\(verification)")
            #expect(try SealTests.python(db) == "ok \(verification.headDigest!)")
            try await db.expectConsistent("person")
        }
    }

    @Test("redact refuses an excluded column and the version table's bookkeeping columns with the reason, changing nothing", arguments: TestDatabase.allCases)
    func redactRefusals(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE customer (id \(db.autoKey), email TEXT, secret TEXT, note TEXT)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("customer", options: .init(excludedColumns: ["secret"], tracksModifiedColumns: true), on: db.sql)
            try await db.engine.versioned(on: db.sql) { try await $0.raw("INSERT INTO customer (id, email, secret) VALUES (1, 'ann@example.com', 's')").run() }
            try await db.engine.seal(on: db.sql)
            let transactions = try await db.count("transaction")
            await #expect(
                throws: ContinuumError.cannotRedactColumn(
                    table: "customer", column: "secret",
                    reason: "it is excluded from versioning, so history holds none of its values (erase the live value with an UPDATE)")
            ) { try await db.engine.redact("customer", .key(["1"]), fields: ["email", "secret"], on: db.sql) }
            for bookkeeping in ["transaction_id", "end_transaction_id", "operation_type", "email_mod"] {
                await #expect(
                    throws: ContinuumError.cannotRedactColumn(table: "customer", column: bookkeeping, reason: "it is a bookkeeping column of the version table, which every chain needs"),
                    "\(bookkeeping)"
                ) { try await db.engine.redact("customer", .key(["1"]), fields: [bookkeeping], on: db.sql) }
            }
            await #expect(throws: ContinuumError.unknownColumn(table: "customer", column: "phone")) {
                try await db.engine.redact("customer", .key(["1"]), fields: ["phone"], on: db.sql)
            }
            await #expect(throws: ContinuumError.redactionFieldsMissing(table: "customer")) {
                try await db.engine.redact("customer", .key(["1"]), fields: [], on: db.sql)
            }
            #expect(try await db.count("transaction") == transactions)
            #expect(try await db.rows("SELECT email, secret FROM customer") == [["ann@example.com", "s"]])
            // The message never holds a value.
            let message = ContinuumError.cannotRedactColumn(table: "customer", column: "secret", reason: "x").description
            #expect(!message.contains("ann@") && !message.contains("'s'"))
            #expect(try await db.engine.verifySeal(on: db.sql).isValid)
        }
    }

    @Test("redact by key compares each value as its column's type; a key no row has is refused and records nothing", arguments: TestDatabase.allCases)
    func redactKeyAsTyped(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE doc (owner VARCHAR(20), n INTEGER, body TEXT, PRIMARY KEY (owner, n))")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("doc", on: db.sql)
            try await db.engine.versioned(on: db.sql) { try await $0.raw("INSERT INTO doc VALUES ('ann', 2, 'secret'), ('bob', 2, 'kept')").run() }
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE doc SET body = 'secret 2' WHERE owner = 'ann'").run() }
            try await db.engine.seal(on: db.sql)
            let transactions = try await db.count("transaction")
            for key in [["ann", "3"], ["Ann", "2"], ["nobody", "2"]] {
                await #expect(throws: ContinuumError.redactionKeyNotFound(table: "doc"), "\(key)") {
                    try await db.engine.redact("doc", .key(key), fields: ["body"], on: db.sql)
                }
            }
            #expect(try await db.count("transaction") == transactions, "a refused redaction records nothing")
            // "02" is the integer 2, as history reads take it; a field named twice is erased once.
            let report = try await db.engine.redact("doc", .key(["ann", "02"]), fields: ["body", "body"], on: db.sql)
            #expect(report.fields == 2 && report.liveRows == 1, "\(report)")
            #expect(try await db.count("doc_version", where: "owner = 'ann' AND body IS NOT NULL") == 0)
            #expect(try await db.count("doc_version", where: "owner = 'bob' AND body = 'kept'") == 1)
            // A row deleted since still has history to redact.
            try await db.engine.versioned(on: db.sql) { try await $0.raw("DELETE FROM doc WHERE owner = 'bob'").run() }
            #expect(try await db.engine.redact("doc", .key(["bob", "2"]), fields: ["body"], on: db.sql).versions == 2)
            if db.kind == .postgres {
                try await db.exec("CREATE TABLE person (id UUID PRIMARY KEY, email TEXT)")
                try await db.engine.enable("person", on: db.sql)
                try await db.engine.versioned(on: db.sql) {
                    try await $0.raw("INSERT INTO person VALUES ('9ac05375-70fa-4d3f-bba9-0ed9d0e74ca1', 'ann@example.com')").run()
                }
                let upper = try await db.engine.redact("person", .key(["9AC05375-70FA-4D3F-BBA9-0ED9D0E74CA1"]), fields: ["email"], on: db.sql)
                #expect(upper.fields == 1 && upper.liveRows == 1, "\(upper)")
            }
            let verification = try await db.engine.verifySeal(on: db.sql)
            #expect(verification.isValid, "\(verification)")
            #expect(try SealTests.python(db) == "ok \(verification.headDigest!)")
            try await db.expectConsistent("doc")
        }
    }

    /// Article 1: inserted, then updated three times; article 2: inserted, updated, deleted;
    /// article 3: inserted. One transaction each.
    static func longHistory(_ db: TestContext) async throws {
        try await db.exec("CREATE TABLE article (id \(db.autoKey), name VARCHAR(255), content TEXT)")
        try await db.engine.install(on: db.sql)
        try await db.engine.enable("article", on: db.sql)
        for statement in [
            "INSERT INTO article (id, name) VALUES (1, 'a1')", "INSERT INTO article (id, name) VALUES (2, 'b1')",
            "UPDATE article SET name = 'a2' WHERE id = 1", "UPDATE article SET name = 'b2' WHERE id = 2",
            "UPDATE article SET name = 'a3' WHERE id = 1", "DELETE FROM article WHERE id = 2",
            "INSERT INTO article (id, name) VALUES (3, 'c1')", "UPDATE article SET name = 'a4' WHERE id = 1",
        ] {
            try await db.engine.versioned(on: db.sql, meta: ["step": statement.prefix(6).lowercased()]) { try await $0.raw(SQLQueryString(statement)).run() }
        }
    }

    @Test("history sealed before salts (no salt column) still verifies, and a redaction over it keeps verify green", arguments: TestDatabase.allCases)
    func sealedBeforeSalts(_ database: TestDatabase) async throws {
        try await database.run { db in
            _ = try await SealTests.history(db)
            // The seal table as the first release made it.
            try await db.exec(
                "CREATE TABLE _continuum_seal (transaction_id BIGINT NOT NULL PRIMARY KEY, entry_digest VARCHAR(64) NOT NULL, chain_digest VARCHAR(64) NOT NULL)")
            let old = try await db.engine.seal(batchSize: 1_000, waitingAtMost: .seconds(10), windowItems: 10_000, salted: false, on: db.sql)
            #expect(try await Self.count(db, "SELECT COUNT(*) FROM _continuum_seal WHERE salt IS NULL") == old.sealedTransactions)
            #expect(try await db.engine.verifySeal(expectedDigest: old.headDigest, on: db.sql).isValid)
            try await db.engine.redact("article", .key(["1"]), fields: ["name"], on: db.sql)
            let after = try await db.engine.verifySeal(expectedDigest: old.headDigest, on: db.sql)
            #expect(after.isValid, "\(after)")
            #expect(after.redactedFields == 2)
            // New transactions are salted; the old ones keep their unsalted digests.
            #expect(try await Self.count(db, "SELECT COUNT(*) FROM _continuum_seal WHERE salt IS NOT NULL") == 1)
            #expect(try SealTests.python(db) == "ok \(after.headDigest!)")
        }
    }

    @Test("prune keeps the last versions, starts chains with an INSERT, removes emptied transactions, and verify stays green", arguments: TestDatabase.allCases)
    func pruneKeepLast(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.longHistory(db)
            let published = try await db.engine.seal(on: db.sql).headDigest
            let dry = try await db.engine.prune(keepLast: 2, dryRun: true, on: db.sql)
            #expect(dry.versions == ["article": 3])
            #expect(try await Self.count(db, "SELECT COUNT(*) FROM article_version") == 8)

            let report = try await db.engine.prune(keepLast: 2, batchSize: 2, userID: "ops", on: db.sql)
            #expect(report.versions == ["article": 3])
            #expect(report.transactions == 3)
            #expect(report.chainStarts == 2)
            #expect(report.eventTransactionIDs.count == 2)
            let versions = try await db.versions("article_version", ["id", "name"])
            #expect(versions.map { [$0[0], $0[1], $0[4]] } == [["1", "a3", "0"], ["1", "a4", "1"], ["2", "b2", "0"], ["2", "b2", "2"], ["3", "c1", "0"]])
            let verification = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(verification.isValid, "\(verification)")
            #expect(verification.prunedVersions == 3)
            #expect(verification.chainStarts == 2)
            #expect(verification.redactedFields == 0)
            #expect(verification.prunedTransactions == 3)
            #expect(try await db.engine.verifySeal(expectedDigest: published, window: 1, on: db.sql) == verification)
            // Windows cut short after each transaction's version rows or patches.
            #expect(try await db.engine.verifySeal(expectedDigest: published, window: 1_000, windowItems: 1, on: db.sql) == verification)
            try await db.expectConsistent("article")
            // The emptied transactions are gone with their metadata.
            #expect(try await Self.count(db, "SELECT COUNT(*) FROM transaction_meta WHERE key = 'step' AND value = 'insert'") == 1)
            #expect(try SealTests.python(db) == "ok \(verification.headDigest!)")

            // Tampering with what the prune left or recorded is detected.
            let start = try await db.rows("SELECT CAST(transaction_id AS TEXT) FROM article_version WHERE id = 1 ORDER BY transaction_id").first![0]!
            let event = report.eventTransactionIDs[0]
            for (statement, expected) in [
                ("UPDATE article_version SET operation_type = 1 WHERE id = 1 AND transaction_id = \(start)", Int(start)!),
                ("DELETE FROM _continuum_seal_patch WHERE event_id = \(event) AND field = ''", event),
                ("UPDATE _continuum_seal_patch SET digest = '00' WHERE event_id = \(event) AND table_name = ''", event),
            ] {
                let undo = try await SealTests.snapshot(db)
                try await db.exec(statement)
                let problems = try await db.engine.verifySeal(on: db.sql).problems
                #expect(problems.contains { $0.transactionID == expected }, "\(statement): \(problems)")
                try await SealTests.restore(db, undo)
            }
        }
    }

    @Test("prune works key range by key range on composite text and binary keys: each row keeps its last version, verify stays green", arguments: TestDatabase.allCases)
    func pruneKeyRanges(_ database: TestDatabase) async throws {
        try await database.run { db in
            let blob = db.kind == .sqlite ? "BLOB" : "BYTEA"
            try await db.exec(
                "CREATE TABLE doc (owner VARCHAR(20), n INTEGER, body TEXT, PRIMARY KEY (owner, n))",
                "CREATE TABLE blobby (k \(blob) PRIMARY KEY, v TEXT)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("doc", on: db.sql)
            try await db.engine.enable("blobby", on: db.sql)
            let hex: @Sendable (Int) -> String = { i in db.kind == .sqlite ? "X'\(String(format: "%04x", i * 37))'" : "'\\x\(String(format: "%04x", i * 37))'" }
            for round in 0..<3 {
                try await db.engine.versioned(on: db.sql) { sql in
                    for i in 0..<20 {
                        let owner = ["Zoë", "al'ice", "bob", "a b"][i % 4]
                        if round == 0 {
                            try await sql.raw("INSERT INTO doc (owner, n, body) VALUES (\(bind: owner), \(bind: i), 'r0')").run()
                            try await sql.raw(SQLQueryString(String("INSERT INTO blobby (k, v) VALUES (\(hex(i)), 'r0')"))).run()
                        } else {
                            try await sql.raw("UPDATE doc SET body = \(bind: "r\(round)") WHERE owner = \(bind: owner) AND n = \(bind: i)").run()
                            try await sql.raw(SQLQueryString(String("UPDATE blobby SET v = 'r\(round)' WHERE k = \(hex(i))"))).run()
                        }
                    }
                }
            }
            let published = try await db.engine.seal(on: db.sql).headDigest
            // Batches of 7 versions: ranges end inside owners and cut the blobs into many ranges.
            let report = try await db.engine.prune(keepLast: 1, batchSize: 7, on: db.sql)
            #expect(report.versions == ["doc": 40, "blobby": 40])
            #expect(report.chainStarts == 40)
            #expect(try await Self.count(db, "SELECT COUNT(*) FROM doc_version WHERE operation_type = 0 AND body = 'r2'") == 20)
            #expect(try await Self.count(db, "SELECT COUNT(*) FROM blobby_version WHERE operation_type = 0 AND v = 'r2'") == 20)
            #expect(try await Self.count(db, "SELECT COUNT(*) FROM blobby_version") == 20)
            #expect(try await db.engine.verifySeal(expectedDigest: published, on: db.sql).isValid)
            try await db.expectConsistent("doc", "blobby")
            #expect(try await db.engine.prune(keepLast: 1, batchSize: 7, on: db.sql).totalVersions == 0)
        }
    }

    @Test("PostgreSQL: prune ranges over a key of citext and integer compare each column with its own type's operators")
    func pruneCitextKeyRanges() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.createCitext()
            try await db.exec("CREATE TABLE member (email public.citext, n INTEGER, note TEXT, PRIMARY KEY (email, n))")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("member", on: db.sql)
            // Case-insensitive order differs from the text order ('BOB' < 'ann' < 'bob' as text).
            let emails = ["ann@x", "BOB@x", "Carl", "alice", "bob@w", "Zed"]
            for round in 0..<3 {
                try await db.engine.versioned(on: db.sql) { sql in
                    for (i, email) in emails.enumerated() {
                        for n in 0..<2 {
                            if round == 0 {
                                try await sql.raw("INSERT INTO member VALUES (\(bind: email), \(bind: n * 10 + i), 'r0')").run()
                            } else {
                                try await sql.raw("UPDATE member SET note = \(bind: "r\(round)") WHERE email = \(bind: email) AND n = \(bind: n * 10 + i)").run()
                            }
                        }
                    }
                }
            }
            let published = try await db.engine.seal(on: db.sql).headDigest
            let report = try await db.engine.prune(keepLast: 1, batchSize: 4, on: db.sql)
            #expect(report.versions == ["member": 24])
            #expect(try await Self.count(db, "SELECT COUNT(*) FROM member_version WHERE operation_type = 0 AND note = 'r2'") == 12)
            #expect(try await Self.count(db, "SELECT COUNT(*) FROM member_version") == 12)
            #expect(try await db.engine.verifySeal(expectedDigest: published, on: db.sql).isValid)
            try await db.expectConsistent("member")
        }
    }

    @Test("prune by age removes whole histories of deleted rows and keeps every live row's current version", arguments: TestDatabase.allCases)
    func pruneOlderThan(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.longHistory(db)
            let published = try await db.engine.seal(on: db.sql).headDigest
            #expect(try await db.engine.prune(olderThan: Date().addingTimeInterval(-3_600), on: db.sql).totalVersions == 0)
            let report = try await db.engine.prune(olderThan: Date().addingTimeInterval(3_600), tables: ["article"], on: db.sql)
            #expect(report.versions == ["article": 6])
            let versions = try await db.versions("article_version", ["id", "name"])
            #expect(versions.map { [$0[0], $0[1], $0[4]] } == [["1", "a4", "0"], ["3", "c1", "0"]])
            #expect(try await db.engine.verifySeal(expectedDigest: published, on: db.sql).isValid)
            try await db.expectConsistent("article")
            await #expect(throws: ContinuumError.pruneRuleMissing) { try await db.engine.prune(on: db.sql) }
            await #expect(throws: ContinuumError.invalidKeepLast(0)) { try await db.engine.prune(keepLast: 0, on: db.sql) }
            await #expect(throws: ContinuumError.tableNotVersioned("nope")) { try await db.engine.prune(keepLast: 1, tables: ["nope"], on: db.sql) }
        }
    }

    @Test("prune while writers update the same rows: no write fails or is lost, chains and seals stay valid", arguments: TestDatabase.allCases)
    func pruneWhileWriting(_ database: TestDatabase) async throws {
        try await database.run(connectionsPerEventLoop: 4) { db in
            try await db.exec("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("counter", on: db.sql)
            try await db.engine.versioned(on: db.sql) { sql in
                for id in 0..<20 { try await sql.raw("INSERT INTO counter (id, n) VALUES (\(bind: id), 0)").run() }
            }
            for _ in 0..<4 { try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE counter SET n = n + 1").run() } }
            let published = try #require(try await db.engine.seal(on: db.sql).headDigest)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<3 {
                    group.addTask {
                        for step in 0..<15 {
                            let id = (writer * 7 + step) % 20
                            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE counter SET n = n + 1 WHERE id = \(bind: id)").run() }
                        }
                    }
                }
                group.addTask {
                    for _ in 0..<3 { try await db.engine.prune(keepLast: 2, batchSize: 7, on: db.sql) }
                }
                try await group.waitForAll()
            }
            // Every update is in the live rows, and the newest two versions of each row remain.
            #expect(try await db.rows("SELECT CAST(SUM(n) AS TEXT) FROM counter") == [[String(20 * 4 + 45)]])
            try await db.expectConsistent("counter")
            try await db.engine.prune(keepLast: 2, on: db.sql)
            #expect(try await db.count("counter_version") == 40)
            let report = try await db.engine.verifySeal(expectedDigest: published, on: db.sql)
            #expect(report.isValid && report.unsealedTransactions == 0, "\(report)")
            #expect(try SealTests.python(db) == "ok \(report.headDigest!)")
        }
    }

    @Test("PostgreSQL: prune by key ranges on timestamp keys in a session whose DateStyle is not ISO")
    func pruneDateStyle() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.exec("CREATE TABLE reading (at TIMESTAMP PRIMARY KEY, v INTEGER)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("reading", on: db.sql)
            try await db.engine.versioned(on: db.sql) {
                try await $0.raw("INSERT INTO reading SELECT TIMESTAMP '2026-01-13 10:00' + g * INTERVAL '1 day', 0 FROM generate_series(1, 30) AS g").run()
            }
            for _ in 0..<2 { try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE reading SET v = v + 1").run() } }
            let report = try await db.sql.withSession { session in
                try await session.raw("SET DateStyle = 'SQL, DMY'").run()
                return try await db.engine.prune(keepLast: 1, batchSize: 7, on: session)
            }
            #expect(report.versions == ["reading": 60])
            #expect(try await db.count("reading_version") == 30)
            #expect(try await db.engine.verifySeal(on: db.sql).isValid)
            try await db.expectConsistent("reading")
        }
    }

    @Test("SHA-256 matches the FIPS 180-4 test vectors")
    func sha256() {
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(bytes: [UInt8](repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("the article's Python verifier is the one the tests run")
    func articleHoldsTheVerifier() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let article = try String(contentsOf: root.appendingPathComponent("Sources/ContinuumSQL/ContinuumSQL.docc/SealingHistory.md"), encoding: .utf8)
        let script = try String(contentsOf: root.appendingPathComponent("Tests/Interop/seal_verify.py"), encoding: .utf8)
        #expect(article.contains("```python\n" + script + "```"))
    }
}
