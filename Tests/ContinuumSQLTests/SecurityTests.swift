import ContinuumSQL
import FluentKit
import FluentPostgresDriver
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import Testing

/// Attacks on history by a second database role, reproduced as that role on a real server.
@Suite("Security")
struct SecurityTests {
    /// A role of its own for one test, logged in over its own pool; dropped afterwards.
    struct Role: Sendable {
        var name: String
        var sql: any SQLDatabase
        var databases: Databases

        static func create(in db: TestContext, grants: [String]) async throws -> Role {
            let name = "continuum_writer_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
            try await db.exec("CREATE ROLE \"\(name)\" LOGIN")
            for grant in grants { try await db.exec(grant.replacingOccurrences(of: "$ROLE", with: "\"\(name)\"")) }
            var configuration = TestDatabase.postgresConfiguration
            configuration.coreConfiguration.username = name
            configuration.searchPath = [db.schema!]
            let databases = Databases(threadPool: NIOThreadPool.singleton, on: MultiThreadedEventLoopGroup.singleton)
            databases.use(.postgres(configuration: configuration, maxConnectionsPerEventLoop: 1), as: .init(string: name))
            var logger = Logger(label: "continuum-tests")
            logger.logLevel = .error
            let fluent = databases.database(.init(string: name), logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())!
            return Role(name: name, sql: fluent as! any SQLDatabase, databases: databases)
        }

        /// Runs `statements` in one transaction as this role; returns the error, if any.
        @discardableResult
        func transaction(_ statements: [String]) async -> (any Error)? {
            do {
                try await self.sql.withSession { connection in
                    try await connection.raw("BEGIN").run()
                    do {
                        for statement in statements { try await connection.raw(SQLQueryString(statement)).run() }
                        try await connection.raw("COMMIT").run()
                    } catch {
                        try? await connection.raw("ROLLBACK").run()
                        throw error
                    }
                }
                return nil
            } catch {
                return error
            }
        }

        func drop(in db: TestContext) async throws {
            await self.databases.shutdownAsync()
            try await db.exec("DROP OWNED BY \"\(self.name)\"", "DROP ROLE \"\(self.name)\"")
        }
    }

    /// The transaction-id cache setting of the test schema, read from the generated SQL.
    /// Mallory, with `CREATE` on the test schema, plants operators that an exact match prefers
    /// over `pg_catalog`'s: `=`, `<>`, `<`, `<=`, `>`, `>=` for `varchar` (which has none of its
    /// own) and `=` between `oid` and `regclass` (compared there through a cast). Each call
    /// records its left operand in `stolen`.
    static func plantOperators(_ db: TestContext) async throws -> Role {
        let schema = "\"\(db.schema!)\""
        let mallory = try await Role.create(in: db, grants: ["GRANT USAGE, CREATE ON SCHEMA \(schema) TO $ROLE"])
        var plants = ["CREATE TABLE \(schema).stolen (value TEXT)", "GRANT INSERT ON \(schema).stolen TO PUBLIC"]
        for (name, op) in [("spy_eq", "="), ("spy_lt", "<"), ("spy_gt", ">"), ("spy_le", "<="), ("spy_ge", ">="), ("spy_ne", "<>")] {
            plants.append(
                """
                CREATE FUNCTION \(schema).\(name)(a VARCHAR, b VARCHAR) RETURNS BOOLEAN LANGUAGE plpgsql AS $$
                BEGIN INSERT INTO \(schema).stolen VALUES ('\(op)' || a); RETURN a::text \(op) b::text; END $$
                """)
            plants.append("CREATE OPERATOR \(schema).\(op) (LEFTARG = VARCHAR, RIGHTARG = VARCHAR, FUNCTION = \(schema).\(name))")
        }
        plants.append(
            """
            CREATE FUNCTION \(schema).spy_oid(a OID, b REGCLASS) RETURNS BOOLEAN LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO \(schema).stolen VALUES ('oid'); RETURN a = CAST(b AS OID); END $$
            """)
        plants.append("CREATE OPERATOR \(schema).= (LEFTARG = OID, RIGHTARG = REGCLASS, FUNCTION = \(schema).spy_oid)")
        #expect(await mallory.transaction(plants) == nil)
        return mallory
    }

    static func cacheSetting(_ db: TestContext) throws -> String {
        let sql = VersioningEngine().sharedSchemaSQL(dialect: .postgresql, schema: db.schema!).joined(separator: "\n")
        let match = try #require(sql.firstMatch(of: try Regex(#"continuum\.tx_[0-9a-f]+"#)))
        return String(sql[match.range])
    }

    /// Today's deployment: the writer needs rights on the version and transaction tables.
    static func writerGrants(_ db: TestContext) -> [String] {
        let schema = "\"\(db.schema!)\""
        return [
            "GRANT USAGE ON SCHEMA \(schema) TO $ROLE",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \(schema) TO $ROLE",
            "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA \(schema) TO $ROLE",
        ]
    }

    /// Runs `script` with the sqlite3 client, as another program with access to the file would.
    static func sqlite3(_ file: String, _ script: String) throws {
        let executable = try #require(
            ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "the sqlite3 client is missing: scripts/test.sh installs it")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [file, script]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test("SQLite: a state row spoofed or left active by a client cannot attribute unscoped writes; verify reports it, the next scope repairs it")
    func sqliteStateRow() async throws {
        try await TestDatabase.sqlite.run { db in
            try await SemanticsTests.setUp(db)
            let file = try #require(db.file)
            // An inactive row with a leftover actor: unscoped writes stay anonymous.
            try Self.sqlite3(file, "UPDATE _continuum_state SET user_id = 'mallory', remote_addr = '6.6.6.6'")
            try await db.exec("INSERT INTO item (id, name, qty) VALUES (1, 'one', 1)")
            #expect(try await db.rows("SELECT CAST(user_id AS TEXT) AS a, CAST(remote_addr AS TEXT) AS b FROM \"transaction\"") == [[nil, nil]])
            // A row left active: verify says so, and the next scope starts clean.
            try Self.sqlite3(file, "UPDATE _continuum_state SET active = 1, transaction_id = 1, user_id = 'mallory'")
            #expect(try await db.engine.verify("item", on: db.sql).problems == [.staleScopeState])
            try await db.engine.versioned(on: db.sql, userID: "alice") { sql in
                try await sql.raw("UPDATE item SET qty = 2 WHERE id = 1").run()
            }
            let actors = try await db.rows("SELECT CAST(t.user_id AS TEXT) AS a FROM item_version v JOIN \"transaction\" t ON t.id = v.transaction_id ORDER BY v.transaction_id")
            #expect(actors == [[nil], ["alice"]])
            try await db.expectConsistent("item")
        }
    }

    @Test("SQLite: a scope whose body commits on its own and then fails leaves no active state behind", arguments: ["engine", "Fluent"])
    func sqliteScopeCommittedByBody(_ api: String) async throws {
        try await TestDatabase.sqlite.run { db in
            try await SemanticsTests.setUp(db)
            struct Failure: Error {}
            await #expect(throws: Failure.self) {
                if api == "engine" {
                    try await db.engine.versioned(on: db.sql, userID: "alice") { sql in
                        try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'one', 1)").run()
                        try await sql.raw("COMMIT").run()
                        throw Failure()
                    }
                } else {
                    try await db.fluent.versioned(userID: "alice") { database in
                        let sql = database as! any SQLDatabase
                        try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'one', 1)").run()
                        try await sql.raw("COMMIT").run()
                        throw Failure()
                    }
                }
            }
            #expect(try await db.rows("SELECT CAST(active AS TEXT) AS a FROM _continuum_state") == [["0"]])
            try await db.exec("INSERT INTO item (id, name, qty) VALUES (2, 'two', 2)")
            let actors = try await db.rows("SELECT CAST(t.user_id AS TEXT) AS a FROM item_version v JOIN \"transaction\" t ON t.id = v.transaction_id WHERE v.id = 2")
            #expect(actors == [[nil]])
            try await db.expectConsistent("item")
        }
    }

    @Test("PostgreSQL: an operator planted on the writers' search_path never runs inside versioning")
    func searchPathHijack() async throws {
        try await TestDatabase.postgres.run { db in
            let schema = "\"\(db.schema!)\""
            // Mallory may create objects in the schema the application's search_path names.
            let mallory = try await Role.create(in: db, grants: ["GRANT USAGE, CREATE ON SCHEMA \(schema) TO $ROLE"])
            #expect(
                await mallory.transaction([
                    "CREATE TABLE \(schema).stolen (value TEXT)",
                    "GRANT INSERT ON \(schema).stolen TO PUBLIC",
                    """
                    CREATE FUNCTION \(schema).spy(a VARCHAR, b VARCHAR) RETURNS BOOLEAN LANGUAGE plpgsql AS $$
                    BEGIN INSERT INTO \(schema).stolen VALUES (a); RETURN a::text = b::text; END $$
                    """,
                    // varchar has no exact `=` in pg_catalog, so an exact match anywhere on the path wins.
                    "CREATE OPERATOR \(schema).= (LEFTARG = VARCHAR, RIGHTARG = VARCHAR, FUNCTION = \(schema).spy)",
                ]) == nil)
            try await db.exec("CREATE TABLE code (code VARCHAR(20) PRIMARY KEY, label VARCHAR(20))")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("code", options: .init(tracksModifiedColumns: true), on: db.sql)
            try await db.engine.versioned(on: db.sql, userID: "alice") { sql in
                try await sql.raw("INSERT INTO code VALUES ('a', 'x'), ('b', 'y')").run()
            }
            for statement in [
                "UPDATE code SET label = 'z'",  // small path
                "INSERT INTO code SELECT 'k' || i, 'v' FROM generate_series(1, 40) AS i",
                "UPDATE code SET label = 'w'",  // set-based path
                "UPDATE code SET code = code || '_'",  // key moves
                "DELETE FROM code",
            ] {
                try await db.exec(statement)
            }
            #expect(try await db.count("stolen") == 0)
            try await db.expectConsistent("code")
            try await mallory.drop(in: db)
        }
    }

    @Test("PostgreSQL: operators planted on the owner's search_path never run inside seal, verifySeal, redact, prune, storage and verify")
    func searchPathHijackSeal() async throws {
        try await TestDatabase.postgres.run { db in
            let schema = "\"\(db.schema!)\""
            let mallory = try await Self.plantOperators(db)
            try await db.exec("CREATE TABLE code (code VARCHAR(20) PRIMARY KEY, label VARCHAR(20))")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("code", on: db.sql)
            for statement in [
                "INSERT INTO code VALUES ('a', 'x'), ('b', 'y'), ('c', 'z')", "UPDATE code SET label = 'w'", "UPDATE code SET label = 'v' WHERE code <> 'a'",
            ] {
                try await db.engine.versioned(on: db.sql) { try await $0.raw(SQLQueryString(statement)).run() }
            }
            try await db.exec("DELETE FROM \(schema).stolen")
            var leaks: [String: [String]] = [:]
            func record(_ step: String) async throws {
                let rows = try await db.rows("SELECT value FROM \(schema).stolen").map { $0[0] ?? "" }
                if !rows.isEmpty { leaks[step] = rows }
                try await db.exec("DELETE FROM \(schema).stolen")
            }
            try await db.engine.seal(on: db.sql)
            try await record("seal")
            _ = try await db.engine.verifySeal(on: db.sql)
            try await record("verifySeal")
            try await db.engine.prune(keepLast: 1, batchSize: 1, on: db.sql)
            try await record("prune")
            try await db.engine.redact("code", .key(["b"]), fields: ["label"], on: db.sql)
            try await record("redact")
            try await db.engine.redact("code", .value(column: "label", equals: "v"), fields: ["label"], on: db.sql)
            try await record("redact by value")
            _ = try await db.engine.storage(on: db.sql)
            try await record("storage")
            #expect(try await db.engine.verify("code", on: db.sql).isValid)
            try await record("verify")
            #expect(leaks == [:])
            #expect(try await db.engine.verifySeal(on: db.sql).isValid)
            try await mallory.drop(in: db)
        }
    }

    @Test("PostgreSQL: operators planted on the owner's search_path never run inside the engine's reads, reverts, enable, sync, alter, checkDrift and disable")
    func searchPathHijackEngine() async throws {
        try await TestDatabase.postgres.run { db in
            let schema = "\"\(db.schema!)\""
            let mallory = try await Self.plantOperators(db)
            // Rows before enable: its backfill reads them in key ranges.
            try await db.exec("CREATE TABLE code (code VARCHAR(20) PRIMARY KEY, label VARCHAR(20))", "INSERT INTO code VALUES ('a', 'x'), ('b', 'y'), ('c', 'z')")
            var leaks: [String: Int] = [:]
            func record(_ step: String) async throws {
                let count = try await db.count("stolen")
                if count > 0 { leaks[step] = count }
                try await db.exec("DELETE FROM \(schema).stolen")
            }
            try await db.engine.install(on: db.sql)
            try await record("install")
            try await db.engine.enable("code", on: db.sql)
            try await record("enable")
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE code SET label = 'w' WHERE code = 'a'").run() }
            try await db.exec("DELETE FROM \(schema).stolen")
            let update = try #require(try await db.engine.transactions(on: db.sql).first?.id)
            _ = try await db.engine.versions(of: "code", key: ["code": "a"], on: db.sql)
            _ = try await db.engine.versions(inTransaction: update, on: db.sql)
            _ = try await db.engine.textVersions(of: "code", key: ["code": "a"], on: db.sql)
            _ = try await db.engine.textChanges(inTransaction: update, on: db.sql)
            try await db.engine.forEachVersion(of: "code", on: db.sql) { _ in }
            try await db.engine.forEachRow(of: "code", asOf: update - 1, on: db.sql) { _ in }
            _ = try await db.engine.transactions(matching: .init(userID: "ann", entityName: "code"), on: db.sql)
            try await record("reads")
            try await db.engine.revert("code", key: ["code": "a"], to: update - 1, on: db.sql)
            try await record("revert")
            _ = try await db.engine.revertPlan(transaction: update, on: db.sql)
            try await db.engine.revert(transaction: update, conflicts: .overwrite, on: db.sql)
            try await record("revert transaction")
            try await db.exec("ALTER TABLE code ADD COLUMN extra VARCHAR(5)")
            try await db.engine.sync("code", on: db.sql)
            try await record("sync")
            try await db.engine.alter("code", on: db.sql) { try await $0.raw("ALTER TABLE code DROP COLUMN extra").run() }
            try await record("alter")
            #expect(try await db.engine.checkDrift(on: db.sql).isEmpty)
            try await record("checkDrift")
            try await db.engine.disable("code", on: db.sql)
            try await db.exec("DELETE FROM \(schema).stolen")
            try await db.engine.enable("code", on: db.sql)
            try await record("disable, enable again")
            #expect(leaks == [:])
            try await db.expectConsistent("code")
            try await mallory.drop(in: db)
        }
    }

    @Test("PostgreSQL: writers with rights on the live table only write history through the owner's functions and cannot touch it otherwise")
    func twoRoleDeployment() async throws {
        try await TestDatabase.postgres.run { db in
            let schema = "\"\(db.schema!)\""
            try await db.exec("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)", "CREATE TABLE other (id INTEGER PRIMARY KEY)")
            let reader = try await Role.create(in: db, grants: [])
            let engine = VersioningEngine(configuration: .init(readerRole: reader.name))
            try await engine.install(on: db.sql)
            try await engine.enable("item", on: db.sql)
            let writer = try await Role.create(
                in: db,
                grants: [
                    "GRANT USAGE, CREATE ON SCHEMA \(schema) TO $ROLE", "GRANT SELECT, INSERT, UPDATE, DELETE ON \(schema).item TO $ROLE",
                ])
            let stranger = try await Role.create(in: db, grants: ["GRANT USAGE ON SCHEMA \(schema) TO $ROLE"])

            // The writer's changes are versioned, with its scope's actor and meta.
            try await engine.versioned(on: writer.sql, userID: "w", meta: ["reason": "test"]) { sql in
                try await sql.raw("INSERT INTO item VALUES (1, 'one', 1), (2, 'two', 2)").run()
                try await sql.raw("UPDATE item SET qty = 10 WHERE id = 1").run()
                try await sql.raw("DELETE FROM item WHERE id = 2").run()
            }
            try await writer.sql.raw("UPDATE item SET qty = 11").run()
            #expect(try await db.count("item_version") == 2)
            let log = try await engine.transactions(on: db.sql)
            #expect(log.map(\.userID) == [nil, "w"])
            #expect(log.last?.meta == ["reason": "test"])
            try await db.expectConsistent("item")

            // Nothing else: no rights on history, no way to run the owner's functions.
            for statements in [
                ["UPDATE item_version SET qty = 0"],
                ["DELETE FROM item_version"],
                ["DELETE FROM \"transaction\""],
                ["INSERT INTO transaction_meta VALUES (1, 'forged', 'x')"],
                ["SELECT \(schema)._continuum_renumber_transaction(1)"],
                ["SELECT \(schema)._continuum_transaction_id()"],
                // Its own table, with the owner's trigger function: it may not execute it.
                [
                    "CREATE TABLE mine (id INTEGER PRIMARY KEY)",
                    "CREATE TRIGGER t AFTER INSERT ON mine FOR EACH ROW EXECUTE FUNCTION \(schema)._continuum_item_version()",
                ],
            ] {
                let error = await writer.transaction(statements)
                #expect(error.map { String(reflecting: $0).contains("permission denied") } == true, "\(statements)")
            }
            // Attached to another table (only the owner can), the function refuses to run.
            try await db.exec("CREATE TRIGGER t AFTER INSERT ON other FOR EACH ROW EXECUTE FUNCTION \(schema)._continuum_item_version()")
            await #expect(throws: (any Error).self) { try await db.exec("INSERT INTO other VALUES (1)") }
            try await db.exec("DROP TRIGGER t ON other")

            // The reader reads history; a role without the grant reads nothing.
            #expect(await reader.transaction(["SELECT * FROM item_version", "SELECT * FROM \"transaction\""]) == nil)
            // The reader verifies sealed history too.
            try await engine.seal(on: db.sql)
            #expect(try await engine.verifySeal(on: reader.sql).isValid)
            let denied = await stranger.transaction(["SELECT * FROM item_version"])
            #expect(denied.map { String(reflecting: $0).contains("permission denied") } == true)
            #expect(try await db.count("item_version") == 2)
            for role in [writer, reader, stranger] { try await role.drop(in: db) }
        }
    }

    @Test("PostgreSQL: a writer without rights on the activity table records activities through the owner's function, in its own transaction whatever the cache setting says")
    func activityWriter() async throws {
        try await TestDatabase.postgres.run { db in
            let schema = "\"\(db.schema!)\""
            try await db.exec("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)", "CREATE TABLE thing (code TEXT PRIMARY KEY)")
            let engine = VersioningEngine(configuration: .init(createsActivityTable: true))
            try await engine.install(on: db.sql)
            try await engine.enable("item", on: db.sql)
            try await engine.enable("thing", on: db.sql)
            let writer = try await Role.create(
                in: db, grants: ["GRANT USAGE ON SCHEMA \(schema) TO $ROLE", "GRANT SELECT, INSERT, UPDATE, DELETE ON \(schema).item TO $ROLE"])
            try await engine.versioned(on: db.sql, userID: "owner") { sql in try await sql.raw("INSERT INTO item VALUES (1, 'one')").run() }

            // A cache setting forged to name the owner's transaction 1 does not attach the activity to it.
            let setting = try Self.cacheSetting(db)
            let recorded = try await engine.versioned(on: writer.sql, userID: "w") { sql in
                try await sql.raw("SELECT set_config(\(bind: setting), '1', true)").run()
                try await sql.raw("UPDATE item SET name = 'uno' WHERE id = 1").run()
                return try await engine.recordActivity(verb: "rename", object: .init(type: "item", id: 1), data: #"{"a": 1}"#, on: sql)
            }
            #expect(recorded.transactionID == 2)
            #expect(recorded.objectTransactionID == nil, "the writer may not read item_version, so it is not told")
            // The function reports the typed errors to a role that cannot read the registry.
            await #expect(throws: ContinuumError.activityKeyUnsupported(type: "thing")) {
                try await engine.versioned(on: writer.sql) { sql in _ = try await engine.recordActivity(verb: "x", object: .init(type: "thing", id: 1), on: sql) }
            }
            await #expect(throws: ContinuumError.activityEntityNotVersioned(type: "nope")) {
                try await engine.versioned(on: writer.sql) { sql in
                    _ = try await engine.recordActivity(verb: "x", object: .init(type: "item", id: 1), target: .init(type: "nope", id: 1), on: sql)
                }
            }
            // No other way in: the table is history.
            for statement in [
                "INSERT INTO activity (verb, transaction_id) VALUES ('forged', 1)", "UPDATE activity SET verb = 'forged'", "DELETE FROM activity",
                "SELECT * FROM activity",
            ] {
                let error = await writer.transaction([statement])
                #expect(error.map { String(reflecting: $0).contains("permission denied") } == true, "\(statement)")
            }
            let feed = try await engine.activities(on: db.sql)
            #expect(feed.map(\.userID) == ["w"])
            #expect(feed.map(\.transactionID) == [2])
            #expect(feed.map(\.objectTransactionID) == [2])
            #expect(try await db.count("transaction") == 2, "the refused activities created no transaction")
            try await writer.drop(in: db)
        }
    }

    @Test("PostgreSQL: history follows the table's row-level security: each tenant reads the versions of its own rows only")
    func rowLevelSecurity() async throws {
        try await TestDatabase.postgres.run { db in
            let schema = "\"\(db.schema!)\""
            try await db.exec(
                "CREATE TABLE note (id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, body TEXT)",
                "ALTER TABLE note ENABLE ROW LEVEL SECURITY",
                "CREATE POLICY tenant_rows ON note USING (tenant = current_setting('app.tenant', true))"
            )
            let tenant = try await Role.create(
                in: db,
                grants: [
                    "GRANT USAGE ON SCHEMA \(schema) TO $ROLE", "GRANT SELECT, INSERT, UPDATE, DELETE ON \(schema).note TO $ROLE",
                ])
            let engine = VersioningEngine(configuration: .init(readerRole: tenant.name))
            try await engine.install(on: db.sql)
            try await engine.enable("note", on: db.sql)
            for (id, owner) in [(1, "a"), (2, "b"), (3, "a")] {
                #expect(
                    await tenant.transaction([
                        "SELECT set_config('app.tenant', '\(owner)', true)",
                        "INSERT INTO note VALUES (\(id), '\(owner)', 'text')",
                        "UPDATE note SET body = 'edited'",  // only the tenant's own rows
                    ]) == nil)
            }
            #expect(try await db.count("note_version") == 3)  // the owner sees every version
            for (name, visible) in [("a", [1, 3]), ("b", [2])] {
                let rows = try await tenant.sql.withSession { connection in
                    try await connection.raw("BEGIN").run()
                    try await connection.raw("SELECT set_config('app.tenant', \(bind: name), true)").run()
                    let rows = try await connection.raw("SELECT DISTINCT id FROM note_version ORDER BY id").all()
                    try await connection.raw("COMMIT").run()
                    return try rows.map { try $0.decode(column: "id", as: Int.self) }
                }
                #expect(rows == visible, "tenant \(name)")
            }
            try await tenant.drop(in: db)
        }
    }

    @Test("PostgreSQL: enable refuses to adopt a version table another role created beforehand")
    func foreignVersionTable() async throws {
        try await TestDatabase.postgres.run { db in
            let schema = "\"\(db.schema!)\""
            try await db.exec("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
            let mallory = try await Role.create(in: db, grants: ["GRANT USAGE, CREATE ON SCHEMA \(schema) TO $ROLE"])
            #expect(
                await mallory.transaction([
                    "CREATE TABLE \(schema).item_version (id INTEGER NOT NULL, name TEXT, transaction_id BIGINT NOT NULL, end_transaction_id BIGINT, operation_type SMALLINT NOT NULL, PRIMARY KEY (id, transaction_id))"
                ]) == nil)
            try await db.engine.install(on: db.sql)
            let error = await #expect(throws: ContinuumError.versionTableNotOwned(table: "item", versionTable: "item_version", owner: mallory.name)) {
                try await db.engine.enable("item", on: db.sql)
            }
            #expect(error?.description.contains(mallory.name) == true)
            #expect(try await db.engine.versionedTables(on: db.sql).isEmpty)
            try await mallory.drop(in: db)
        }
    }

    @Test("PostgreSQL: seal, verify, redact and prune refuse seal tables a writer created beforehand, whose triggers would run as the sealing role")
    func foreignSealTables() async throws {
        try await TestDatabase.postgres.run { db in
            let schema = "\"\(db.schema!)\""
            let owner = try #require(try await db.rows("SELECT CAST(current_user AS TEXT)").first?.first ?? nil)
            try await db.exec("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
            let reader = try await Role.create(in: db, grants: ["GRANT USAGE, CREATE ON SCHEMA \(schema) TO $ROLE"])
            let engine = VersioningEngine(configuration: .init(readerRole: reader.name))
            try await engine.install(on: db.sql)
            try await engine.enable("item", on: db.sql)
            let mallory = try await Role.create(
                in: db,
                grants: [
                    "GRANT USAGE, CREATE ON SCHEMA \(schema) TO $ROLE", "GRANT SELECT, INSERT, UPDATE, DELETE ON \(schema).item TO $ROLE",
                ])
            try await engine.versioned(on: mallory.sql) { try await $0.raw("INSERT INTO item VALUES (1, 'one')").run() }
            // Mallory creates the seal tables first, open to all, with a trigger that runs as
            // whoever seals: it would hand her every right on history.
            #expect(
                await mallory.transaction([
                    """
                    CREATE TABLE \(schema)._continuum_seal (transaction_id BIGINT NOT NULL PRIMARY KEY, entry_digest VARCHAR(64) NOT NULL,
                    chain_digest VARCHAR(64) NOT NULL, salt VARCHAR(64))
                    """,
                    """
                    CREATE TABLE \(schema)._continuum_seal_patch (event_id BIGINT NOT NULL, transaction_id BIGINT NOT NULL, table_name TEXT NOT NULL,
                    row_key TEXT NOT NULL, field TEXT NOT NULL, digest VARCHAR(64) NOT NULL, value TEXT NOT NULL)
                    """,
                    "GRANT ALL ON \(schema)._continuum_seal, \(schema)._continuum_seal_patch TO PUBLIC",
                    """
                    CREATE FUNCTION \(schema).escalate() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN EXECUTE format('GRANT ALL ON %I.item_version TO %I', '\(db.schema!)', '\(mallory.name)'); RETURN NULL; END $$
                    """,
                    "CREATE TRIGGER escalate AFTER INSERT ON \(schema)._continuum_seal FOR EACH STATEMENT EXECUTE FUNCTION \(schema).escalate()",
                ]) == nil)
            let refused = ContinuumError.sealTableNotOwned(table: "_continuum_seal", owner: mallory.name, logOwner: owner)
            await #expect(throws: refused) { try await engine.seal(on: db.sql) }
            await #expect(throws: refused) { try await engine.verifySeal(on: db.sql) }
            await #expect(throws: refused) { try await engine.verifySeal(on: reader.sql) }
            await #expect(throws: refused) { try await engine.redact("item", .key(["1"]), fields: ["name"], on: db.sql) }
            await #expect(throws: refused) { try await engine.prune(keepLast: 1, on: db.sql) }
            let escalated = await mallory.transaction(["UPDATE item_version SET name = 'forged'"])
            #expect(escalated.map { String(reflecting: $0).contains("permission denied") } == true, "the trigger ran as the owner")
            #expect(try await db.rows("SELECT name FROM item") == [["one"]])

            // A seal run first by a role other than the log's owner leaves no tables of its own.
            try await db.exec("DROP TABLE \(schema)._continuum_seal, \(schema)._continuum_seal_patch")
            await #expect(throws: ContinuumError.sealTableNotOwned(table: "_continuum_seal", owner: reader.name, logOwner: owner)) {
                try await engine.seal(on: reader.sql)
            }
            #expect(try await db.rows("SELECT CAST(to_regclass('_continuum_seal') AS TEXT)") == [[nil]])

            // Created by the owner's seal: the reader reads them, nobody else touches them.
            try await engine.seal(on: db.sql)
            #expect(try await engine.verifySeal(on: reader.sql).isValid)
            for table in ["_continuum_seal", "_continuum_seal_patch"] {
                for statement in ["SELECT * FROM \(table)", "DELETE FROM \(table)", "UPDATE \(table) SET transaction_id = 0"] {
                    let error = await mallory.transaction([statement])
                    #expect(error.map { String(reflecting: $0).contains("permission denied") } == true, "\(statement)")
                }
                #expect(await reader.transaction(["SELECT * FROM \(table)"]) == nil)
                let error = await reader.transaction(["DELETE FROM \(table)"])
                #expect(error.map { String(reflecting: $0).contains("permission denied") } == true, "reader: \(table)")
            }
            let forged = await mallory.transaction(["INSERT INTO _continuum_seal_patch VALUES (2, 1, 'item_version', '1', 'name', '00', 'NULL')"])
            #expect(forged.map { String(reflecting: $0).contains("permission denied") } == true)

            // The record of sealed columns too: one Mallory created first is refused.
            try await db.exec("DROP TABLE \(schema)._continuum_seal_column")
            #expect(
                await mallory.transaction([
                    """
                    CREATE TABLE \(schema)._continuum_seal_column (version_table TEXT NOT NULL, column_name TEXT NOT NULL,
                    since_transaction_id BIGINT NOT NULL, sealed_name TEXT, PRIMARY KEY (version_table, column_name))
                    """,
                    "GRANT ALL ON \(schema)._continuum_seal_column TO PUBLIC",
                ]) == nil)
            let column = ContinuumError.sealTableNotOwned(table: "_continuum_seal_column", owner: mallory.name, logOwner: owner)
            await #expect(throws: column) { try await engine.seal(on: db.sql) }
            await #expect(throws: column) { try await engine.verifySeal(on: db.sql) }
            try await mallory.drop(in: db)
            try await reader.drop(in: db)
        }
    }

    @Test("PostgreSQL: a writer holding its transaction open, or rolling back to a savepoint, holds the seal back but never makes it skip or misorder a transaction")
    func writerHoldsSealBack() async throws {
        try await TestDatabase.postgres.run(connectionsPerEventLoop: 4) { db in
            let schema = "\"\(db.schema!)\""
            try await db.exec("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("item", on: db.sql)
            let writer = try await Role.create(
                in: db, grants: ["GRANT USAGE ON SCHEMA \(schema) TO $ROLE", "GRANT SELECT, INSERT, UPDATE, DELETE ON \(schema).item TO $ROLE"])
            try await db.engine.versioned(on: db.sql) { try await $0.raw("INSERT INTO item VALUES (1, 'a')").run() }
            try await db.engine.seal(on: db.sql)
            try await writer.sql.withSession { slow in
                try await slow.raw("BEGIN").run()
                // An id drawn in a savepoint rolled back is never used; the next write draws another.
                try await slow.raw("SAVEPOINT s").run()
                try await slow.raw("INSERT INTO item VALUES (2, 'b')").run()
                try await slow.raw("ROLLBACK TO SAVEPOINT s").run()
                try await slow.raw("INSERT INTO item VALUES (3, 'c')").run()
                try await db.engine.versioned(on: db.sql) { try await $0.raw("INSERT INTO item VALUES (4, 'd')").run() }
                await #expect(throws: ContinuumError.sealBlockedByWriters(seconds: 0)) {
                    try await db.engine.seal(waitingAtMost: .milliseconds(300), on: db.sql)
                }
                try await slow.raw("SAVEPOINT t").run()
                try await slow.raw("UPDATE item SET name = 'cc' WHERE id = 3").run()
                try await slow.raw("RELEASE SAVEPOINT t").run()
                try await slow.raw("COMMIT").run()
            }
            let sealed = try await db.engine.seal(on: db.sql)
            #expect(sealed.sealedTransactions == 2)
            let report = try await db.engine.verifySeal(on: db.sql)
            #expect(report.isValid, "\(report)")
            #expect(report.sealedTransactions == 3)
            #expect(report.unsealedTransactions == 0)
            try await db.expectConsistent("item")
            try await writer.drop(in: db)
        }
    }

    @Test("PostgreSQL: every transaction records the login role and client address, whatever the application claims")
    func loginRoleRecorded() async throws {
        try await TestDatabase.postgres.run { db in
            try await SemanticsTests.setUp(db)
            let writer = try await Role.create(in: db, grants: Self.writerGrants(db))
            #expect(
                await writer.transaction([
                    "SELECT set_config('continuum.user_id', 'the-ceo', true)", "INSERT INTO item (id, name, qty) VALUES (1, 'one', 1)",
                ]) == nil)
            let log = try await db.engine.transactions(on: db.sql)
            #expect(log.map(\.userID) == ["the-ceo"])
            #expect(log.map(\.loginRole) == [writer.name])
            #expect(log.first?.clientAddress == "127.0.0.1")

            // Claims accepted only from a designated role: the writer's are not recorded, its login is.
            let app = try await Role.create(in: db, grants: Self.writerGrants(db))
            let strict = VersioningEngine(configuration: .init(actorClaimRoles: [app.name]))
            try await strict.install(on: db.sql)  // replaces the shared functions
            try await strict.versioned(on: writer.sql, userID: "the-ceo") { sql in try await sql.raw("UPDATE item SET qty = 2").run() }
            try await strict.versioned(on: app.sql, userID: "alice") { sql in try await sql.raw("UPDATE item SET qty = 3").run() }
            let strictLog = try await strict.transactions(on: db.sql)
            #expect(strictLog.prefix(2).map(\.userID) == ["alice", nil])
            #expect(strictLog.prefix(2).map(\.loginRole) == [app.name, writer.name])
            try await app.drop(in: db)
            try await writer.drop(in: db)
        }
    }

    @Test("PostgreSQL: a forged transaction-id setting cannot erase, overwrite, graft onto or renumber another transaction")
    func forgedTransactionID() async throws {
        try await TestDatabase.postgres.run { db in
            try await SemanticsTests.setUp(db)
            try await db.engine.versioned(on: db.sql, userID: "alice") { sql in
                try await sql.raw("INSERT INTO item (id, name, qty) VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3)").run()
            }
            try await db.engine.versioned(on: db.sql, userID: "alice") { sql in
                try await sql.raw("UPDATE item SET qty = 20 WHERE id = 2").run()
            }
            let first = 1, second = 2
            let setting = try Self.cacheSetting(db)
            let writer = try await Role.create(in: db, grants: Self.writerGrants(db))

            // Erase: point the cache at row 1's INSERT transaction and delete the row.
            #expect(
                await writer.transaction([
                    "SELECT set_config('\(setting)', '\(first)', true)", "DELETE FROM item WHERE id = 1",
                ]) == nil)
            // Overwrite: point it at alice's update of row 2 and change the row again.
            #expect(
                await writer.transaction([
                    "SELECT set_config('\(setting)', '\(second)', true)", "UPDATE item SET qty = 666 WHERE id = 2",
                ]) == nil)
            // Graft, and a session-level setting for every later transaction of the session.
            #expect(
                await writer.transaction([
                    "SELECT set_config('\(setting)', '\(first)', false)", "UPDATE item SET name = 'grafted' WHERE id = 3",
                ]) == nil)
            // Renumber someone else's transaction directly: the writer may not run the function,
            // and even its owner can renumber only its own transaction.
            let renumber = await writer.transaction(["SELECT \"\(db.schema!)\"._continuum_renumber_transaction(\(first))"])
            #expect(renumber.map { String(reflecting: $0).contains("permission denied") } == true)
            let owner = await #expect(throws: (any Error).self) {
                try await db.exec("SELECT \"\(db.schema!)\"._continuum_renumber_transaction(\(first))")
            }
            #expect(owner.map { String(reflecting: $0).contains("can only renumber itself") } == true)

            // History stands: alice's transactions hold exactly what alice wrote.
            let alice = try await db.rows(
                """
                SELECT CAST(v.id AS TEXT) AS a, CAST(v.qty AS TEXT) AS b, CAST(v.operation_type AS TEXT) AS c FROM item_version v
                JOIN "transaction" t ON t.id = v.transaction_id WHERE t.user_id = 'alice' ORDER BY v.transaction_id, v.id
                """)
            #expect(alice == [["1", "1", "0"], ["2", "2", "0"], ["3", "3", "0"], ["2", "20", "1"]])
            // The writer's changes are versions of transactions of their own, each recorded in transaction_changes.
            let writes = try await db.rows(
                """
                SELECT CAST(v.id AS TEXT) AS a, CAST(v.operation_type AS TEXT) AS b,
                       CAST(EXISTS (SELECT 1 FROM transaction_changes c WHERE c.transaction_id = v.transaction_id AND c.entity_name = 'item') AS TEXT) AS c
                FROM item_version v WHERE v.transaction_id > \(second) ORDER BY v.transaction_id
                """)
            #expect(writes == [["1", "2", "1"], ["2", "1", "1"], ["3", "1", "1"]])
            #expect(try await db.count("transaction") == 5)
            try await db.expectConsistent("item")
            try await writer.drop(in: db)
        }
    }
}
