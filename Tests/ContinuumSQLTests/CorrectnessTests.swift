import ContinuumSQL
import FluentContinuum
import FluentKit
import FluentSQL
import FluentSQLiteDriver
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import Testing

/// Regression tests for defects a demanding user hit: each failed before its fix.
@Suite("Correctness regressions")
struct CorrectnessTests {
    /// Raw SQL built from test-owned names.
    static func query(_ text: String) -> SQLQueryString { SQLQueryString(text) }

    // MARK: 1. Two versioned schemas in one transaction (PostgreSQL)

    /// Runs `body` on one connection whose search path is `schema` for one transaction.
    static func inSchema<R: Sendable>(_ schema: String, _ db: TestContext, _ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await db.sql.withSession { connection in
            try await connection.raw("BEGIN").run()
            do {
                try await connection.raw("SELECT set_config('search_path', \(bind: SQLText.quoted(schema)), true)").run()
                let result = try await body(connection)
                try await connection.raw("COMMIT").run()
                return result
            } catch {
                try? await connection.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    @Test("PostgreSQL: two versioned schemas written in one transaction keep separate transactions, actors and meta, renumbering included")
    func twoSchemasInOneTransaction() async throws {
        try await TestDatabase.postgres.run(connectionsPerEventLoop: 4) { db in
            let tenant = db.schema! + "_tenant2"
            let home = db.schema!
            try await db.exec("DROP SCHEMA IF EXISTS \"\(tenant)\" CASCADE", "CREATE SCHEMA \"\(tenant)\"")
            for schema in [home, tenant] {
                try await Self.inSchema(schema, db) { sql in
                    try await sql.raw("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)").run()
                    try await db.engine.install(on: sql)
                    try await db.engine.enable("item", on: sql)
                }
            }
            let t = "\"\(tenant)\".item"
            // History in both schemas, so their transaction ids overlap.
            try await db.engine.versioned(on: db.sql, userID: "setup") { sql in
                try await sql.raw("INSERT INTO item (id, name) VALUES (1, 'home one')").run()
                try await sql.raw(Self.query("INSERT INTO \(t) (id, name) VALUES (1, 'tenant one'), (2, 'tenant two')")).run()
            }
            try await db.exec("INSERT INTO \(t) (id, name) VALUES (5, 'untouched')")

            // One transaction, interleaving writes to both schemas; another transaction commits
            // a tenant version in between, so closing it renumbers this transaction in the tenant.
            try await db.sql.withSession { connection in
                try await connection.raw("BEGIN").run()
                try await db.engine.versioned(on: connection, userID: "alice", remoteAddress: "10.0.0.7", meta: ["reason": "both"]) { sql in
                    try await sql.raw("UPDATE item SET name = 'home changed' WHERE id = 1").run()
                    try await sql.raw(Self.query("UPDATE \(t) SET name = 'tenant changed' WHERE id = 1")).run()
                    try await db.sql.raw(Self.query("UPDATE \(t) SET name = 'other writer' WHERE id = 2")).run()
                    try await sql.raw(Self.query("UPDATE \(t) SET name = 'alice after other' WHERE id = 2")).run()
                    try await sql.raw("INSERT INTO item (id, name) VALUES (2, 'home two')").run()
                    try await sql.raw(Self.query("INSERT INTO \(t) (id, name) VALUES (3, 'tenant three')")).run()
                }
                try await connection.raw("COMMIT").run()
            }

            for schema in [home, tenant] {
                let report = try await Self.inSchema(schema, db) { sql in try await db.engine.verify("item", on: sql) }
                #expect(report.isValid, "\(schema): \(report)")
            }
            // Each schema's transaction of the shared database transaction carries alice and the meta.
            for schema in [home, tenant] {
                let rows = try await db.rows(
                    """
                    SELECT CAST(t.user_id AS TEXT) AS a, CAST(t.remote_addr AS TEXT) AS b, CAST(m.value AS TEXT) AS c, CAST(COUNT(v.*) AS TEXT) AS d
                    FROM "\(schema)"."transaction" t LEFT JOIN "\(schema)".transaction_meta m ON m.transaction_id = t.id AND m.key = 'reason'
                    JOIN "\(schema)".item_version v ON v.transaction_id = t.id
                    WHERE t.user_id = 'alice' GROUP BY t.user_id, t.remote_addr, m.value
                    """)
                #expect(rows == [["alice", "10.0.0.7", "both", schema == home ? "2" : "3"]], "\(schema)")
            }
            // The other writer's version stands, as its own transaction without an actor, and ends at alice's.
            let other = try await db.rows(
                """
                SELECT CAST(v.name AS TEXT) AS a, CAST(t.user_id AS TEXT) AS b, CAST(v.end_transaction_id = a.id AS TEXT) AS c
                FROM "\(tenant)".item_version v JOIN "\(tenant)"."transaction" t ON t.id = v.transaction_id,
                     "\(tenant)"."transaction" a WHERE v.id = 2 AND v.name = 'other writer' AND a.user_id = 'alice'
                """)
            #expect(other == [["other writer", nil, "1"]])
            // Rows nobody touched keep their history.
            let untouched = try await db.rows("SELECT CAST(name AS TEXT) AS a, CAST(operation_type AS TEXT) AS b FROM \"\(tenant)\".item_version WHERE id = 5")
            #expect(untouched == [["untouched", "0"]])
            let setup = try await db.rows(
                """
                SELECT CAST(COUNT(*) AS TEXT) FROM "\(tenant)".item_version v JOIN "\(tenant)"."transaction" t ON t.id = v.transaction_id
                WHERE t.user_id = 'setup'
                """)
            #expect(setup == [["2"]])
            try await db.exec("DROP SCHEMA \"\(tenant)\" CASCADE")
        }
    }

    // MARK: Upgrading databases versioned by an older release

    @Test("tables versioned by an older release are reported as outdated, and sync upgrades them", arguments: TestDatabase.allCases)
    func olderFormatIsUpgradedBySync(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await SemanticsTests.setUp(db)
            // What an older release left: format 1 in the registry and, on PostgreSQL, no truncate trigger.
            try await db.exec("UPDATE _continuum_tables SET format_version = 1")
            if database == .postgres { try await db.exec("DROP TRIGGER continuum_truncate ON item") }
            let report = try #require(try await db.engine.checkDrift("item", on: db.sql))
            #expect(report.problems.contains { if case .triggersOutdated(let reason) = $0 { reason.contains("older version") } else { false } })
            #expect(report.fix.contains("sync"))
            if database == .postgres { #expect(report.problems.contains(.triggersMissing(["continuum_truncate"]))) }
            try await db.engine.sync("item", on: db.sql)
            #expect(try await db.engine.checkDrift(on: db.sql).isEmpty)
            try await db.exec("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)")
            if database == .postgres {
                try await db.exec("TRUNCATE item")
                #expect(try await db.count("item_version", where: "operation_type = 2") == 1)
            }
            try await db.expectConsistent("item")
        }
    }

    @Test("SQLite: format 3 triggers (the state row tested again after creating a transaction) are reported, and sync rewrites them")
    func sqliteFormat3IsUpgradedBySync() async throws {
        try await TestDatabase.sqlite.run { db in
            try await SemanticsTests.setUp(db)
            // What format 3 installed: the state row's condition repeated where format 4 reads `changes()`.
            let triggers = try await db.rows("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'item'")
            #expect(triggers.count == 4)
            for trigger in triggers {
                let (name, sql) = (try #require(trigger[0]), try #require(trigger[1]))
                let older = sql.replacingOccurrences(of: "WHERE changes()", with: #"WHERE "transaction_id" IS NULL OR NOT "active""#)
                #expect(older != sql)
                try await db.exec("DROP TRIGGER \"\(name)\"", older)
            }
            try await db.exec("UPDATE _continuum_tables SET format_version = 3")
            let report = try #require(try await db.engine.checkDrift("item", on: db.sql))
            #expect(report.problems.contains(.triggersOutdated("generated by an older version of swift-continuum (format 3, current 5)")))
            #expect(report.fix.contains("sync"))
            try await db.engine.sync("item", on: db.sql)
            #expect(try await db.engine.checkDrift(on: db.sql).isEmpty)
            #expect(try await db.rows("SELECT CAST(format_version AS TEXT) FROM _continuum_tables") == [["5"]])
            #expect(try await db.count("sqlite_master", where: "type = 'trigger' AND tbl_name = 'item' AND sql LIKE '%WHERE changes()%'") == 4)
            try await db.engine.versioned(on: db.sql, userID: "alice") { sql in
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1), (2, 'b', 2)").run()
                try await sql.raw("UPDATE item SET qty = qty + 1").run()
                try await sql.raw("DELETE FROM item WHERE id = 2").run()
            }
            try await db.exec("UPDATE item SET id = 3 WHERE id = 1")
            #expect(try await db.count("transaction") == 2)
            #expect(try await db.count("transaction_changes") == 2)
            try await db.expectConsistent("item")
        }
    }

    /// SQLite runs a trigger once per row: a statement of its body that copied rows to a
    /// temporary table (`OpenEphemeral`) would open and free one per row. `EXPLAIN` lists the
    /// trigger programs with the statement's own.
    @Test("SQLite: no trigger program opens a temporary table (the _mod insert's join excepted)", arguments: [false, true])
    func sqliteTriggersNeedNoTemporaryTable(_ tracksModifiedColumns: Bool) async throws {
        try await TestDatabase.sqlite.run { db in
            try await SemanticsTests.setUp(db, options: .init(tracksModifiedColumns: tracksModifiedColumns))
            var statements = ["UPDATE item SET qty = qty + 1", "DELETE FROM item WHERE id = 1"]
            // With `_mod` flags an insert version reads the previous one by a join (see insertStatements).
            if !tracksModifiedColumns { statements += ["INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)", "UPDATE item SET id = id + 1"] }
            for statement in statements {
                // The statement's program, then each trigger program, each from address 0 (the
                // statement itself may use a temporary table: once, not per row).
                let program = try await db.sql.raw("EXPLAIN \(unsafeRaw: statement)").all().map {
                    (address: try $0.decode(column: "addr", as: Int.self), opcode: try $0.decode(column: "opcode", as: String.self))
                }
                let triggers = program.dropFirst().drop { $0.address != 0 }
                #expect(!triggers.isEmpty, "\(statement) fires a trigger")
                #expect(!triggers.map(\.opcode).contains("OpenEphemeral"), "\(statement)")
            }
        }
    }

    // MARK: 2. Backfill at enable

    @Test("enable backfills an INSERT version of every existing row in one recorded transaction", arguments: TestDatabase.allCases)
    func enableBackfills(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE item (id \(db.autoKey), name TEXT, qty INTEGER)")
            for id in 1...25 { try await db.exec("INSERT INTO item (name, qty) VALUES ('row \(id)', \(id))") }
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("item", on: db.sql)
            try await db.expectConsistent("item")
            let versions = try await db.rows(
                """
                SELECT CAST(COUNT(*) AS TEXT) AS a, CAST(COUNT(DISTINCT transaction_id) AS TEXT) AS b,
                       CAST(MIN(operation_type) AS TEXT) AS c, CAST(MAX(operation_type) AS TEXT) AS d
                FROM item_version
                """)
            #expect(versions == [["25", "1", "0", "0"]])
            let meta = try await db.rows("SELECT CAST(key AS TEXT) AS a, CAST(value AS TEXT) AS b FROM transaction_meta")
            #expect(meta == [["continuum.backfill", "item"]])
            let changes = try await db.rows("SELECT CAST(entity_name AS TEXT) FROM transaction_changes")
            #expect(changes == [["item"]])
            // The first update of an old row is an UPDATE whose previous state is the backfilled one.
            try await db.exec("UPDATE item SET name = 'renamed' WHERE id = 3")
            let history = try await db.engine.versions(of: "item", key: ["id": 3], on: db.sql)
            #expect(try history.map { try $0.decode("name", as: String.self) } == ["row 3", "renamed"])
            #expect(history.map(\.operation) == [.insert, .update])
            try await db.expectConsistent("item")
        }
    }

    @Test("backfill runs in batches, can be stopped and resumed, and covers composite keys", arguments: TestDatabase.allCases)
    func backfillResumes(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE pair (kind VARCHAR(20) NOT NULL, n INTEGER NOT NULL, label TEXT, PRIMARY KEY (kind, n))")
            for kind in ["b", "a", "c"] {
                for n in [10, 2, 1, 7, 3, 11, 9] { try await db.exec("INSERT INTO pair VALUES ('\(kind)', \(n), '\(kind)\(n)')") }
            }
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("pair", backfill: false, on: db.sql)
            let before = try await db.engine.verify("pair", on: db.sql)
            #expect(before.problems.count == 21)
            // A write after enable: versioned by the triggers, then left alone by the backfill.
            try await db.exec("UPDATE pair SET label = 'changed' WHERE kind = 'c' AND n = 1")

            struct Stop: Error {}
            let seen = Counter()
            await #expect(throws: Stop.self) {
                try await db.engine.backfill("pair", batchSize: 5, on: db.sql) { progress in
                    seen.add(progress.rowsScanned)
                    if progress.rowsScanned >= 10 { throw Stop() }
                }
            }
            #expect(seen.values == [5, 10])
            #expect(try await db.count("pair_version") == 1 + 10)
            let resumed = try await db.engine.backfill("pair", batchSize: 5, on: db.sql)
            #expect(resumed.isFinished)
            // The rows the first run committed are not written again; the changed row keeps its UPDATE.
            #expect(resumed.versionsWritten == 21 - 10 - 1)
            #expect(try await db.count("pair_version") == 21)
            try await db.expectConsistent("pair")
            let transactions = try await db.rows("SELECT CAST(COUNT(*) AS TEXT) FROM transaction_meta WHERE key = 'continuum.backfill'")
            #expect(transactions == [["2"]])
            // Nothing left: a third run writes nothing and records no transaction.
            let again = try await db.engine.backfill("pair", on: db.sql)
            #expect(again.versionsWritten == 0 && again.transactionID == nil)
            #expect(try await db.count("transaction") == 3)
        }
    }

    @Test("backfill by primary key (SQLite WITHOUT ROWID, PostgreSQL) reads each batch's own key range and closes an adopted DELETE", arguments: TestDatabase.allCases)
    func backfillKeyRanges(_ database: TestDatabase) async throws {
        try await database.run { db in
            let withoutRowid = db.kind == .sqlite ? " WITHOUT ROWID" : ""
            try await db.exec("CREATE TABLE wr (k VARCHAR(10) NOT NULL, n INTEGER NOT NULL, v TEXT, PRIMARY KEY (k, n))\(withoutRowid)")
            for k in ["b", "a"] {
                for n in 1...6 { try await db.exec("INSERT INTO wr VALUES ('\(k)', \(n), '\(k)\(n)')") }
            }
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("wr", backfill: false, on: db.sql)
            // ('b', 2) deleted while versioned, then inserted again while not: its last version is
            // an open DELETE although the row exists (as in history adopted from elsewhere).
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("DELETE FROM wr WHERE k = 'b' AND n = 2").run() }
            try await db.engine.disable("wr", keepHistory: true, on: db.sql)
            try await db.exec("INSERT INTO wr VALUES ('b', 2, 'again')")
            try await db.engine.enable("wr", backfill: false, on: db.sql)
            let progress = try await db.engine.backfill("wr", batchSize: 5, on: db.sql)
            #expect(progress.isFinished && progress.versionsWritten == 12)
            // The DELETE version (the row had none before), closed by the backfill's INSERT.
            #expect(try await db.count("wr_version") == 13)
            #expect(
                try await db.rows(
                    "SELECT v, CAST(operation_type AS TEXT), CASE WHEN end_transaction_id IS NULL THEN 'open' ELSE 'closed' END FROM wr_version WHERE k = 'b' AND n = 2 ORDER BY transaction_id")
                    == [["b2", "2", "closed"], ["again", "0", "open"]]
            )
            try await db.expectConsistent("wr")
        }
    }

    @Test("the Fluent versioning migration backfills rows that predate it", arguments: TestDatabase.allCases)
    func fluentMigrationBackfills(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.fluent.schema("note").id().field("text", .string, .required).create()
            try await Note(text: "old").create(on: db.fluent)
            try await Continuum.migration.prepare(on: db.fluent)
            try await Note.versioning.prepare(on: db.fluent)
            let note = try #require(try await Note.query(on: db.fluent).first())
            note.text = "new"
            try await note.save(on: db.fluent)
            let versions = try await note.versions(on: db.fluent)
            #expect(versions.map(\.model.text) == ["old", "new"])
            #expect(versions[1].changeset["text"]?.description == "\"old\" → \"new\"")
            try await db.expectConsistent("note")
        }
    }

    // MARK: 3. TRUNCATE (PostgreSQL)

    @Test("PostgreSQL: TRUNCATE, with CASCADE to a versioned child, writes a DELETE version of every row")
    func truncateIsVersioned() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.exec(
                "CREATE TABLE team (id INTEGER PRIMARY KEY, name TEXT)",
                "CREATE TABLE member (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES team (id), name TEXT)"
            )
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("team", on: db.sql)
            try await db.engine.enable("member", on: db.sql)
            try await db.exec(
                "INSERT INTO team VALUES (1, 'one'), (2, 'two')",
                "INSERT INTO member VALUES (1, 1, 'ann'), (2, 2, 'bob')",
                "UPDATE team SET name = 'uno' WHERE id = 1"
            )
            try await db.engine.versioned(on: db.sql, userID: "wiper") { sql in
                try await sql.raw("INSERT INTO team VALUES (3, 'three')").run()
                try await sql.raw("TRUNCATE team CASCADE").run()
            }
            #expect(try await db.count("team") == 0)
            try await db.expectConsistent("team", "member")
            let teams = try await db.versions("team_version", ["id", "name"])
            #expect(teams.filter { $0.last == "2" }.map { [$0[0], $0[1]] } == [["1", "uno"], ["2", "two"]])
            #expect(teams.contains { $0[0] == "3" } == false)  // inserted and truncated in one transaction: nothing
            let members = try await db.versions("member_version", ["id", "name"])
            #expect(members.filter { $0.last == "2" }.map { [$0[0], $0[1]] } == [["1", "ann"], ["2", "bob"]])
            let actor = try await db.rows(
                """
                SELECT DISTINCT CAST(t.user_id AS TEXT) FROM team_version v JOIN "transaction" t ON t.id = v.transaction_id WHERE v.operation_type = 2
                """)
            #expect(actor == [["wiper"]])
        }
    }

    // MARK: 4. Column names that generated code uses (PostgreSQL)

    /// The variables, the block label and the implicit names the generated PL/pgSQL declares.
    static func generatedNames() throws -> [String] {
        let table = TableDescription(
            schema: "public", name: "sample",
            columns: [
                ColumnDescription(name: "id", type: "integer", isNotNull: true, primaryKeyPosition: 1),
                ColumnDescription(name: "name", type: "text", isNotNull: false, primaryKeyPosition: 0),
            ], versionsUpdatesPerStatement: true)
        let sql = try VersioningEngine().versioningSQL(for: table, options: .init(tracksModifiedColumns: true), dialect: .postgresql).joined(separator: "\n")
        var names: Set<String> = ["new", "old", "found", "tg_op", "tg_relid", "n1", "o1", "p", "l", "n", "o", "v", "continuum_old_1"]
        let declaration = try Regex(#"(?m)^\s+([a-z_][a-z0-9_]*) (?:bigint|boolean|record);$"#)
        for match in sql.matches(of: declaration) { names.insert(String(match.output[1].substring!)) }
        let label = try Regex(#"<<([a-z_]+)>>"#)
        for match in sql.matches(of: label) { names.insert(String(match.output[1].substring!)) }
        #expect(names.isSuperset(of: ["v_tx", "v_previous", "v_row", "continuum_fn"]))
        return names.sorted()
    }

    @Test("PostgreSQL: user columns named like every variable of the generated code (key included) are versioned on every path")
    func columnsNamedLikeVariables() async throws {
        let names = try Self.generatedNames()
        for staticLimit in [32, 0] {
            try await VersioningConfiguration.$staticPlanRowLimit.withValue(staticLimit) {
                try await TestDatabase.postgres.run { db in
                    let columns = names.filter { $0 != "v_tx" }.map { "\"\($0)\" INTEGER" }.joined(separator: ", ")
                    try await db.exec("CREATE TABLE odd (\"v_tx\" INTEGER PRIMARY KEY, \(columns))")
                    try await db.engine.install(on: db.sql)
                    try await db.engine.enable("odd", options: .init(tracksModifiedColumns: true), on: db.sql)
                    let others = names.filter { $0 != "v_tx" }
                    let list = others.map { "\"\($0)\"" }.joined(separator: ", ")
                    for key in 1...40 {
                        try await db.exec("INSERT INTO odd (\"v_tx\", \(list)) VALUES (\(key), \(others.map { _ in String(key) }.joined(separator: ", ")))")
                    }
                    try await db.exec(
                        "UPDATE odd SET \"v_previous\" = 100 WHERE \"v_tx\" = 1",
                        "UPDATE odd SET \"new\" = \"new\" + 1, \"old\" = 0",
                        "UPDATE odd SET \"v_tx\" = \"v_tx\" + 1000 WHERE \"v_tx\" = 2",
                        "UPDATE odd SET \"v_tx\" = \"v_tx\" + 100 WHERE \"v_tx\" <= 40",
                        "DELETE FROM odd WHERE \"v_tx\" = 103"
                    )
                    try await db.expectConsistent("odd")
                    let live = try await db.count("odd")
                    let deleted = try await db.count("odd_version", where: "operation_type = 2 AND end_transaction_id IS NULL")
                    try await db.exec("TRUNCATE odd")
                    try await db.expectConsistent("odd")
                    #expect(live == 39)
                    #expect(try await db.count("odd_version", where: "operation_type = 2 AND end_transaction_id IS NULL") == deleted + live)
                }
            }
        }
    }

    @Test("PostgreSQL: a table named like the generated block label is versioned")
    func tableNamedLikeLabel() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.exec("CREATE TABLE continuum_fn (id INTEGER PRIMARY KEY, v_tx INTEGER)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("continuum_fn", on: db.sql)
            try await db.exec("INSERT INTO continuum_fn VALUES (1, 1)", "UPDATE continuum_fn SET v_tx = 2", "DELETE FROM continuum_fn")
            try await db.expectConsistent("continuum_fn")
            #expect(try await db.count("continuum_fn_version") == 3)
        }
    }

    // MARK: 5, 6. Canonical values: JSON dictionaries and non-finite numbers

    @Test("changesets: an equal dictionary is unchanged, non-finite numbers are themselves", arguments: TestDatabase.allCases)
    func canonicalChangesets(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Gauge.create(on: db.fluent)
            let counts = Dictionary(uniqueKeysWithValues: (1...12).map { ("key\($0)", $0) })
            let gauge = Gauge(label: "a", counts: counts, reading: nil)
            try await gauge.save(on: db.fluent)
            var readings: [Double?] = [.infinity, -.infinity, 1.5]
            if database == .postgres { readings += [.nan, 2.5] }  // SQLite itself stores NaN as NULL
            for reading in readings {
                // A dictionary built in another order, the same value.
                gauge.counts = Dictionary(uniqueKeysWithValues: counts.sorted { $0.key > $1.key })
                gauge.reading = reading
                try await gauge.save(on: db.fluent)
            }
            let versions = try await gauge.versions(on: db.fluent)
            let changes = versions.dropFirst().map { $0.changeset.mapValues(\.description) }
            var expected: [[String: String]] = [
                ["reading": "NULL → inf"], ["reading": "inf → -inf"], ["reading": "-inf → 1.5"],
            ]
            if database == .postgres { expected += [["reading": "1.5 → nan"], ["reading": "nan → 2.5"]] }
            #expect(changes == expected)
            #expect(try versions[1].changeset["reading"]?.new(as: Double.self) == .infinity)
            try await db.expectConsistent("gauge")
        }
    }

    @Test("re-saving an equal JSON value writes no version; a real change does", arguments: TestDatabase.allCases)
    func equalJSONWritesNothing(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Gauge.create(on: db.fluent)
            let gauge = Gauge(label: "a", counts: ["x": 1, "y": 2, "z": 3], reading: 1)
            try await gauge.save(on: db.fluent)
            for _ in 0..<5 {
                gauge.counts = Dictionary(uniqueKeysWithValues: gauge.counts.shuffled())
                try await gauge.save(on: db.fluent)
            }
            // The stored text in other key orders and spacing: the same value.
            try await db.exec("UPDATE gauge SET counts = '{\"z\": 3, \"y\": 2, \"x\": 1}'")
            try await db.exec("UPDATE gauge SET counts = '{\"y\":2,\"x\":1,\"z\":3}'")
            #expect(try await Gauge.versionCount(id: gauge.requireID(), on: db.fluent) == 1)
            try await db.expectConsistent("gauge")
            // Different values, and a number that changed type, are changes.
            try await db.exec("UPDATE gauge SET counts = '{\"x\":1,\"y\":2,\"z\":4}'")
            try await db.exec("UPDATE gauge SET counts = '{\"x\":1,\"y\":2,\"z\":4.5}'")
            try await db.exec("UPDATE gauge SET counts = '{\"x\":1,\"y\":2}'")
            #expect(try await Gauge.versionCount(id: gauge.requireID(), on: db.fluent) == 4)
            try await db.expectConsistent("gauge")
        }
    }

    // MARK: 7. Keys SQLite reuses

    @Test("SQLite: reverting a deleted row whose key a new row took is refused, the new row untouched; AUTOINCREMENT keeps keys apart")
    func revertRefusesReusedKey() async throws {
        try await TestDatabase.sqlite.run { db in
            try await CreateFixtures().prepare(on: db.fluent)
            let first = Article(name: "first")
            try await first.save(on: db.fluent)
            let firstID = try first.requireID()
            let versions = try await first.versions(on: db.fluent)
            try await first.delete(on: db.fluent)
            let second = Article(name: "second, unrelated")
            try await second.save(on: db.fluent)
            #expect(second.id == firstID)  // SQLite reused the key
            await #expect(throws: ContinuumError.keyReused(table: "article", deletedIn: 2, reusedIn: 3)) {
                try await versions[0].revert(on: db.fluent)
            }
            #expect(try await Article.find(firstID, on: db.fluent)?.name == "second, unrelated")

            // The documented migration: AUTOINCREMENT on SQLite, and the key is never reused.
            try await db.fluent.schema("post")
                .field("id", .int, .identifier(auto: true), .sql(unsafeRaw: "AUTOINCREMENT"))
                .field("title", .string, .required)
                .create()
            let description = try #require(try await db.engine.describe("post", on: db.sql))
            #expect(description.reusesKeys == false)
            try await db.exec("INSERT INTO post (title) VALUES ('a')", "DELETE FROM post", "INSERT INTO post (title) VALUES ('b')")
            #expect(try await db.rows("SELECT CAST(id AS TEXT) FROM post") == [["2"]])
        }
    }

    // MARK: 8. SQLite scopes waiting for the write lock

    @Test("SQLite: four connections on a two-thread pool run 4 × 50 overlapping scopes to the end", arguments: ["engine", "Fluent"])
    func sqliteScopesDoNotDeadlock(_ api: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("continuum-tests")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("busy-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: file + suffix) } }
        let threads = NIOThreadPool(numberOfThreads: 2)
        threads.start()
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 4)
        let databases = Databases(threadPool: threads, on: loops)
        databases.use(.sqlite(.file(file)), as: .sqlite)
        let engine = VersioningEngine()
        let setup = databases.database(.sqlite, logger: Logger(label: "busy"), on: loops.any())! as! any SQLDatabase
        try await setup.raw("CREATE TABLE counter (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL)").run()
        try await engine.install(on: setup)
        try await engine.enable("counter", on: setup)
        for _ in 1...4 { try await setup.raw("INSERT INTO counter (n) VALUES (0)").run() }

        // Before the fix the workers never finish (a deadlock on the blocking pool), so they run
        // in a task the test does not wait on past its deadline.
        let outcome = Outcome()
        let work = Task {
            do {
                try await withThrowingTaskGroup(of: Void.self) { workers in
                    for (worker, loop) in loops.makeIterator().enumerated() {
                        let fluent = databases.database(.sqlite, logger: Logger(label: "busy"), on: loop)!
                        workers.addTask {
                            for round in 0..<50 {
                                @Sendable func write(_ sql: any SQLDatabase) async throws {
                                    try await sql.raw("UPDATE counter SET n = n + 1 WHERE id = \(bind: 1 + round % 4)").run()
                                    try await sql.raw("UPDATE counter SET n = n + 1 WHERE id = \(bind: 1 + (round + worker) % 4)").run()
                                }
                                if api == "Fluent" {
                                    try await fluent.versioned(userID: "worker \(worker)") { db in try await write(db as! any SQLDatabase) }
                                } else {
                                    try await engine.versioned(on: fluent as! any SQLDatabase, userID: "worker \(worker)") { try await write($0) }
                                }
                            }
                        }
                    }
                    try await workers.waitForAll()
                }
                outcome.set(nil)
            } catch {
                outcome.set(error)
            }
        }
        var waited = 0
        while !outcome.isSet && waited < 1800 {
            try await Task.sleep(for: .milliseconds(100))
            waited += 1
        }
        let finished = outcome.isSet
        #expect(finished, "the scopes did not finish within 180 seconds")
        guard finished else { return }  // the hung workers hold the pools: leave them
        _ = await work.result
        var failure = outcome.error
        if failure == nil {
            do {
                let total = try await setup.raw("SELECT SUM(n) AS n FROM counter").first()!.decode(column: "n", as: Int.self)
                #expect(total == 4 * 50 * 2)
                let report = try await engine.verify("counter", on: setup)
                #expect(report.isValid, "\(report)")
                let transactions = try await setup.raw("SELECT COUNT(*) AS n FROM \"transaction\" WHERE user_id LIKE 'worker %'").first()!
                    .decode(column: "n", as: Int.self)
                #expect(transactions == 4 * 50)
            } catch {
                failure = error
            }
        }
        await databases.shutdownAsync()
        try await loops.shutdownGracefully()
        try await threads.shutdownGracefully()
        if let failure { throw failure }
    }
}

/// How a background task ended.
final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    private var failure: (any Error)?
    func set(_ error: (any Error)?) { self.lock.withLock { (self.done, self.failure) = (true, error) } }
    var isSet: Bool { self.lock.withLock { self.done } }
    var error: (any Error)? { self.lock.withLock { self.failure } }
}

/// Collects values from a `@Sendable` closure.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Int] = []
    func add(_ value: Int) { self.lock.withLock { self.stored.append(value) } }
    var values: [Int] { self.lock.withLock { self.stored } }
}

/// A model with a JSON dictionary and a floating-point reading.
final class Gauge: Model, Versioned, @unchecked Sendable {
    static let schema = "gauge"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "label") var label: String
    @Field(key: "counts") var counts: [String: Int]
    @OptionalField(key: "reading") var reading: Double?

    init() {}
    init(label: String, counts: [String: Int], reading: Double?) {
        self.label = label
        self.counts = counts
        self.reading = reading
    }

    static func create(on database: any Database) async throws {
        try await database.schema(Self.schema)
            .field("id", .int, .identifier(auto: true))
            .field("label", .string, .required)
            .field("counts", .dictionary(of: .int), .required)
            .field("reading", .double)
            .create()
        try await Continuum.migration.prepare(on: database)
        try await Self.versioning.prepare(on: database)
    }
}
