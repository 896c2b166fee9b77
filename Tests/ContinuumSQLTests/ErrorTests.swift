import ContinuumSQL
import SQLKit
import Testing

@Suite("Errors")
struct ErrorTests {
    @Test("bad calls get typed errors that say what to do", arguments: TestDatabase.allCases)
    func typedErrors(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE log (message TEXT)", "CREATE TABLE item (id \(db.autoKey), name TEXT)")
            await #expect(throws: ContinuumError.schemaNotInstalled) { try await db.engine.enable("item", on: db.sql) }
            await #expect(throws: ContinuumError.tableNotVersioned("item")) {
                try await db.engine.versions(of: "item", key: ["id": 1], on: db.sql)
            }
            try await db.engine.install(on: db.sql)
            try await db.engine.install(on: db.sql)  // idempotent
            await #expect(throws: ContinuumError.noPrimaryKey(table: "log")) { try await db.engine.enable("log", on: db.sql) }
            await #expect(throws: ContinuumError.tableNotFound("missing")) { try await db.engine.enable("missing", on: db.sql) }
            await #expect(throws: ContinuumError.unknownColumn(table: "item", column: "nope")) {
                try await db.engine.enable("item", options: .init(excludedColumns: ["nope"]), on: db.sql)
            }
            await #expect(throws: ContinuumError.self) {
                try await db.engine.enable("item", options: .init(excludedColumns: ["id"]), on: db.sql)
            }
            await #expect(throws: ContinuumError.invalidIdentifier("")) { try await db.engine.enable("", on: db.sql) }
            try await db.engine.enable("item", on: db.sql)
            await #expect(throws: ContinuumError.alreadyVersioned("item")) { try await db.engine.enable("item", on: db.sql) }
            await #expect(throws: ContinuumError.tableNotVersioned("log")) { try await db.engine.sync("log", on: db.sql) }
            await #expect(throws: ContinuumError.tableNotVersioned("log")) {
                try await db.engine.versions(of: "log", key: ["id": 1], on: db.sql)
            }
            await #expect(throws: ContinuumError.invalidPrimaryKey(table: "item", expected: ["id"])) {
                try await db.engine.versions(of: "item", key: ["name": "a"], on: db.sql)
            }
            // A failed enable leaves nothing behind.
            #expect(try await !db.tableExists("log_version"))
            #expect(ContinuumError.noPrimaryKey(table: "log").description.contains("add one"))
        }
    }

    @Test("engine calls join a caller's transaction, open their own outside one, and leave an aborted one the caller's", arguments: TestDatabase.allCases)
    func callerTransactions(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE item (id \(db.autoKey), name TEXT)", "CREATE TABLE other (id \(db.autoKey), name TEXT)")
            try await db.engine.install(on: db.sql)
            try await db.sql.withSession { connection in
                // Outside a transaction: the engine opens and commits its own.
                try await db.engine.enable("item", on: connection)
                // Inside the caller's: a savepoint, rolled back with the caller's transaction.
                try await connection.raw("BEGIN").run()
                try await db.engine.enable("other", on: connection)
                try await connection.raw("ROLLBACK").run()
            }
            #expect(try await db.engine.versionedTables(on: db.sql).map(\.table) == ["item"], "the caller's rollback undid the second enable")
            guard database == .postgres else { return }
            // A caller's transaction that already failed: the database's error reaches the caller,
            // and the engine neither commits nor opens a transaction of its own.
            let outcome: String = try await db.sql.withSession { connection in
                try await connection.raw("BEGIN").run()
                await #expect(throws: (any Error).self) { try await connection.raw("SELECT 1/0").run() }
                var message = ""
                do { try await db.engine.enable("other", on: connection) } catch { message = String(reflecting: error) }
                try await connection.raw("ROLLBACK").run()
                return message
            }
            #expect(outcome.contains("25P02"), "in failed sql transaction: \(outcome.prefix(200))")
            #expect(try await db.engine.versionedTables(on: db.sql).map(\.table) == ["item"])
        }
    }

    @Test("a column named like a bookkeeping column is refused", arguments: TestDatabase.allCases)
    func reservedColumn(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE odd (id \(db.autoKey), transaction_id INTEGER)")
            try await db.engine.install(on: db.sql)
            await #expect(throws: ContinuumError.versionTableConflict(table: "odd", versionTable: "odd_version", column: "transaction_id")) {
                try await db.engine.enable("odd", on: db.sql)
            }
            try await db.engine.enable("odd", options: .init(excludedColumns: ["transaction_id"]), on: db.sql)
        }
    }

    @Test("a foreign table called transaction is refused at install", arguments: TestDatabase.allCases)
    func wrongTransactionTable(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec(#"CREATE TABLE "transaction" (code TEXT PRIMARY KEY, amount INTEGER)"#)
            await #expect(throws: ContinuumError.self) { try await db.engine.install(on: db.sql) }
            #expect(try await !db.tableExists("transaction_changes"), "a refused install rolls back")
            let custom = VersioningEngine(configuration: .init(transactionTable: "versioning_transaction"))
            try await custom.install(on: db.sql)
            try await db.exec("CREATE TABLE item (id \(db.autoKey), name TEXT)")
            try await custom.enable("item", on: db.sql)
            try await custom.versioned(on: db.sql, userID: "u") { sql in try await sql.raw("INSERT INTO item (name) VALUES ('a')").run() }
            #expect(try await db.rows("SELECT user_id FROM versioning_transaction") == [["u"]])
        }
    }
}
