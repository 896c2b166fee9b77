import ContinuumSQL
import FluentContinuum
import FluentKit
import SQLKit
import Testing

/// A line whose total the database computes and whose key is an identity column
/// `GENERATED ALWAYS` on PostgreSQL.
final class ComputedLine: Model, Versioned, @unchecked Sendable {
    static let schema = "computed_line"
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "price") var price: Int
    @Field(key: "qty") var qty: Int
    init() {}
    init(price: Int, qty: Int) {
        self.price = price
        self.qty = qty
    }
}

@Suite("Columns the database computes")
struct ComputedColumnTests {
    @Test("reverts never write generated columns and keep identity keys, through Fluent, the engine and a transaction revert", arguments: TestDatabase.allCases)
    func revertsSkipComputedColumns(_ database: TestDatabase) async throws {
        try await database.run { db in
            // SQLite does not list generated columns in pragma_table_info: they are not
            // versioned there, and a revert leaves them to the database as on PostgreSQL.
            try await db.exec(
                db.kind == .sqlite
                    ? "CREATE TABLE computed_line (id INTEGER PRIMARY KEY AUTOINCREMENT, price INTEGER NOT NULL, qty INTEGER NOT NULL, total INTEGER GENERATED ALWAYS AS (price * qty) STORED)"
                    : "CREATE TABLE computed_line (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, price integer NOT NULL, qty integer NOT NULL, total integer GENERATED ALWAYS AS (price * qty) STORED)"
            )
            for migration in [Continuum.migration, ComputedLine.versioning] { try await migration.prepare(on: db.fluent) }
            let line = ComputedLine(price: 2, qty: 3)
            try await db.fluent.versioned { db in try await line.save(on: db) }
            let id = try line.requireID()
            let first = try await Self.last(db)
            try await db.fluent.versioned { db in
                line.qty = 5
                try await line.save(on: db)
            }
            func live() async throws -> [[String?]] { try await db.rows("SELECT CAST(id AS TEXT), CAST(price AS TEXT), CAST(qty AS TEXT), CAST(total AS TEXT) FROM computed_line ORDER BY id") }
            #expect(try await live() == [["\(id)", "2", "5", "10"]])
            if db.kind == .postgres {
                #expect(try await db.versions("computed_line_version", ["id", "total"]) == [["\(id)", "6", "\(first)", "\(first + 1)", "0"], ["\(id)", "10", "\(first + 1)", nil, "1"]])
            }

            // Fluent: an update back to the first version, then the row deleted and inserted again.
            let versions = try await line.versions(on: db.fluent)
            try await db.fluent.versioned { db in try await versions[0].revert(on: db) }
            #expect(try await live() == [["\(id)", "2", "3", "6"]])
            try await db.fluent.versioned { db in try await line.delete(on: db) }
            try await db.fluent.versioned { db in try await versions[1].revert(on: db) }
            #expect(try await live() == [["\(id)", "2", "5", "10"]], "the row is back with its identity key")

            // The engine: one row, and a whole transaction.
            let result = try await db.engine.revert("computed_line", key: ["id": "\(id)"], to: first, on: db.sql)
            #expect(result.action == .updated)
            #expect(try await live() == [["\(id)", "2", "3", "6"]])
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("DELETE FROM computed_line").run() }
            let deleted = try await Self.last(db)
            let inserted = try await db.engine.revert("computed_line", key: ["id": "\(id)"], to: first, on: db.sql)
            #expect(inserted.action == .inserted)
            #expect(try await live() == [["\(id)", "2", "3", "6"]])
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("DELETE FROM computed_line").run() }
            let again = try await Self.last(db)
            try await db.engine.revert(transaction: again, on: db.sql)
            #expect(try await live() == [["\(id)", "2", "3", "6"]])
            try await db.engine.versioned(on: db.sql) { sql in try await sql.raw("UPDATE computed_line SET qty = 7").run() }
            try await db.engine.revert(transaction: try await Self.last(db), on: db.sql)
            #expect(try await live() == [["\(id)", "2", "3", "6"]])
            #expect(deleted < again)
            try await db.expectConsistent("computed_line")
        }
    }

    static func last(_ db: TestContext) async throws -> Int {
        try await db.engine.transactions(limit: 1, on: db.sql)[0].id
    }
}
