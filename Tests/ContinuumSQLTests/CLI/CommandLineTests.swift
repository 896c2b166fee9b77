import ContinuumSQL
import Foundation
import SQLKit
import Testing

/// Every command of `continuum`, run through the built binary against a SQLite file and the
/// test PostgreSQL server (a schema of its own), checking stdout, stderr and the exit status.
@Suite("Command line")
struct CommandLineTests {
    /// article (3 rows before versioning) and tag, enabled through the command line.
    static func setUp(_ db: TestContext) async throws {
        try await db.exec(
            "CREATE TABLE article (id \(db.autoKey), name VARCHAR(255), content TEXT)",
            "CREATE TABLE tag (id \(db.autoKey), name VARCHAR(255), article_id INTEGER REFERENCES article (id) ON DELETE CASCADE)",
            "INSERT INTO article (name, content) VALUES ('First', 'a'), ('Second', 'b'), ('Third', NULL)"
        )
        try await db.cli(expecting: 0, "init")
        let enabled = try await db.cli(expecting: 0, "enable", "article", "tag")
        #expect(enabled.stdout.contains("enabled article (history in article_version): 3 existing rows versioned in transaction"))
        #expect(enabled.stdout.contains("enabled tag (history in tag_version)"))
        #expect(enabled.stderr.isEmpty, "no progress bar when stderr is not a terminal")
    }

    static func last(_ db: TestContext) async throws -> Int {
        try await db.engine.transactions(limit: 1, on: db.sql)[0].id
    }

    @Test("init, enable, status: the tables with their version counts, exit 0", arguments: TestDatabase.allCases)
    func status(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE unrelated (id INTEGER PRIMARY KEY)")
            let empty = try await db.cli(expecting: 1, "status")
            #expect(empty.stdout.contains("run `continuum init`"))
            try await Self.setUp(db)
            #expect(try await db.count("article_version") == 3)
            let again = try await db.cli(expecting: 0, "init")
            #expect(again.stdout.contains("already installed"))
            let status = try await db.cli(expecting: 0, "status")
            #expect(
                status.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) } == [
                    ["table", "version", "table", "entity", "versions", "options", "state"],
                    ["article", "article_version", "article", "3", "-", "ok"],
                    ["tag", "tag_version", "tag", "0", "-", "ok"],
                ])
            let json = try #require(try await db.cli(expecting: 0, "status", "--json").json() as? [String: Any])
            #expect(json["installed"] as? Bool == true)
            let tables = try #require(json["tables"] as? [[String: Any]])
            #expect(tables.map { $0["table"] as? String } == ["article", "tag"])
            #expect(tables[0]["versions"] as? Int == 3)
            #expect(tables[0]["fix"] is NSNull)
            // The update trigger is PostgreSQL's; SQLite versions every update per row, and says nothing.
            if database == .postgres {
                #expect(tables.map { $0["update_trigger"] as? String } == ["per-statement", "per-statement"])
            } else {
                #expect(tables.allSatisfy { $0["update_trigger"] is NSNull })
            }
            #expect(tables.map { $0["requires_scope"] as? Bool } == [false, false])
            let twice = try await db.cli(expecting: 2, "enable", "article")
            #expect(twice.stderr == "error: table \"article\" is already versioned: run `continuum sync article` after a schema change, or `continuum disable article` first\n")
        }
    }

    @Test("log, show, history, diff: who changed what, as tables and as JSON", arguments: TestDatabase.allCases)
    func reading(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            try await db.engine.versioned(on: db.sql, userID: "alice", remoteAddress: "10.0.0.1", meta: ["reason": "typo"]) { sql in
                try await sql.raw("UPDATE article SET name = 'First!' WHERE id = 1").run()
                try await sql.raw("INSERT INTO tag (name, article_id) VALUES ('swift', 1)").run()
            }
            let edit = try await Self.last(db)
            try await db.engine.versioned(on: db.sql, userID: "bob") { sql in
                try await sql.raw("DELETE FROM article WHERE id = 2").run()
            }
            let delete = try await Self.last(db)

            let log = try await db.cli(expecting: 0, "log")
            let lines = log.stdout.split(separator: "\n")
            #expect(lines.count == 4)
            #expect(lines[0].hasPrefix("id"))
            #expect(lines[1].hasPrefix("\(delete) ") && lines[1].contains(" bob "))
            #expect(lines[2].contains(" alice ") && lines[2].contains("10.0.0.1") && lines[2].contains("article, tag") && lines[2].hasSuffix("reason=typo"))
            #expect(lines[3].contains("continuum.backfill=article"))
            #expect(lines[1].contains("Z "), "UTC dates by default")
            let mine = try #require(try await db.cli(expecting: 0, "log", "--user", "alice", "--json").json() as? [[String: Any]])
            #expect(mine.count == 1)
            #expect(mine[0]["id"] as? Int == edit)
            #expect(mine[0]["meta"] as? [String: String] == ["reason": "typo"])
            #expect(mine[0]["changed_entities"] as? [String] == ["article", "tag"])
            #expect((mine[0]["issued_at"] as? String)?.hasSuffix("Z") == true)
            let tagged = try #require(try await db.cli(expecting: 0, "log", "--table", "tag", "--json").json() as? [[String: Any]])
            #expect(tagged.map { $0["id"] as? Int } == [edit])
            let future = try await db.cli(expecting: 0, "log", "--since", "2999-01-01")
            #expect(future.stdout == "no transaction matches\n")
            let past = try #require(try await db.cli(expecting: 0, "log", "--until", "2000-01-01T00:00:00Z", "--json").json() as? [Any])
            #expect(past.isEmpty)
            let limited = try #require(try await db.cli(expecting: 0, "log", "--limit", "1", "--json").json() as? [[String: Any]])
            #expect(limited.map { $0["id"] as? Int } == [delete])

            let show = try await db.cli(expecting: 0, "show", String(edit))
            #expect(show.stdout.contains("transaction \(edit)") && show.stdout.contains("user alice  from 10.0.0.1"))
            #expect(show.stdout.contains("meta: reason=typo"))
            let rows = show.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            #expect(rows.contains(["article", "id=1", "UPDATE", "name", "First", "First!"]))
            #expect(rows.contains(["tag", "id=1", "INSERT", "id", "NULL", "1"]))
            let shown = try #require(try await db.cli(expecting: 0, "show", String(edit), "--json").json() as? [String: Any])
            let versions = try #require(shown["versions"] as? [[String: Any]])
            #expect(versions.count == 2)
            #expect(versions[0]["table"] as? String == "article")
            #expect(versions[0]["key"] as? [String: String] == ["id": "1"])
            #expect(versions[0]["operation"] as? String == "UPDATE")
            #expect((versions[0]["changes"] as? [[String: Any]])?.first?["after"] as? String == "First!")
            let missing = try await db.cli(expecting: 2, "show", "999")
            #expect(missing.stderr == "error: no transaction 999 in the log: list transactions with `continuum log`\n")

            let history = try await db.cli(expecting: 0, "history", "article", "2")
            #expect(history.stdout.hasPrefix("article id=2: 2 versions\n"))
            #expect(history.stdout.contains("DELETE"))
            let json = try #require(try await db.cli(expecting: 0, "history", "article", "--key", "id=1", "--json").json() as? [[String: Any]])
            #expect(json.map { $0["operation"] as? String } == ["INSERT", "UPDATE"])
            #expect((json[1]["transaction"] as? [String: Any])?["user_id"] as? String == "alice")
            #expect((json[0]["values"] as? [String: Any])?["content"] as? String == "a")
            let third = try #require(try await db.cli(expecting: 0, "history", "article", "3", "--json").json() as? [[String: Any]])
            #expect((third[0]["values"] as? [String: Any])?["content"] is NSNull)

            let backfill = edit - 1
            let diff = try await db.cli(expecting: 0, "diff", "article", "--key", "id=1", "--from", String(backfill), "--to", String(delete))
            #expect(diff.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.last == ["name", "First", "First!"])
            let gone = try #require(try await db.cli(expecting: 0, "diff", "article", "2", "--from", String(backfill), "--to", String(delete), "--json").json() as? [String: Any])
            #expect(gone["exists_before"] as? Bool == true && gone["exists_after"] as? Bool == false)
            #expect((gone["changes"] as? [[String: Any]])?.count == 3)
        }
    }

    @Test("as-of and export stream the table as it was and every version", arguments: TestDatabase.allCases)
    func asOfAndExport(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            let backfill = try await Self.last(db)
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("UPDATE article SET name = 'One' WHERE id = 1").run()
                try await sql.raw("DELETE FROM article WHERE id = 3").run()
            }
            let change = try await Self.last(db)
            let then = try #require(try await db.cli(expecting: 0, "as-of", "article", "--transaction", String(backfill), "--json").json() as? [[String: Any]])
            #expect(then.map { $0["name"] as? String } == ["First", "Second", "Third"])
            let now = try #require(try await db.cli(expecting: 0, "as-of", "article", "--transaction", String(change), "--json").json() as? [[String: Any]])
            #expect(now.map { $0["name"] as? String } == ["One", "Second"])
            let human = try await db.cli(expecting: 0, "as-of", "article", "--transaction", String(change))
            #expect(
                human.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) } == [
                    ["article", "as", "of", "transaction", String(change)], ["id", "name", "content"], ["1", "One", "a"], ["2", "Second", "b"], ["2", "rows"],
                ])
            let byDate = try #require(try await db.cli(expecting: 0, "as-of", "article", "--date", "2999-01-01", "--json").json() as? [Any])
            #expect(byDate.count == 2)
            let early = try await db.cli(expecting: 2, "as-of", "article", "--date", "2000-01-01")
            #expect(early.stderr.contains("no transaction was issued at or before 2000-01-01 00:00:00Z"))
            try await db.cli(expecting: 64, "as-of", "article")

            let export = try await db.cli(expecting: 0, "export", "article")
            let lines = try export.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            #expect(lines.count == 5)
            #expect(lines.map { $0["key"] as? [String: String] } == [["id": "1"], ["id": "1"], ["id": "2"], ["id": "3"], ["id": "3"]])
            #expect(lines.map { $0["operation"] as? String } == ["INSERT", "UPDATE", "INSERT", "INSERT", "DELETE"])
            #expect(lines[0]["end_transaction_id"] as? Int == change)
            #expect(lines[1]["end_transaction_id"] is NSNull)
            let since = try await db.cli(expecting: 0, "export", "article", "--since", String(backfill))
            #expect(since.stdout.split(separator: "\n").count == 2)
        }
    }

    @Test("revert one row and revert a transaction, with dry run and conflicts", arguments: TestDatabase.allCases)
    func revert(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            let backfill = try await Self.last(db)
            try await db.engine.versioned(on: db.sql, userID: "oops") { sql in
                try await sql.raw("UPDATE article SET name = 'Wrong' WHERE id IN (1, 2)").run()
                try await sql.raw("DELETE FROM article WHERE id = 3").run()
            }
            let oops = try await Self.last(db)
            let restored = try await db.cli(expecting: 0, "revert", "article", "1", "--to", String(backfill), "--user", "ops")
            #expect(restored.stdout.hasPrefix("article id=1: restored to its values after transaction \(backfill) (transaction "))
            #expect(try await db.rows("SELECT name FROM article WHERE id = 1") == [["First"]])
            #expect(try await db.engine.transactions(limit: 1, on: db.sql)[0].userID == "ops")
            let plan = try await db.cli(expecting: 0, "revert-transaction", String(oops), "--dry-run")
            #expect(plan.stdout.hasPrefix("reverting transaction \(oops) would change 3 rows (1 conflict)"))
            #expect(plan.stdout.contains("changed again in"))
            let refused = try await db.cli(expecting: 2, "revert-transaction", String(oops))
            #expect(refused.stderr.contains("--on-conflict skip"))
            #expect(try await db.rows("SELECT name FROM article ORDER BY id") == [["First"], ["Wrong"]], "a refused revert writes nothing")
            let json = try #require(try await db.cli(expecting: 0, "revert-transaction", String(oops), "--on-conflict", "skip", "--json").json() as? [String: Any])
            #expect((json["changes"] as? [[String: Any]])?.filter { $0["skipped"] as? Bool == true }.count == 1)
            #expect(json["revert_transaction_id"] as? Int == (try await Self.last(db)))
            #expect(try await db.rows("SELECT name FROM article ORDER BY id") == [["First"], ["Second"], ["Third"]])
            // The reinserted row is back; reverting row 3 to before its insert deletes it.
            let deleted = try await db.cli(expecting: 0, "revert", "article", "--key", "id=3", "--to", String(backfill - 1))
            #expect(deleted.stdout.hasPrefix("article id=3: deleted"))
            let inserted = try await db.cli(expecting: 0, "revert", "article", "3", "--to", String(backfill))
            #expect(inserted.stdout.hasPrefix("article id=3: inserted again"))
            try await db.cli(expecting: 64, "revert-transaction", String(oops), "--on-conflict", "maybe")
            try await db.cli(expecting: 0, "verify")
            try await db.expectConsistent("article", "tag")
        }
    }

    @Test("disable, sync, backfill: drift makes status exit 1 with the fixing command", arguments: TestDatabase.allCases)
    func maintenance(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE note (id \(db.autoKey), body TEXT, secret TEXT)", "INSERT INTO note (body, secret) VALUES ('a', 's'), ('b', 't')")
            try await db.cli(expecting: 0, "init")
            let enabled = try await db.cli(expecting: 0, "enable", "note", "--no-backfill", "--exclude", "secret", "--track-modified")
            #expect(enabled.stdout.contains("existing rows not versioned (run `continuum backfill note`)"))
            let broken = try await db.cli(expecting: 1, "verify", "note")
            #expect(broken.stdout.contains("PROBLEM  note: 0 versions, 2 problems"))
            let backfilled = try await db.cli(expecting: 0, "backfill", "note")
            #expect(backfilled.stdout.hasPrefix("backfilled note: 2 of 2 rows had no version; versioned in transaction"))
            let again = try await db.cli(expecting: 0, "backfill", "note")
            #expect(again.stdout == "backfilled note: all 2 rows already had a version; nothing written\n")
            let verified = try await db.cli(expecting: 0, "verify", "--json")
            #expect((try verified.json() as? [String: Any])?["valid"] as? Bool == true)
            #expect(try await db.rows("SELECT CAST(body_mod AS TEXT) FROM note_version ORDER BY id") == [["1"], ["1"]])

            try await db.exec("ALTER TABLE note ADD COLUMN title TEXT")
            let drifted = try await db.cli(expecting: 1, "status")
            #expect(drifted.stdout.contains("drifted"))
            #expect(drifted.stdout.contains("fix: continuum sync note"))
            let synced = try await db.cli(expecting: 0, "sync", "note")
            #expect(synced.stdout == "synced note: versioning matches the table again\n")
            try await db.cli(expecting: 0, "status")
            try await db.cli(expecting: 64, "sync", "note", "--rename", "body")

            let disabled = try await db.cli(expecting: 0, "disable", "note")
            #expect(disabled.stdout == "disabled note; its history stays in note_version\n")
            #expect(try await db.tableExists("note_version"))
            try await db.cli(expecting: 0, "enable", "note")
            let dropped = try await db.cli(expecting: 0, "disable", "note", "--drop-history")
            #expect(dropped.stdout == "disabled note and dropped its history (note_version)\n")
            #expect(try await !db.tableExists("note_version"))
        }
    }

    @Test("verify finds broken history and exits 1, listing the rows", arguments: TestDatabase.allCases)
    func verify(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await Self.setUp(db)
            try await db.cli(expecting: 0, "verify")
            // A write the triggers never saw.
            try await db.exec("DELETE FROM article_version WHERE id = 2")
            let result = try await db.cli(expecting: 1, "verify")
            #expect(result.stdout.contains("PROBLEM  article: 2 versions, 1 problem\n  - a live row has no open INSERT or UPDATE version (key 2)"))
            #expect(result.stdout.contains("ok       tag: 0 versions, history consistent"))
            let json = try #require(try await db.cli(expecting: 1, "verify", "article", "--json").json() as? [String: Any])
            let tables = try #require(json["tables"] as? [[String: Any]])
            #expect((tables[0]["problems"] as? [[String: Any]])?.first?["kind"] as? String == "live_row_without_version")
        }
    }

    @Test("errors say what to do, exit 2 (64 for usage), and change nothing", arguments: TestDatabase.allCases)
    func errors(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE plain (id INTEGER PRIMARY KEY, v TEXT)")
            let noSchema = try await db.cli(expecting: 2, "log")
            #expect(noSchema.stderr == "error: this database has no versioning schema: run `continuum init`, then `continuum enable TABLE`\n")
            try await Self.setUp(db)
            let notVersioned = try await db.cli(expecting: 2, "history", "plain", "1")
            #expect(notVersioned.stderr == "error: table \"plain\" is not versioned: run `continuum enable plain` (`continuum status` lists the versioned tables)\n")
            let noTable = try await db.cli(expecting: 2, "enable", "nothing")
            #expect(noTable.stderr.contains("table \"nothing\" does not exist"))
            let noKey = try await db.cli(expecting: 2, "history", "article", "42")
            #expect(noKey.stderr == "error: table \"article\" has no history for key id=42: check the key, or version rows that predate versioning with `continuum backfill article`\n")
            let badKey = try await db.cli(expecting: 64, "history", "article", "--key", "name=x")
            #expect(badKey.stderr.contains("\"name\" is not a primary-key column of table \"article\""))
            try await db.cli(expecting: 64, "history", "article", "--key", "id")
            try await db.cli(expecting: 64, "history", "article")
            try await db.cli(expecting: 64, "log", "--since", "yesterday")
            try await db.cli(expecting: 64, "frobnicate")
            try await db.cli(expecting: 64, "log", "--nope")
            let versions = try await db.count("article_version")
            try await db.cli(expecting: 2, "revert", "article", "42", "--to", "1")
            #expect(try await db.count("article_version") == versions)
            try await db.cli(expecting: 0, "verify")

            let url = try await ContinuumCLI.run(["--database", "mysql://localhost/app", "status"])
            #expect(url.status == 64)
            #expect(url.stderr.contains("unrecognised database URL (scheme \"mysql\")"))
            let none = try await ContinuumCLI.run(["status"])
            #expect(none.status == 64 && none.stderr.contains("no database given"))
            let fromEnvironment = try await ContinuumCLI.run(
                ["status", "--json"] + (db.kind == .postgres ? ["--schema", db.schema!] : []),
                environment: [
                    "DATABASE_URL": db.kind == .sqlite ? "sqlite:\(db.file!)" : TestContext.postgresURL
                ])
            #expect(fromEnvironment.status == 0, "\(fromEnvironment)")
            let missingFile = try await ContinuumCLI.run(["--database", "sqlite:/nonexistent/app.sqlite", "status"])
            #expect(missingFile.status == 2 && missingFile.stderr.contains("the SQLite file /nonexistent/app.sqlite does not exist"))
        }
    }

    @Test("PostgreSQL: a refused connection, a missing schema, schema.table names")
    func postgres() async throws {
        try await TestDatabase.postgres.run { db in
            let refused = try await ContinuumCLI.run(["--database", "postgres://nobody@127.0.0.1:1/app?sslmode=disable", "status"])
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("cannot connect to postgres://nobody@127.0.0.1:1/app?sslmode=disable: the server refused the connection"), "\(refused)")
            let noSchema = try await ContinuumCLI.run(["--database", TestContext.postgresURL, "--schema", "no_such_schema", "status"])
            #expect(noSchema.status == 2 && noSchema.stderr.contains("PostgreSQL schema \"no_such_schema\" does not exist"))
            let schema = db.schema!
            try await db.exec("CREATE TABLE item (id SERIAL PRIMARY KEY, name TEXT)", "INSERT INTO item (name) VALUES ('x')")
            let base = ["--database", TestContext.postgresURL]
            #expect(try await ContinuumCLI.run(base + ["--schema", schema, "init"]).status == 0)
            let enabled = try await ContinuumCLI.run(base + ["enable", "\(schema).item"])
            #expect(enabled.status == 0, "\(enabled)")
            // The per-table choice of update trigger.
            try await db.exec("CREATE TABLE counter (id int PRIMARY KEY, n int)")
            let perRow = try await ContinuumCLI.run(base + ["enable", "\(schema).counter", "--update-trigger", "per-row"])
            #expect(perRow.status == 0, "\(perRow)")
            #expect(try await db.updateTriggerLevel("counter") == "row")
            // status names the choice, as text and as JSON.
            let status = try await ContinuumCLI.run(base + ["--schema", schema, "status"])
            #expect(status.stdout.split(separator: "\n").contains { $0.hasPrefix("counter ") && $0.contains("per-row updates") }, "\(status)")
            let statusJSON = try #require(try JSONSerialization.jsonObject(with: Data((try await ContinuumCLI.run(base + ["--schema", schema, "status", "--json"])).stdout.utf8)) as? [String: Any])
            let statusTables = try #require(statusJSON["tables"] as? [[String: Any]])
            #expect(statusTables.map { "\($0["table"] ?? ""):\($0["update_trigger"] ?? "")" } == ["counter:per-row", "item:per-statement"])
            // A partitioned table gets the row-level trigger whatever its options say, and status says so.
            try await db.exec(
                "CREATE TABLE parted (id int, k int, PRIMARY KEY (id, k)) PARTITION BY RANGE (k)",
                "CREATE TABLE parted_low PARTITION OF parted FOR VALUES FROM (0) TO (10)")
            #expect(try await ContinuumCLI.run(base + ["enable", "\(schema).parted"]).status == 0)
            let partedStatus = try await ContinuumCLI.run(base + ["--schema", schema, "status"])
            #expect(partedStatus.stdout.split(separator: "\n").contains { $0.hasPrefix("parted ") && $0.contains("per-row updates") }, "\(partedStatus)")
            let badChoice = try await ContinuumCLI.run(base + ["enable", "\(schema).counter", "--update-trigger", "sometimes"])
            #expect(badChoice.status == 64 && badChoice.stderr.contains("per-statement"), "\(badChoice)")
            let history = try await ContinuumCLI.run(base + ["history", "\(schema).item", "1", "--json"])
            #expect(history.status == 0 && history.stdout.contains("\"INSERT\""), "\(history)")
            let mixed = try await ContinuumCLI.run(base + ["--schema", "public", "verify", "\(schema).item"])
            #expect(mixed.status == 64 && mixed.stderr.contains("history lives in one schema at a time"))
            let sqlite = try await ContinuumCLI.run(["--database", "sqlite:/tmp/x.sqlite", "verify", "main.item"])
            #expect(sqlite.status == 64 && sqlite.stderr.contains("SQLite databases have no schemas"))

            // A schema and a table whose names need quoting, a generated column.
            let spaced = "\(schema) Sales"
            try await db.exec(
                "CREATE SCHEMA \"\(spaced)\"",
                "CREATE TABLE \"\(spaced)\".\"Order Lines\" (id SERIAL PRIMARY KEY, qty integer, doubled integer GENERATED ALWAYS AS (qty * 2) STORED)",
                "INSERT INTO \"\(spaced)\".\"Order Lines\" (qty) VALUES (1)"
            )
            do {
                let table = "\(spaced).Order Lines"
                let early = try await ContinuumCLI.run(base + ["enable", table])
                #expect(early.status == 2 && early.stderr.contains("run `continuum init` first (on PostgreSQL, with the same --schema"), "\(early)")
                let installed = try await ContinuumCLI.run(base + ["--schema", spaced, "init"])
                #expect(installed.stdout.hasPrefix("installed the shared schema in \(TestContext.postgresURL) (schema \"\(spaced)\"): "), "\(installed)")
                #expect(try await ContinuumCLI.run(base + ["enable", table]).status == 0)
                try await db.exec("UPDATE \"\(spaced)\".\"Order Lines\" SET qty = 5")
                let shown = try await ContinuumCLI.run(base + ["history", table, "1"])
                #expect(shown.stdout.split(separator: "\n").contains { $0.split(separator: " ") == ["doubled", "2", "10"] }, "\(shown)")
                let reverted = try await ContinuumCLI.run(base + ["revert", table, "1", "--to", "1"])
                #expect(reverted.status == 0, "a generated column is left to the database: \(reverted)")
                #expect(try await db.rows("SELECT CAST(doubled AS TEXT) FROM \"\(spaced)\".\"Order Lines\"") == [["2"]])
            }
            try await db.exec("DROP SCHEMA \"\(spaced)\" CASCADE")
        }
    }

    @Test("colour only when asked or on a terminal; --help on every command has an example")
    func presentation() async throws {
        try await TestDatabase.sqlite.run { db in
            try await Self.setUp(db)
            let plain = try await db.cli(expecting: 0, "status")
            #expect(!plain.stdout.contains("\u{1B}["))
            let coloured = try await db.cli(expecting: 0, "status", "--color", "always")
            #expect(coloured.stdout.contains("\u{1B}[32mok\u{1B}[0m"))
            let forced = try await db.cli("status", environment: ["FORCE_COLOR": "1"])
            #expect(forced.stdout.contains("\u{1B}["))
            let vetoed = try await db.cli("status", environment: ["FORCE_COLOR": "1", "NO_COLOR": "1"])
            #expect(!vetoed.stdout.contains("\u{1B}["))
            try await db.exec("UPDATE article SET content = '\(String(repeating: "x", count: 60))' WHERE id = 1")
            let cut = try await db.cli(expecting: 0, "as-of", "article", "--transaction", "999")
            #expect(cut.stdout.contains(String(repeating: "x", count: 39) + "…"))
            let full = try await db.cli(expecting: 0, "as-of", "article", "--transaction", "999", "--full")
            #expect(full.stdout.contains(String(repeating: "x", count: 60)))
            let local = try await db.cli("log", "--local", environment: ["TZ": "Asia/Tokyo"])
            #expect(local.status == 0 && local.stdout.contains(" +09:00"), "\(local)")
        }
        let commands = [
            "init", "enable", "disable", "sync", "status", "backfill", "log", "show", "history", "diff", "as-of", "revert",
            "revert-transaction", "verify", "export", "demo",
        ]
        for command in commands {
            let help = try await ContinuumCLI.run([command, "--help"])
            #expect(help.status == 0, "\(command): \(help)")
            #expect(help.stdout.contains("Example:"), "continuum \(command) --help has no example")
        }
    }
}
