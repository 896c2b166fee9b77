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
            #expect(await writer.transaction([
                "SELECT set_config('\(setting)', '\(first)', true)", "DELETE FROM item WHERE id = 1",
            ]) == nil)
            // Overwrite: point it at alice's update of row 2 and change the row again.
            #expect(await writer.transaction([
                "SELECT set_config('\(setting)', '\(second)', true)", "UPDATE item SET qty = 666 WHERE id = 2",
            ]) == nil)
            // Graft, and a session-level setting for every later transaction of the session.
            #expect(await writer.transaction([
                "SELECT set_config('\(setting)', '\(first)', false)", "UPDATE item SET name = 'grafted' WHERE id = 3",
            ]) == nil)
            // Renumber someone else's transaction directly.
            let renumber = await writer.transaction(["SELECT \"\(db.schema!)\"._continuum_renumber_transaction(\(first))"])
            #expect(renumber.map { String(reflecting: $0).contains("can only renumber itself") } == true)

            // History stands: alice's transactions hold exactly what alice wrote.
            let alice = try await db.rows("""
                SELECT CAST(v.id AS TEXT) AS a, CAST(v.qty AS TEXT) AS b, CAST(v.operation_type AS TEXT) AS c FROM item_version v
                JOIN "transaction" t ON t.id = v.transaction_id WHERE t.user_id = 'alice' ORDER BY v.transaction_id, v.id
                """)
            #expect(alice == [["1", "1", "0"], ["2", "2", "0"], ["3", "3", "0"], ["2", "20", "1"]])
            // The writer's changes are versions of transactions of their own, each recorded in transaction_changes.
            let writes = try await db.rows("""
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
