import ContinuumSQL
import Foundation
import SQLKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A client killed with SIGKILL in the middle of a large versioned transaction leaves no
/// partial history: the database rolls the transaction back with its versions.
@Suite("Crash safety", .serialized)
struct CrashTests {
    static let baseline = 10

    static func setUp(_ db: TestContext) async throws {
        try await SemanticsTests.setUp(db)
        try await db.engine.versioned(on: db.sql, userID: "baseline") { sql in
            for id in 1...Self.baseline { try await sql.raw("INSERT INTO item (id, name, qty) VALUES (\(bind: id), 'b', 0)").run() }
        }
    }

    /// After the crash: the committed history is whole, nothing of the killed transaction
    /// remains, and versioning goes on.
    static func checkAfterCrash(_ db: TestContext) async throws {
        #expect(try await db.count("item") == Self.baseline)
        #expect(try await db.count("item_version") == Self.baseline)
        #expect(try await db.count("transaction") == 1)
        try await db.expectConsistent("item")
        try await db.engine.versioned(on: db.sql, userID: "after") { sql in
            try await sql.raw("UPDATE item SET qty = 1 WHERE id = 1").run()
        }
        #expect(try await db.rows("SELECT user_id FROM \"transaction\" ORDER BY id") == [["baseline"], ["after"]])
        try await db.expectConsistent("item")
    }

    /// Starts `executable` with `script` on standard input, waits `delay`, then kills it with SIGKILL.
    static func killMidway(_ executable: String, arguments: [String], environment: [String: String] = [:], script: String, after delay: Duration) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        // Keep standard input open: the client must not see the end of its script and commit.
        try await Task.sleep(for: delay)
        #expect(process.isRunning, "the client was still inside its transaction when killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try input.fileHandleForWriting.close()
        #expect(process.terminationReason == .uncaughtSignal)
    }

    @Test("SQLite: the sqlite3 client killed inside a 300,000-row versioned transaction")
    func sqliteClientKilled() async throws {
        let sqlite3 = try #require(
            ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "the sqlite3 client is missing: scripts/test.sh installs it")
        try await TestDatabase.sqlite.run { db in
            try await Self.setUp(db)
            let file = try #require(try await db.sql.raw("SELECT file FROM pragma_database_list WHERE name = 'main'").first()?.decode(column: "file", as: String.self))
            // The same statements a versioned scope runs, then a large insert, and no COMMIT.
            // `.bail on`: an error would end the client early and fail the "still running" check.
            let script = """
                .bail on
                .timeout 10000
                BEGIN;
                UPDATE "_continuum_state" SET "active" = 1, "transaction_id" = NULL, "user_id" = 'crash';
                WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n WHERE i < 300100) INSERT INTO item (id, name, qty) SELECT i, 'crash', i FROM n;
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) SELECT count(*) FROM n;

                """
            try await Self.killMidway(sqlite3, arguments: [file], script: script, after: .seconds(2))
            try await Self.checkAfterCrash(db)
        }
    }

    @Test("PostgreSQL: psql killed inside a 200,000-row versioned transaction")
    func postgresClientKilled() async throws {
        try await TestDatabase.postgres.run { db in
            try await Self.setUp(db)
            let schema = try #require(db.schema)
            let script = """
                BEGIN;
                SELECT set_config('continuum.user_id', 'crash', true);
                INSERT INTO "\(schema)".item (id, name, qty) SELECT g, 'crash', g FROM generate_series(100, 200100) AS g;
                SELECT pg_sleep(2);

                """
            try await Self.killMidway(
                try Psql.executable(), arguments: Psql.arguments,
                environment: ["PGAPPNAME": "continuum_crash_\(schema)", "PGPASSWORD": ProcessInfo.processInfo.environment["POSTGRES_PASSWORD"] ?? ""],
                script: script, after: .milliseconds(1500))
            // The server ends the orphaned session when it next talks to the dead client.
            for _ in 0..<200 {
                let alive = try await db.sql.raw("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = \(bind: "continuum_crash_\(schema)")")
                    .first()!.decode(column: "n", as: Int.self)
                if alive == 0 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            try await Self.checkAfterCrash(db)
        }
    }
}
