import ContinuumSQL
import Foundation
import SQLKit
import Testing

/// Regression tests for changes the triggers missed, statements they choked on and migrations
/// that broke writes: each failed before its fix.
@Suite("Edges: types, migrations, wide tables, long names")
struct EdgeTests {
    // MARK: Type changes

    @Test("PostgreSQL: a migration that widens a column widens its history; a narrower version column is reported")
    func widenedColumn() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.exec("CREATE TABLE person (id INTEGER PRIMARY KEY, email VARCHAR(10))")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("person", on: db.sql)
            try await db.exec("INSERT INTO person VALUES (1, 'a@b.io')")
            try await db.engine.alter("person", on: db.sql) { sql in
                try await sql.raw("ALTER TABLE person ALTER COLUMN email TYPE VARCHAR(100)").run()
            }
            try await db.exec("INSERT INTO person VALUES (2, 'someone.long@example.org')")  // 24 characters
            try await db.exec("UPDATE person SET email = 'twenty-six-characters@x.io' WHERE id = 1")
            #expect(
                try await db.rows("SELECT CAST(format_type(atttypid, atttypmod) AS TEXT) AS t FROM pg_attribute WHERE attrelid = 'person_version'::regclass AND attname = 'email'") == [
                    ["character varying(100)"]
                ])
            #expect(try await db.engine.checkDrift(on: db.sql).isEmpty)
            try await db.expectConsistent("person")

            // A version column narrower than its live column (changed behind versioning's back).
            try await db.exec("ALTER TABLE person_version ALTER COLUMN email TYPE VARCHAR(40)")
            let report = try #require(try await db.engine.checkDrift("person", on: db.sql))
            #expect(report.problems == [.versionColumnTypesDiffer(["email"])])
            try await db.engine.sync("person", on: db.sql)
            #expect(try await db.engine.checkDrift(on: db.sql).isEmpty)
            try await db.exec("UPDATE person SET email = '\(String(repeating: "x", count: 60))' WHERE id = 2")
            try await db.expectConsistent("person")
        }
    }

    // MARK: Changes a type's equality hides

    @Test("PostgreSQL: a citext key's history reads by a String key in any case, as text and as typed values")
    func citextKeyHistory() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.createCitext()
            try await db.exec("CREATE TABLE login (email public.citext PRIMARY KEY, note TEXT)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("login", on: db.sql)
            try await db.engine.versioned(on: db.sql) { try await $0.raw("INSERT INTO login VALUES ('Ann@Example.com', 'a')").run() }
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE login SET note = 'b'").run() }
            for key in ["Ann@Example.com", "ann@example.com"] {
                #expect(try await db.engine.versions(of: "login", key: ["email": key], on: db.sql).count == 2, "\(key)")
                #expect(try await db.engine.textVersions(of: "login", key: ["email": key], on: db.sql).count == 2, "\(key)")
            }
        }
    }

    @Test("PostgreSQL: a citext change of case and a numeric change of scale are versions, row by row and in bulk")
    func citextAndNumeric() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.createCitext()
            try await db.exec("CREATE TABLE account (id INTEGER PRIMARY KEY, email public.citext, amount NUMERIC)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("account", options: .init(tracksModifiedColumns: true), on: db.sql)
            try await db.exec("INSERT INTO account SELECT i, 'User' || i || '@Example.com', 1.0 FROM generate_series(1, 40) AS i")
            try await db.exec("UPDATE account SET email = lower(email) WHERE id = 1")  // static path
            try await db.exec("UPDATE account SET amount = 1.000 WHERE id = 2")
            try await db.exec("UPDATE account SET email = upper(email) WHERE id > 2")  // bulk path, 38 rows
            try await db.exec("UPDATE account SET email = email, amount = amount")  // nothing visible changes
            let counts = try await db.rows("SELECT CAST(id AS TEXT) AS a, CAST(COUNT(*) AS TEXT) AS b FROM account_version WHERE id IN (1, 2, 3) GROUP BY id ORDER BY id")
            #expect(counts == [["1", "2"], ["2", "2"], ["3", "2"]])
            let flags = try await db.rows("SELECT CAST(email_mod AS TEXT) AS a, CAST(amount_mod AS TEXT) AS b FROM account_version WHERE id = 2 AND operation_type = 1")
            #expect(flags == [["0", "1"]])
            try await db.expectConsistent("account")
            // verify sees a difference only the image shows.
            try await db.exec("ALTER TABLE account DISABLE TRIGGER USER", "UPDATE account SET amount = 1.00000 WHERE id = 5", "ALTER TABLE account ENABLE TRIGGER USER")
            let report = try await db.engine.verify("account", on: db.sql)
            #expect(report.problems.count == 1)
        }
    }

    @Test("SQLite: a change of case in a NOCASE column is a version, and verify sees it")
    func nocase() async throws {
        try await TestDatabase.sqlite.run { db in
            try await db.exec("CREATE TABLE person (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT COLLATE NOCASE)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("person", options: .init(tracksModifiedColumns: true), on: db.sql)
            try await db.exec("INSERT INTO person (name) VALUES ('Alice')", "UPDATE person SET name = 'alice'", "UPDATE person SET name = 'alice'")
            #expect(try await db.versions("person_version", ["id", "name"]) == [["1", "Alice", "1", "2", "0"], ["1", "alice", "2", nil, "1"]])
            #expect(try await db.rows("SELECT CAST(name_mod AS TEXT) AS a FROM person_version WHERE transaction_id = 2") == [["1"]])
            try await db.expectConsistent("person")
            try await db.exec("DROP TRIGGER _continuum_person_update", "UPDATE person SET name = 'ALICE'")
            #expect(try await db.engine.verify("person", on: db.sql).problems == [.liveRowDiffers(key: ["1"])])
        }
    }

    /// The triggers find a version row by its rowid through the first of `rowid`, `oid` and
    /// `_rowid_` that no column shadows, and through the key when all three are columns.
    @Test("SQLite: columns named rowid, oid and _rowid_ do not mislead the triggers", arguments: [["rowid"], ["rowid", "oid"], ["rowid", "oid", "_rowid_"]])
    func rowidColumns(_ names: [String]) async throws {
        try await TestDatabase.sqlite.run { db in
            let columns = names.map { "\"\($0)\" INTEGER" }.joined(separator: ", ")
            let values = names.map { _ in "7" }.joined(separator: ", ")
            let list = names.map { "\"\($0)\"" }.joined(separator: ", ")
            try await db.exec("CREATE TABLE item (id INTEGER NOT NULL PRIMARY KEY, name TEXT, \(columns))")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("item", on: db.sql)
            try await db.exec(
                "INSERT INTO item (id, name, \(list)) VALUES (1, 'a', \(values)), (2, 'b', \(values))",
                "UPDATE item SET name = 'c'",
                "UPDATE item SET \"\(names[0])\" = 8 WHERE id = 1",
                "UPDATE item SET id = 3 WHERE id = 2",
                "DELETE FROM item WHERE id = 1"
            )
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO item (id, name) VALUES (4, 'd')").run()
                try await sql.raw("DELETE FROM item WHERE id = 4").run()
                try await sql.raw("UPDATE item SET name = 'e' WHERE id = 3").run()
                try await sql.raw("DELETE FROM item WHERE id = 3").run()
            }
            #expect(try await db.count("item_version", where: "end_transaction_id IS NULL") == 3)
            #expect(try await db.count("item_version", where: "id = 4") == 0)
            try await db.expectConsistent("item")
        }
    }

    /// A version table created `WITHOUT ROWID` (by hand, before `enable` adopted it) has no
    /// rowid to find a version by: the triggers find it by its key instead.
    @Test("tables named like the backfill's own query names are enabled with their rows (SQLite: circular reference)", arguments: TestDatabase.allCases)
    func tablesNamedLikeQueryNames(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.engine.install(on: db.sql)
            for table in ["b", "inserted", "l", "v"] {
                try await db.exec("CREATE TABLE \(SQLText.quoted(table)) (id INTEGER PRIMARY KEY, name TEXT)", "INSERT INTO \(SQLText.quoted(table)) VALUES (1, 'x'), (2, 'y')")
                try await db.engine.enable(table, on: db.sql)
                #expect(try await db.count(table + "_version") == 2, "\(table)")
                try await db.expectConsistent(table)
            }
        }
    }

    @Test("SQLite: an adopted WITHOUT ROWID version table keeps working", arguments: [false, true])
    func withoutRowidVersionTable(_ tracksModifiedColumns: Bool) async throws {
        try await TestDatabase.sqlite.run { db in
            let flags = tracksModifiedColumns ? ", name_mod BOOLEAN NOT NULL DEFAULT 0" : ""
            try await db.exec(
                "CREATE TABLE item (id INTEGER NOT NULL PRIMARY KEY, name TEXT)",
                """
                CREATE TABLE item_version (id INTEGER NOT NULL, name TEXT, transaction_id BIGINT NOT NULL, end_transaction_id BIGINT,
                operation_type SMALLINT NOT NULL\(flags), PRIMARY KEY (id, transaction_id)) WITHOUT ROWID
                """
            )
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("item", options: .init(tracksModifiedColumns: tracksModifiedColumns), on: db.sql)
            try await db.exec("INSERT INTO item (id, name) VALUES (1, 'a'), (2, 'b')", "UPDATE item SET name = 'c'", "DELETE FROM item WHERE id = 1")
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO item (id, name) VALUES (4, 'd')").run()
                try await sql.raw("DELETE FROM item WHERE id = 4").run()
                try await sql.raw("UPDATE item SET name = 'e' WHERE id = 2").run()
            }
            #expect(try await db.count("item_version") == 6)
            #expect(try await db.count("item_version", where: "end_transaction_id IS NULL") == 2)
            try await db.expectConsistent("item")
            // sync regenerates the triggers for it too.
            try await db.engine.sync("item", on: db.sql)
            try await db.exec("UPDATE item SET name = 'f' WHERE id = 2")
            #expect(try await db.count("item_version") == 7)
            try await db.expectConsistent("item")
        }
    }

    // MARK: Wide tables

    @Test("a table as wide as the database allows is versioned on every write path; a wider version table is refused", arguments: TestDatabase.allCases)
    func wideTables(_ database: TestDatabase) async throws {
        try await database.run { db in
            let width = database == .sqlite ? 999 : 1000
            let columns = (1..<width).map { "c\($0) INTEGER" }.joined(separator: ", ")
            try await db.exec("CREATE TABLE wide (id INTEGER PRIMARY KEY, \(columns))")
            try await db.engine.install(on: db.sql)
            // A version table past the database's column limit is refused before anything is created:
            // PostgreSQL 1,600 (1,000 columns with their _mod flags), SQLite 2,000 (1,000 columns with flags).
            try await db.exec("CREATE TABLE wider (id INTEGER PRIMARY KEY, \(columns), c\(width) INTEGER)")
            // id, c1...c<width>, their <width> flags, and the 3 bookkeeping columns.
            let refused = await #expect(throws: ContinuumError.tooManyColumns(table: "wider", columns: 2 * width + 4, limit: database == .sqlite ? 2000 : 1600)) {
                try await db.engine.enable("wider", options: .init(tracksModifiedColumns: true), on: db.sql)
            }
            #expect(refused?.description.contains(database == .sqlite ? "2,000" : "1,600") == true)
            #expect(refused?.code == .tooManyColumns)
            #expect(try await !db.tableExists("wider_version"))
            try await db.engine.enable("wide", on: db.sql)
            for id in 1...40 { try await db.exec("INSERT INTO wide (id, c1, c500) VALUES (\(id), \(id), 0)") }
            try await db.exec(
                "UPDATE wide SET c500 = 1 WHERE id = 1",
                "UPDATE wide SET c500 = c500 + 2, c\(width - 1) = 7",
                "UPDATE wide SET id = id + 100 WHERE id = 3",
                "DELETE FROM wide WHERE id = 4"
            )
            #expect(try await db.count("wide_version") == 40 + 1 + 40 + 2 + 1)
            try await db.expectConsistent("wide")
        }
    }

    // MARK: Names at PostgreSQL's limit

    @Test("PostgreSQL: derived names past 63 bytes are refused, never cut; long tables with a chosen version table work")
    func longNames() async throws {
        try await TestDatabase.postgres.run { db in
            let prefix = String(repeating: "p", count: 55)
            try await db.exec(
                "CREATE TABLE \"\(prefix)_alpha\" (id INTEGER PRIMARY KEY, v TEXT)",
                "CREATE TABLE \"\(prefix)_beta\" (id INTEGER PRIMARY KEY, v TEXT)",
                "CREATE TABLE longcol (id INTEGER PRIMARY KEY, \"\(String(repeating: "c", count: 63))\" TEXT)"
            )
            try await db.engine.install(on: db.sql)
            await #expect(throws: ContinuumError.versionTableNameTooLong(table: "\(prefix)_alpha", versionTable: "\(prefix)_alpha_version")) {
                try await db.engine.enable("\(prefix)_alpha", on: db.sql)
            }
            await #expect(throws: ContinuumError.modifiedFlagNameTooLong(table: "longcol", column: String(repeating: "c", count: 63))) {
                try await db.engine.enable("longcol", options: .init(tracksModifiedColumns: true), on: db.sql)
            }
            #expect(try await db.engine.versionedTables(on: db.sql).isEmpty)
            try await db.engine.enable("\(prefix)_alpha", options: .init(versionTableName: "alpha_version"), on: db.sql)
            try await db.engine.enable("\(prefix)_beta", options: .init(versionTableName: "beta_version"), on: db.sql)
            try await db.engine.enable("longcol", on: db.sql)
            try await db.exec("INSERT INTO \"\(prefix)_alpha\" VALUES (1, 'a')", "INSERT INTO \"\(prefix)_beta\" VALUES (1, 'b')")
            #expect(try await db.count("alpha_version") == 1)
            #expect(try await db.count("beta_version") == 1)
            try await db.expectConsistent("\(prefix)_alpha", "\(prefix)_beta")
        }
    }

    // MARK: Renumbering

    @Test("PostgreSQL: renumbering a transaction finds its versions by index, not by scanning the version table")
    func renumberingUsesIndexes() async throws {
        try await TestDatabase.postgres.run(connectionsPerEventLoop: 3) { db in
            try await SemanticsTests.setUp(db)
            try await db.exec("INSERT INTO item (id, name, qty) SELECT i, 'r', 0 FROM generate_series(1, 5000) AS i")
            try await db.exec("UPDATE item SET qty = 1", "ANALYZE item_version")
            // Counted inside the renumbered transaction itself: this backend's scans, nobody else's.
            let scans = try await db.sql.withSession { connection in
                @Sendable func counts() async throws -> (Int, Int) {
                    let row = try await connection.raw(
                        """
                        SELECT seq_scan AS s, COALESCE(idx_scan, 0) AS i FROM pg_stat_xact_user_tables WHERE relid = 'item_version'::regclass
                        """
                    ).first()!
                    return (try row.decode(column: "s", as: Int.self), try row.decode(column: "i", as: Int.self))
                }
                try await connection.raw("BEGIN").run()
                let before = try await counts()
                try await db.engine.versioned(on: connection, userID: "renumbered") { sql in
                    try await sql.raw("UPDATE item SET qty = 2 WHERE id = 1").run()
                    // Another transaction, younger, commits a version of row 2 first.
                    try await db.sql.raw("UPDATE item SET qty = 3 WHERE id = 2").run()
                    try await sql.raw("UPDATE item SET qty = 4 WHERE id = 2").run()
                }
                let after = try await counts()
                try await connection.raw("COMMIT").run()
                return (after.0 - before.0, after.1 - before.1)
            }
            // Counted by this backend (the view adds counts not yet flushed): no scan of the whole
            // version table, only index scans.
            #expect(scans.0 == 0)
            #expect(scans.1 > 0)
            // The renumbered transaction is the newest, and both chains are whole.
            let order = try await db.rows("SELECT CAST(user_id AS TEXT) AS a FROM \"transaction\" ORDER BY id DESC LIMIT 1")
            #expect(order == [["renumbered"]])
            try await db.expectConsistent("item")
        }
    }
}
