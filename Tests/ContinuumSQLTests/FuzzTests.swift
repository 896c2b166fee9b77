import ContinuumSQL
import SQLKit
import Testing

/// Identifiers and values made of quotes, semicolons, comment markers, dollar quotes and SQL
/// keywords: every name is quoted and every value bound, so history is exact and nothing runs
/// that should not.
@Suite("Fuzzed names and values")
struct FuzzTests {
    static let pieces = ["\"", "'", ";", "--", "/*", "*/", "$$", "$continuum$", " ", "DROP TABLE item", "select", "end", "Ö", "`", "\\", ")", "(", "%s", "x"]

    static func name(_ random: inout SeededGenerator, prefix: String) -> String {
        prefix + (0..<Int.random(in: 1...3, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
    }

    @Test("random hostile table and column names and values", arguments: TestDatabase.allCases)
    func hostileNames(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.engine.install(on: db.sql)
            var random = SeededGenerator(state: 42)
            for round in 0..<15 {
                let table = Self.name(&random, prefix: "t\(round)")
                var names: [String] = []
                while names.count < 3 {
                    let column = Self.name(&random, prefix: "c\(names.count)")
                    if !names.contains(column) { names.append(column) }
                }
                let columns = names
                let quoted = columns.map { SQLText.quoted($0) }
                let create = "CREATE TABLE \(SQLText.quoted(table)) (\(quoted[0]) INTEGER PRIMARY KEY, \(quoted[1]) TEXT, \(quoted[2]) TEXT)"
                try await db.exec(create)
                let entity = Self.name(&random, prefix: "E")
                try await db.engine.enable(table, options: .init(tracksModifiedColumns: true, entityName: entity), on: db.sql)
                let values = (0..<4).map { _ in Self.name(&random, prefix: "v") }
                try await db.engine.versioned(on: db.sql, userID: values[0], meta: [values[1]: values[2]]) { sql in
                    try await sql.insert(into: table).columns(columns).values(SQLBind(1), SQLBind(values[0]), SQLBind(values[1])).run()
                }
                try await db.engine.versioned(on: db.sql) { sql in
                    try await sql.update(table).set(SQLIdentifier(columns[1]), to: SQLBind(values[3])).where(SQLIdentifier(columns[0]), .equal, SQLBind(1)).run()
                }
                try await db.engine.versioned(on: db.sql) { sql in
                    try await sql.delete(from: table).where(SQLIdentifier(columns[0]), .equal, SQLBind(1)).run()
                }
                let history = try await db.engine.versions(of: table, key: [columns[0]: 1], on: db.sql)
                #expect(history.map(\.operation) == [.insert, .update, .delete], "round \(round): \(table)")
                #expect(try history.map { try $0.decode(columns[1], as: String.self) } == [values[0], values[3], values[3]])
                #expect(try history.map { try $0.decode(columns[2], as: String.self) } == [values[1], values[1], values[1]])
                #expect(history.map { $0.isModified(columns[1]) } == [true, true, true])
                #expect(history.map { $0.isModified(columns[2]) } == [true, false, true])
                let log = try await db.engine.transactions(limit: 3, on: db.sql)
                #expect(log.last?.userID == values[0])
                #expect(log.last?.meta == [values[1]: values[2]])
                #expect(log.allSatisfy { $0.changedEntities == [entity] })
                #expect(try await db.engine.verify(table, on: db.sql).isValid)
                #expect(try await db.engine.checkDrift(table, on: db.sql) == nil)
            }
            #expect(try await db.tableExists("item") == false)
        }
    }
}
