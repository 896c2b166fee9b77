import ContinuumSQL
import Foundation
import SQLKit
import Testing

@Suite("PostgreSQL specifics", .serialized)
struct PostgreSQLTests {
    @Test("json, jsonb, point, xml and array columns: no-op updates write nothing, real changes are versioned")
    func typesWithoutEquality() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.exec(
                """
                CREATE TABLE doc (id SERIAL PRIMARY KEY, j json, jb jsonb, p point, x xml, tags text[], js json[], pts point[])
                """)
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("doc", options: .init(tracksModifiedColumns: true), on: db.sql)
            let values = """
                '{"a": 1}', '{"b": [1, 2]}', point(1, 2), '<a>1</a>', ARRAY['x', 'y'], ARRAY['{"k": 1}'::json], ARRAY[point(0, 0)]
                """
            try await db.engine.versioned(on: db.sql) { sql in
                let insert = "INSERT INTO doc (id, j, jb, p, x, tags, js, pts) VALUES (1, \(values))"
                try await sql.raw(SQLQueryString(insert)).run()
            }
            try await db.engine.versioned(on: db.sql) { sql in
                let update = "UPDATE doc SET (j, jb, p, x, tags, js, pts) = (\(values)) WHERE id = 1"
                try await sql.raw(SQLQueryString(update)).run()
            }
            #expect(try await db.count("doc_version") == 1)
            #expect(try await db.count("transaction") == 1)
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("UPDATE doc SET p = point(3, 4), js = ARRAY['{\"k\": 2}'::json] WHERE id = 1").run()
            }
            #expect(
                try await db.rows(
                    """
                    SELECT CAST(p_mod AS TEXT), CAST(js_mod AS TEXT), CAST(j_mod AS TEXT), CAST(tags_mod AS TEXT)
                    FROM doc_version WHERE transaction_id = 2
                    """) == [["1", "1", "0", "0"]])
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("UPDATE doc SET j = NULL WHERE id = 1").run()
            }
            #expect(try await db.count("doc_version") == 3)
        }
    }

    @Test("transaction_changes is recorded once per entity and transaction, and again after a savepoint rollback undid it")
    func changesAfterSavepointRollback() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.createSeedTables()
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("article", on: db.sql)
            try await db.engine.enable("tag", on: db.sql)
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO article (name) VALUES ('a'), ('b')").run()
                try await sql.raw("SAVEPOINT s").run()
                try await sql.raw("INSERT INTO tag (name, article_id) VALUES ('t', 1)").run()
                try await sql.raw("ROLLBACK TO SAVEPOINT s").run()
                try await sql.raw("UPDATE article SET name = 'c' WHERE id = 1").run()
                try await sql.raw("INSERT INTO tag (name, article_id) VALUES ('u', 2)").run()
            }
            #expect(
                try await db.rows("SELECT CAST(transaction_id AS TEXT), entity_name FROM transaction_changes ORDER BY entity_name") == [
                    ["1", "article"], ["1", "tag"],
                ])
            // A second transaction records its entities anew.
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE article SET name = 'd'").run() }
            #expect(try await db.count("transaction_changes") == 3)
            try await db.expectConsistent("article", "tag")
        }
    }

    @Test("updates are versioned per statement on plain tables (a key swap under a deferred key included), per row under partitioning or inheritance")
    func updateTriggerLevel() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.exec(
                "CREATE TABLE plain (id int PRIMARY KEY, v text)",
                "CREATE TABLE deferred (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED, v text)",
                "CREATE TABLE parted (id int, region int, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region)",
                "CREATE TABLE parted_1 PARTITION OF parted FOR VALUES IN (1)",
                "CREATE TABLE parted_2 PARTITION OF parted FOR VALUES IN (2)",
                "CREATE TABLE base (id int PRIMARY KEY, v text)",
                "CREATE TABLE derived (extra text) INHERITS (base)",
                "ALTER TABLE derived ADD PRIMARY KEY (id)"
            )
            try await db.engine.install(on: db.sql)
            let tables = ["plain", "deferred", "parted", "derived"]
            for table in tables { try await db.engine.enable(table, on: db.sql) }
            // tgtype bit 0: a row-level trigger.
            let levels = try await db.rows(
                """
                SELECT c.relname::text, CASE WHEN t.tgtype & 1 = 1 THEN 'row' ELSE 'statement' END
                FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                WHERE t.tgname = 'continuum_update' AND c.relname IN ('plain', 'deferred', 'parted', 'derived') ORDER BY 1
                """)
            #expect(levels == [["deferred", "statement"], ["derived", "row"], ["parted", "row"], ["plain", "statement"]])
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO plain VALUES (1, 'a'), (2, 'b')").run()
                try await sql.raw("INSERT INTO deferred VALUES (1, 'a'), (2, 'b')").run()
                try await sql.raw("INSERT INTO parted VALUES (1, 1, 'a'), (2, 2, 'b')").run()
                try await sql.raw("INSERT INTO derived VALUES (1, 'a', 'e'), (2, 'b', 'e')").run()
            }
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("UPDATE plain SET v = v || '2'").run()
                // A deferred key lets one statement swap two keys: each key keeps its own history.
                try await sql.raw("UPDATE deferred SET id = 3 - id").run()
                // Through the parent, and straight into a partition (a statement trigger on the
                // parent would not see the latter).
                try await sql.raw("UPDATE parted SET v = 'a2' WHERE id = 1").run()
                try await sql.raw("UPDATE parted_2 SET v = 'b2'").run()
                // Rows of the inheritance child, updated through its parent.
                try await sql.raw("UPDATE base SET v = v || '2'").run()
            }
            #expect(
                try await db.versions("plain_version", ["id", "v"]) == [
                    ["1", "a", "1", "2", "0"], ["1", "a2", "2", nil, "1"], ["2", "b", "1", "2", "0"], ["2", "b2", "2", nil, "1"],
                ])
            #expect(
                try await db.versions("deferred_version", ["id", "v"]) == [
                    ["1", "a", "1", "2", "0"], ["1", "b", "2", nil, "1"], ["2", "b", "1", "2", "0"], ["2", "a", "2", nil, "1"],
                ])
            #expect(
                try await db.versions("parted_version", ["id", "v"]) == [
                    ["1", "a", "1", "2", "0"], ["1", "a2", "2", nil, "1"], ["2", "b", "1", "2", "0"], ["2", "b2", "2", nil, "1"],
                ])
            #expect(
                try await db.versions("derived_version", ["id", "v"]) == [
                    ["1", "a", "1", "2", "0"], ["1", "a2", "2", nil, "1"], ["2", "b", "1", "2", "0"], ["2", "b2", "2", nil, "1"],
                ])
            for table in tables { try await db.expectConsistent(table) }

            // A versioned plain table that later gains an inheritance child: drift says so, sync
            // switches it to the row-level update trigger.
            try await db.exec("CREATE TABLE plain_child (extra text) INHERITS (plain)")
            let drift = try #require(try await db.engine.checkDrift("plain", on: db.sql))
            // The row-level trigger's column guard is missing too (it comes with the switch).
            #expect(
                drift.problems == [
                    .triggersMissing(["continuum_row_columns"]),
                    .triggersOutdated("the update trigger runs per statement, but the table is now partitioned, a partition or part of an inheritance tree"),
                ])
            try await db.engine.sync("plain", on: db.sql)
            #expect(try await db.engine.checkDrift("plain", on: db.sql) == nil)
            #expect(try await db.updateTriggerLevel("plain") == "row")
        }
    }

    @Test("under a deferrable key, the row-level trigger versions key swaps and shifts as the statement-level one does")
    func perRowKeySwaps() async throws {
        try await TestDatabase.postgres.run { db in
            for table in ["by_row", "by_statement"] {
                try await db.exec("CREATE TABLE \(table) (id int PRIMARY KEY DEFERRABLE, v text)")
            }
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("by_row", options: .init(tracksModifiedColumns: true, updateTrigger: .perRow), on: db.sql)
            try await db.engine.enable("by_statement", options: .init(tracksModifiedColumns: true), on: db.sql)
            #expect(try await db.updateTriggerLevel("by_row") == "row")
            for table in ["by_row", "by_statement"] {
                let transactions = [
                    ["INSERT INTO \(table) VALUES (1, 'one'), (2, 'two'), (3, 'three')"],
                    // A swap: each row's old key is taken by the other row of the statement.
                    ["UPDATE \(table) SET id = CASE id WHEN 1 THEN 2 WHEN 2 THEN 1 ELSE 3 END"],
                    // A shift: 1, 2, 3 become 2, 3, 4 (key 1 goes, key 4 arrives).
                    ["UPDATE \(table) SET id = id + 1"],
                    // A change, then a shift back.
                    ["UPDATE \(table) SET v = v || '!' WHERE id = 2", "UPDATE \(table) SET id = id - 1"],
                    // A key inserted in this transaction, then swapped with an older one: key 4 stays an INSERT.
                    ["INSERT INTO \(table) VALUES (4, 'four')", "UPDATE \(table) SET id = 7 - id WHERE id IN (3, 4)"],
                ]
                for statements in transactions {
                    try await db.engine.versioned(on: db.sql) { sql in
                        for statement in statements { try await sql.raw(SQLQueryString(stringLiteral: statement)).run() }
                    }
                }
            }
            // Transaction ids differ between the tables: compare them by rank.
            func ranked(_ rows: [[String?]]) -> [[String?]] {
                let order = Set(rows.flatMap { [$0[3], $0[4]] }.compactMap { $0.flatMap { Int($0) } }).sorted()
                return rows.map { row in
                    var row = row
                    for index in [3, 4] { row[index] = row[index].flatMap { Int($0) }.map { String(order.firstIndex(of: $0)!) } }
                    return row
                }
            }
            let byRow = ranked(try await db.versions("by_row_version", ["id", "v", "v_mod"]))
            #expect(
                byRow == [
                    ["1", "one", "1", "0", "1", "0"], ["1", "two", "1", "1", "2", "1"], ["1", "two", "1", "2", "3", "2"],
                    ["1", "two!", "1", "3", nil, "0"],
                    ["2", "two", "1", "0", "1", "0"], ["2", "one", "1", "1", "2", "1"], ["2", "two", "1", "2", "3", "1"],
                    ["2", "one", "1", "3", nil, "1"],
                    ["3", "three", "1", "0", "2", "0"], ["3", "one", "1", "2", "3", "1"], ["3", "three", "1", "3", "4", "1"],
                    ["3", "four", "1", "4", nil, "1"],
                    ["4", "three", "1", "2", "3", "0"], ["4", "three", "1", "3", "4", "2"], ["4", "three", "1", "4", nil, "0"],
                ])
            #expect(byRow == ranked(try await db.versions("by_statement_version", ["id", "v", "v_mod"])))
            #expect(try await db.rows("SELECT CAST(id AS TEXT), v FROM by_row ORDER BY id") == [["1", "two!"], ["2", "one"], ["3", "four"], ["4", "three"]])
            try await db.expectConsistent("by_row", "by_statement")
        }
    }

    @Test("an inheritance parent's history is its own rows: backfill, verify, both reverts and redact leave a child's row under the same key alone")
    func inheritanceParentOwnRows() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.exec(
                "CREATE TABLE animal (id int PRIMARY KEY, name text)", "CREATE TABLE dog (breed text) INHERITS (animal)",
                "INSERT INTO animal VALUES (1, 'generic')", "INSERT INTO dog VALUES (1, 'rex', 'collie'), (2, 'fido', 'pug')")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("animal", on: db.sql)
            // The backfill versions the parent's own row, not the dogs (it failed on key 1 before).
            #expect(try await db.rows("SELECT CAST(id AS TEXT), name FROM animal_version ORDER BY id") == [["1", "generic"]])
            try await db.expectConsistent("animal")
            let dogs = [["1", "rex"], ["2", "fido"]]
            func dogRows() async throws -> [[String?]] { try await db.rows("SELECT CAST(id AS TEXT), name FROM dog ORDER BY id") }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE ONLY animal SET name = 'changed' WHERE id = 1").run() }
            let update = try await db.engine.transactions(limit: 1, on: db.sql)[0].id
            try await db.engine.revert(transaction: update, on: db.sql)
            #expect(try await db.rows("SELECT name FROM ONLY animal") == [["generic"]])
            #expect(try await dogRows() == dogs)
            // Reverting the row to before its history began deletes the parent's row only.
            try await db.engine.revert("animal", key: ["id": "1"], to: 0, on: db.sql)
            #expect(try await db.rows("SELECT CAST(COUNT(*) AS TEXT) FROM ONLY animal") == [["0"]])
            #expect(try await dogRows() == dogs)
            try await db.engine.revert("animal", key: ["id": "1"], to: update, on: db.sql)
            #expect(try await db.rows("SELECT name FROM ONLY animal") == [["changed"]])
            try await db.engine.redact("animal", .key(["1"]), fields: ["name"], on: db.sql)
            #expect(try await db.rows("SELECT name FROM ONLY animal") == [[nil]])
            #expect(try await dogRows() == dogs)
            try await db.expectConsistent("animal")
        }
    }

    @Test("a key left and taken within one statement keeps its history: INSERT ... ON CONFLICT moving a row away, a swap across partitions")
    func keysTakenWithinAStatement() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.exec(
                "CREATE TABLE moved_by_row (id int PRIMARY KEY, v text)", "CREATE TABLE moved_by_statement (id int PRIMARY KEY, v text)",
                "CREATE TABLE parted (id int, v text, PRIMARY KEY (id) DEFERRABLE) PARTITION BY RANGE (id)",
                "CREATE TABLE parted_low PARTITION OF parted FOR VALUES FROM (0) TO (100)",
                "CREATE TABLE parted_high PARTITION OF parted FOR VALUES FROM (100) TO (200)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("moved_by_row", options: .init(tracksModifiedColumns: true, updateTrigger: .perRow), on: db.sql)
            try await db.engine.enable("moved_by_statement", options: .init(tracksModifiedColumns: true), on: db.sql)
            try await db.engine.enable("parted", on: db.sql)
            for table in ["moved_by_row", "moved_by_statement"] {
                try await db.engine.versioned(on: db.sql) { sql in try await sql.raw(SQLQueryString(stringLiteral: "INSERT INTO \(table) VALUES (1, 'a')")).run() }
                // Row 1 moves to 101 and a new row takes key 1: key 1 is updated, 101 inserted.
                try await db.engine.versioned(on: db.sql) { sql in
                    try await sql.raw(SQLQueryString(stringLiteral: "INSERT INTO \(table) VALUES (1, 'n'), (1, 'm') ON CONFLICT (id) DO UPDATE SET id = 101")).run()
                }
            }
            let moved = try await db.versions("moved_by_row_version", ["id", "v", "v_mod"])
            #expect(moved.map { [$0[0], $0[1], $0[2], $0[5]] } == [["1", "a", "1", "0"], ["1", "m", "1", "1"], ["101", "a", "1", "0"]])
            #expect(moved.map { [$0[0], $0[1], $0[2], $0[5]] } == (try await db.versions("moved_by_statement_version", ["id", "v", "v_mod"])).map { [$0[0], $0[1], $0[2], $0[5]] })
            // Rows that change partition arrive as a DELETE and an INSERT each.
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("INSERT INTO parted VALUES (1, 'a'), (150, 'c')").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE parted SET id = CASE id WHEN 1 THEN 150 ELSE 1 END").run() }
            #expect(
                try await db.versions("parted_version", ["id", "v"]).map { [$0[0], $0[1], $0[3] == nil ? "open" : "closed", $0[4]] } == [
                    ["1", "a", "closed", "0"], ["1", "c", "open", "1"], ["150", "c", "closed", "0"], ["150", "a", "open", "1"],
                ])
            try await db.expectConsistent("moved_by_row", "moved_by_statement", "parted")
        }
    }

    @Test("a table enabled with updateTrigger: .perRow versions its updates per row, keeps that through sync, and its history matches")
    func perRowUpdateTrigger() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.exec("CREATE TABLE single (id int PRIMARY KEY, v text, n int)", "CREATE TABLE bulk (id int PRIMARY KEY, v text, n int)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("single", options: .init(updateTrigger: .perRow), on: db.sql)
            try await db.engine.enable("bulk", on: db.sql)
            let levels = try await db.rows(
                """
                SELECT c.relname::text, CASE WHEN t.tgtype & 1 = 1 THEN 'row' ELSE 'statement' END
                FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                WHERE t.tgname IN ('continuum_update', 'continuum_columns') AND c.relname IN ('single', 'bulk') ORDER BY 1, 2
                """)
            #expect(levels == [["bulk", "row"], ["bulk", "statement"], ["single", "row"]])
            #expect(try await db.engine.versionedTable("single", on: db.sql).options.updateTrigger == .perRow)
            // The same writes on both tables leave the same history: single rows, a no-op, a key
            // change, a bulk update, and two updates of one row in one transaction.
            for table in ["single", "bulk"] {
                try await db.engine.versioned(on: db.sql) { sql in
                    try await sql.raw(SQLQueryString("INSERT INTO \(ident: table) SELECT g, 'v' || g, g FROM generate_series(1, 40) AS g")).run()
                }
                try await db.engine.versioned(on: db.sql) { sql in
                    try await sql.raw(SQLQueryString("UPDATE \(ident: table) SET v = 'one' WHERE id = 1")).run()
                    try await sql.raw(SQLQueryString("UPDATE \(ident: table) SET n = n WHERE id = 2")).run()
                    try await sql.raw(SQLQueryString("UPDATE \(ident: table) SET v = 'one again' WHERE id = 1")).run()
                }
                try await db.engine.versioned(on: db.sql) { sql in
                    try await sql.raw(SQLQueryString("UPDATE \(ident: table) SET id = 100 WHERE id = 3")).run()
                    try await sql.raw(SQLQueryString("UPDATE \(ident: table) SET n = n + 1")).run()
                }
            }
            // Transaction ids differ between the tables: compare them by rank.
            func ranked(_ rows: [[String?]]) -> [[String?]] {
                var ids: Set<Int> = []
                for row in rows {
                    for column in [row[3], row[4]] { if let id = column.flatMap({ Int($0) }) { ids.insert(id) } }
                }
                let order = ids.sorted()
                return rows.map { row -> [String?] in
                    var row = row
                    for index in [3, 4] { if let id = row[index].flatMap({ Int($0) }) { row[index] = String(order.firstIndex(of: id)!) } }
                    return row
                }
            }
            let single = try await db.versions("single_version", ["id", "v", "n"])
            // 40 inserts; row 1 twice in one transaction: one version; the no-op: none; the key move: two;
            // the bulk update in the same transaction: 39 (the moved key's version takes it).
            #expect(single.count == 82)
            let bulk: [[String?]] = ranked(try await db.versions("bulk_version", ["id", "v", "n"]))
            #expect(ranked(single) == bulk)
            try await db.expectConsistent("single", "bulk")
            // sync keeps the table's choice; drift is clean.
            try await db.engine.sync("single", on: db.sql)
            #expect(try await db.engine.checkDrift("single", on: db.sql) == nil)
            #expect(try await db.updateTriggerLevel("single") == "row")
        }
    }

    @Test("options saved before the update-trigger choice existed read as per statement")
    func optionsWithoutUpdateTrigger() throws {
        let old = #"{"excludedColumns":["views"],"tracksModifiedColumns":true,"requiresScope":false}"#
        let options = try JSONDecoder().decode(TableVersioningOptions.self, from: Data(old.utf8))
        #expect(options == TableVersioningOptions(excludedColumns: ["views"], tracksModifiedColumns: true))
        #expect(options.updateTrigger == .perStatement)
    }

    @Test("a primary key changed by a BEFORE trigger is versioned as a key change, in small and bulk statements")
    func keyChangedByBeforeTrigger() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.exec(
                "CREATE TABLE box (id int PRIMARY KEY, v int)",
                """
                CREATE FUNCTION box_move() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
                    IF NEW.v = 99 THEN NEW.id := NEW.id + 1000; END IF;
                    RETURN NEW;
                END $$
                """,
                "CREATE TRIGGER box_move BEFORE UPDATE ON box FOR EACH ROW EXECUTE FUNCTION box_move()"
            )
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("box", on: db.sql)
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw(SQLQueryString("INSERT INTO box SELECT g, 0 FROM generate_series(1, 41) AS g")).run()
            }
            // One row (static SQL), then 40 rows (EXECUTEd SQL); neither names "id" in SET.
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE box SET v = 99 WHERE id = 1").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE box SET v = 99 WHERE id > 1 AND id < 1000").run() }
            #expect(try await db.count("box_version", where: "operation_type = 2") == 41)
            #expect(try await db.count("box_version", where: "operation_type = 0 AND id > 1000 AND end_transaction_id IS NULL") == 41)
            #expect(try await db.count("box_version", where: "end_transaction_id IS NULL AND operation_type <> 2") == 41)
            try await db.expectConsistent("box")
        }
    }

    @Test("an UPDATE by a role whose row-level security policy hides rows still versions every changed row")
    func rowLevelSecurity() async throws {
        try await TestDatabase.postgres.run { db in
            let role = "continuum_rls_\(UInt32.random(in: 0...UInt32.max))"
            let schema = try #require(db.schema)
            try await db.exec("CREATE TABLE few (id int PRIMARY KEY, owner text, body text)", "CREATE TABLE many (id int PRIMARY KEY, owner text, body text)")
            try await db.engine.install(on: db.sql)
            for table in ["few", "many"] { try await db.engine.enable(table, on: db.sql) }
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO few SELECT g, CASE WHEN g % 2 = 0 THEN 'me' ELSE 'them' END, 'a' FROM generate_series(1, 2) AS g").run()
                try await sql.raw("INSERT INTO many SELECT g, CASE WHEN g % 2 = 0 THEN 'me' ELSE 'them' END, 'a' FROM generate_series(1, 40) AS g").run()
            }
            try await db.exec(
                "CREATE ROLE \"\(role)\"",
                "GRANT USAGE ON SCHEMA \"\(schema)\" TO \"\(role)\"",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \"\(schema)\" TO \"\(role)\"",
                "GRANT USAGE ON ALL SEQUENCES IN SCHEMA \"\(schema)\" TO \"\(role)\""
            )
            for table in ["few", "many"] {
                try await db.exec(
                    "ALTER TABLE \(table) ENABLE ROW LEVEL SECURITY",
                    "CREATE POLICY anyone_updates ON \(table) FOR UPDATE USING (true)",
                    "CREATE POLICY own_rows ON \(table) FOR SELECT USING (owner = 'me')"
                )
            }
            do {
                for table in ["few", "many"] {
                    try await db.engine.versioned(on: db.sql) { sql in
                        let setRole = "SET LOCAL ROLE \"" + role + "\""
                        let update = "UPDATE " + table + " SET body = 'b'"
                        try await sql.raw(SQLQueryString(setRole)).run()
                        try await sql.raw(SQLQueryString(update)).run()
                    }
                }
                #expect(try await db.count("few_version", where: "end_transaction_id IS NULL AND body = 'b'") == 2)
                #expect(try await db.count("many_version", where: "end_transaction_id IS NULL AND body = 'b'") == 40)
                try await db.expectConsistent("few", "many")
            } catch {
                Issue.record(error)
            }
            try await db.exec("DROP OWNED BY \"\(role)\"", "DROP ROLE \"\(role)\"")
        }
    }

    @Test("names and values with backslashes work whatever standard_conforming_strings says")
    func backslashes() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.exec(#"CREATE TABLE "b\s" (id int PRIMARY KEY, "c\" text)"#)
            try await db.engine.install(on: db.sql)
            try await db.engine.enable(#"b\s"#, options: .init(tracksModifiedColumns: true, entityName: #"It\s"#), on: db.sql)
            for conforming in ["on", "off"] {
                try await db.engine.versioned(on: db.sql) { sql in
                    try await sql.raw(SQLQueryString("SET LOCAL standard_conforming_strings = " + conforming)).run()
                    try await sql.raw(SQLQueryString(#"INSERT INTO "b\s" SELECT g, 'v' FROM generate_series(1, 40) AS g ON CONFLICT (id) DO NOTHING"#)).run()
                    try await sql.raw(SQLQueryString(#"UPDATE "b\s" SET "c\" = "c\" || 'x'"#)).run()
                    try await sql.raw(SQLQueryString(#"UPDATE "b\s" SET "c\" = "c\" || 'y' WHERE id = 1"#)).run()
                }
            }
            // The first transaction's updates merge into its inserts; the second adds one version per row.
            #expect(try await db.count(#"b\s_version"#) == 80)
            #expect(try await db.rows(#"SELECT "c\" FROM "b\s_version" WHERE id = 1 ORDER BY transaction_id"#) == [["vxy"], ["vxyxy"]])
            #expect(try await db.rows(#"SELECT DISTINCT entity_name FROM transaction_changes"#) == [[#"It\s"#]])
            try await db.expectConsistent(#"b\s"#)
        }
    }

    @Test("a row changed again by an AFTER trigger during a bulk or single UPDATE is versioned as it ends up")
    func nestedUpdateByUserTrigger() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.exec(
                "CREATE TABLE doc (id int PRIMARY KEY, name text, stamp text)",
                // Named to fire before the continuum triggers: it updates the row again.
                """
                CREATE FUNCTION doc_stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
                    IF NEW.stamp IS DISTINCT FROM 'stamped ' || NEW.name THEN
                        UPDATE doc SET stamp = 'stamped ' || NEW.name WHERE id = NEW.id;
                    END IF;
                    RETURN NULL;
                END $$
                """,
                "CREATE TRIGGER a_stamp AFTER UPDATE OF name ON doc FOR EACH ROW EXECUTE FUNCTION doc_stamp()"
            )
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("doc", on: db.sql)
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw(SQLQueryString("INSERT INTO doc SELECT g, 'n' || g, NULL FROM generate_series(1, 40) AS g")).run()
            }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE doc SET name = 'one' WHERE id = 1").run() }
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE doc SET name = name || '!'").run() }
            // Every open version equals its live row.
            #expect(
                try await db.rows(
                    """
                    SELECT count(*)::text FROM doc d JOIN doc_version v ON v.id = d.id AND v.end_transaction_id IS NULL
                    WHERE v.name IS DISTINCT FROM d.name OR v.stamp IS DISTINCT FROM d.stamp
                    """) == [["0"]])
            #expect(try await db.rows("SELECT stamp FROM doc_version WHERE id = 1 AND end_transaction_id IS NULL") == [["stamped one!"]])
            try await db.expectConsistent("doc")
        }
    }

    @Test("a psql session with several statements in one transaction is one transaction row")
    func rawPsqlTransaction() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.createSeedTables()
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("article", on: db.sql)
            try await db.engine.enable("tag", on: db.sql)
            let schema = try #require(db.schema)
            let script = """
                BEGIN;
                INSERT INTO "\(schema)".article (id, name) VALUES (1, 'from psql');
                INSERT INTO "\(schema)".tag (id, name, article_id) VALUES (1, 't', 1);
                UPDATE "\(schema)".article SET name = 'edited in psql' WHERE id = 1;
                COMMIT;
                INSERT INTO "\(schema)".article (id, name) VALUES (2, 'autocommit');
                """
            try Psql.run(script)
            #expect(
                try await db.versions("article_version", ["id", "name"]) == [
                    ["1", "edited in psql", "1", nil, "0"],
                    ["2", "autocommit", "2", nil, "0"],
                ])
            #expect(try await db.versions("tag_version", ["id", "name"]) == [["1", "t", "1", nil, "0"]])
            #expect(try await db.count("transaction") == 2)
        }
    }

    @Test("a session that resets the transaction-id cache mid-transaction still writes one transaction")
    func cacheResetMidTransaction() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.createSeedTables()
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("article", on: db.sql)
            try await db.engine.enable("tag", on: db.sql)
            let schema = try #require(db.schema)
            let setting = try SecurityTests.cacheSetting(db)
            // The triggers cache the transaction's id in a setting; an application may clear
            // it (RESET ALL, or by hand) between writes. The row is then found again by the
            // database transaction's id, not created twice.
            try Psql.run(
                """
                BEGIN;
                INSERT INTO "\(schema)".article (id, name) VALUES (1, 'one');
                SELECT set_config('\(setting)', '', true);
                UPDATE "\(schema)".article SET name = 'one, edited' WHERE id = 1;
                RESET ALL;
                INSERT INTO "\(schema)".tag (id, name, article_id) VALUES (1, 't', 1);
                RESET ALL;
                DELETE FROM "\(schema)".tag WHERE id = 1;
                COMMIT;
                """)
            #expect(try await db.count("transaction") == 1)
            #expect(try await db.versions("article_version", ["id", "name"]) == [["1", "one, edited", "1", nil, "0"]])
            #expect(try await db.versions("tag_version", ["id", "name"]).isEmpty)
            #expect(
                try await db.rows("SELECT CAST(transaction_id AS TEXT), entity_name FROM transaction_changes ORDER BY entity_name")
                    == [["1", "article"], ["1", "tag"]])
            try await db.expectConsistent("article")
        }
    }
}

/// Runs the `psql` client against the test server, with no Swift in between.
enum Psql {
    struct Failed: Error, CustomStringConvertible { var description: String }

    /// The psql client: `CONTINUUM_PSQL` (set by scripts/test.sh) or the system's.
    static func executable() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let candidates = [environment["CONTINUUM_PSQL"], "/usr/bin/psql"].compactMap { $0 }
        guard let psql = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failed(description: "psql not found: run the tests through scripts/test.sh, or set CONTINUUM_PSQL")
        }
        return psql
    }

    /// Connection arguments for the test server.
    static var arguments: [String] {
        let environment = ProcessInfo.processInfo.environment
        return [
            "-X", "-q", "-v", "ON_ERROR_STOP=1",
            "-h", environment["POSTGRES_HOST"] ?? "127.0.0.1",
            "-p", environment["POSTGRES_PORT"] ?? "5432",
            "-U", environment["POSTGRES_USER"] ?? "postgres",
            "-d", environment["POSTGRES_DB"] ?? "postgres",
        ]
    }

    static func run(_ script: String) throws {
        let environment = ProcessInfo.processInfo.environment
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.executable())
        process.arguments = Self.arguments
        var childEnvironment = environment
        if let password = environment["POSTGRES_PASSWORD"], !password.isEmpty { childEnvironment["PGPASSWORD"] = password }
        process.environment = childEnvironment
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw Failed(description: "psql exited with \(process.terminationStatus): \(message)")
        }
    }
}
