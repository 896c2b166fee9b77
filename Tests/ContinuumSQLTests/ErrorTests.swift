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
            await #expect(throws: ContinuumError.primaryKeyExcluded(table: "item", column: "id")) {
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

    @Test("each refused option, schema and history has its own error, with a code", arguments: TestDatabase.allCases)
    func specificErrors(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.exec("CREATE TABLE item (id \(db.autoKey), name TEXT)")
            try await db.engine.install(on: db.sql)
            await #expect(throws: ContinuumError.versionTableSameAsTable("item")) {
                try await db.engine.enable("item", options: .init(versionTableName: "item"), on: db.sql)
            }
            await #expect(throws: ContinuumError.invalidEntityName(table: "item")) {
                try await db.engine.enable("item", options: .init(entityName: ""), on: db.sql)
            }
            await #expect(throws: ContinuumError.invalidEntityName(table: "item")) {
                try await db.engine.enable("item", options: .init(entityName: String(repeating: "e", count: 256)), on: db.sql)
            }
            #expect(try await db.engine.versionedTables(on: db.sql).isEmpty)
            try await db.engine.enable("item", on: db.sql)
            await #expect(throws: ContinuumError.invalidBatchSize(0)) { try await db.engine.backfill("item", batchSize: 0, on: db.sql) }
            try await db.engine.versioned(on: db.sql) { try await $0.raw("INSERT INTO item (name) VALUES ('a')").run() }
            // A version row another writer gave an unknown operation_type.
            try await db.exec("UPDATE item_version SET operation_type = 7")
            let unknown = await #expect(throws: ContinuumError.unknownOperation(table: "item", operationType: 7)) {
                try await db.engine.versions(of: "item", key: ["id": 1], on: db.sql)
            }
            #expect(unknown?.code == .unknownOperation)
            // A version table dropped behind versioning's back.
            try await db.exec("DROP TABLE item_version")
            let missing = await #expect(throws: ContinuumError.versionTableMissing(table: "item", versionTable: "item_version")) {
                try await db.engine.sync("item", on: db.sql)
            }
            #expect(missing?.description.contains("disable versioning of \"item\" and enable it again") == true)
        }
    }

    @Test("PostgreSQL: a search_path naming no schema is refused with a typed error")
    func noCurrentSchema() async throws {
        try await TestDatabase.postgres.run { db in
            try await db.exec("CREATE TABLE item (id \(db.autoKey), name TEXT)")
            let refused: ContinuumError? = try await db.sql.withSession { connection in
                try await connection.raw("SET search_path TO no_such_schema").run()
                var refused: ContinuumError?
                do { try await db.engine.install(on: connection) } catch let error as ContinuumError { refused = error }
                try await connection.raw("RESET search_path").run()
                return refused
            }
            #expect(refused == .noCurrentSchema)
            #expect(refused?.code == .noCurrentSchema)
        }
    }

    @Test("error codes are stable: each names its constructor, and compares like a string")
    func codes() {
        let codes: [(ContinuumError, String)] = [
            (.unsupportedDatabase("x"), "unsupportedDatabase"), (.tableNotFound("t"), "tableNotFound"),
            (.noPrimaryKey(table: "t"), "noPrimaryKey"), (.tableNotVersioned("t"), "tableNotVersioned"),
            (.alreadyVersioned("t"), "alreadyVersioned"), (.schemaNotInstalled, "schemaNotInstalled"),
            (.invalidIdentifier(""), "invalidIdentifier"), (.unsupportedTable("t", kind: "view"), "unsupportedTable"),
            (.noCurrentSchema, "noCurrentSchema"), (.unknownColumn(table: "t", column: "c"), "unknownColumn"),
            (.versionTableConflict(table: "t", versionTable: "v", column: "c"), "versionTableConflict"),
            (.primaryKeyExcluded(table: "t", column: "c"), "primaryKeyExcluded"), (.versionTableSameAsTable("t"), "versionTableSameAsTable"),
            (.invalidEntityName(table: "t"), "invalidEntityName"), (.versionTableNameTooLong(table: "t", versionTable: "v"), "versionTableNameTooLong"),
            (.modifiedFlagNameTooLong(table: "t", column: "c"), "modifiedFlagNameTooLong"),
            (.tooManyColumns(table: "t", columns: 2001, limit: 2000), "tooManyColumns"), (.invalidBatchSize(0), "invalidBatchSize"),
            (.primaryKeyChanged(table: "t"), "primaryKeyChanged"), (.versionTableMissing(table: "t", versionTable: "v"), "versionTableMissing"),
            (.notAVersionTable(table: "t", versionTable: "v", primaryKey: ["id"]), "notAVersionTable"),
            (.versionTableNotOwned(table: "t", versionTable: "v", owner: "o"), "versionTableNotOwned"),
            (.sealTableNotOwned(table: "t", owner: "o", logOwner: "l"), "sealTableNotOwned"),
            (.notATransactionLog(table: "t"), "notATransactionLog"), (.scopeOnAnotherConnection, "scopeOnAnotherConnection"),
            (.userIDTooLong, "userIDTooLong"), (.remoteAddressTooLong, "remoteAddressTooLong"), (.invalidMetaKey, "invalidMetaKey"),
            (.transactionIDMissing(transactionTable: "t"), "transactionIDMissing"),
            (.invalidPrimaryKey(table: "t", expected: ["id"]), "invalidPrimaryKey"),
            (.unknownOperation(table: "t", operationType: 7), "unknownOperation"), (.transactionNotFound(1), "transactionNotFound"),
            (.keyReused(table: "t", deletedIn: 1, reusedIn: 2), "keyReused"),
            (.versionTableMismatch(table: "t", modelVersionTable: "a", versionTable: "b"), "versionTableMismatch"),
            (.idRequired(model: "M"), "idRequired"), (.unsupportedNestedValue, "unsupportedNestedValue"),
            (.versionsQueryHasJoins(table: "t"), "versionsQueryHasJoins"), (.fieldNotVersioned(table: "t", field: "f"), "fieldNotVersioned"),
            (.modifiedFieldsNotTracked(table: "t"), "modifiedFieldsNotTracked"),
            (.asOfQueryIsReadOnly, "asOfQueryIsReadOnly"), (.unsupportedAsOfJoin, "unsupportedAsOfJoin"),
            (.asOfTableInOtherSchema(table: "t", schema: "s"), "asOfTableInOtherSchema"),
            (.modelInOtherSchema(model: "M", schema: "s"), "modelInOtherSchema"),
            (.foreignKeyMismatch(child: "C", parent: "P", columns: 1, keyColumns: 2), "foreignKeyMismatch"),
            (.revertConflicts(transaction: 1, conflicts: 2), "revertConflicts"), (.revertCollision(table: "t"), "revertCollision"),
            (.parentVersionMissing(model: "M", parent: "P", transaction: 1), "parentVersionMissing"),
            (.deleteVersionHasNoValues(model: "M"), "deleteVersionHasNoValues"), (.redactionKeyNotFound(table: "t"), "redactionKeyNotFound"),
        ]
        for (error, name) in codes {
            #expect(error.code.rawValue == name)
            #expect(error.code == ContinuumError.Code(rawValue: name))
            #expect(!error.description.isEmpty)
        }
        #expect(Set(codes.map(\.0.code)).count == codes.count, "every case has its own code")
        #expect(ContinuumError.tooManyColumns(table: "t", columns: 2001, limit: 2000).description.contains("allows 2,000 per table"))
        #expect(ContinuumError.tooManyColumns(table: "t", columns: 1601, limit: 1600).description.contains("allows 1,600 per table"))
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
            await #expect(throws: ContinuumError.notATransactionLog(table: "transaction")) { try await db.engine.install(on: db.sql) }
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
