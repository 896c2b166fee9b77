import ContinuumSQL
import FluentContinuum
import FluentKit
import SQLKit
import Testing

/// A model whose table and field names need quoting everywhere: a double quote, spaces, a
/// keyword, a name like a bookkeeping column's prefix.
final class OddItem: Model, Versioned, @unchecked Sendable {
    enum Mood: String, Codable, Sendable {
        case calm
        case veryHappy = "very happy"
    }
    static let schema = "odd \"items\""
    @ID(custom: "item id", generatedBy: .database) var id: Int?
    @Field(key: "order") var order: Int
    @Field(key: "na\"me") var name: String
    @Enum(key: "mood") var mood: Mood
    @OptionalField(key: "transaction") var transaction: String?
    init() {}
    init(order: Int, name: String, mood: Mood) {
        self.order = order
        self.name = name
        self.mood = mood
    }
}

@Suite("Odd names through the typed API")
struct OddNameTests {
    @Test("quoted table and field names, keywords and enums: write, read, diff, revert, as-of", arguments: TestDatabase.allCases)
    func oddNames(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.fluent.schema(OddItem.schema)
                .field("item id", .int, .identifier(auto: true))
                .field("order", .int, .required)
                .field("na\"me", .string, .required)
                .field("mood", .string, .required)
                .field("transaction", .string)
                .create()
            for migration in [Continuum.migration, OddItem.versioning] { try await migration.prepare(on: db.fluent) }
            let item = OddItem(order: 1, name: "a \"quoted\" name", mood: .calm)
            try await db.fluent.versioned(userID: "o'brien") { db in try await item.save(on: db) }
            let first = try await Transaction.query(on: db.fluent).sort(\.$id, .descending).first()!.id!
            try await db.fluent.versioned { db in
                item.order = 2
                item.mood = .veryHappy
                item.transaction = "not a bookkeeping column"
                try await item.save(on: db)
            }
            let versions = try await item.versions(on: db.fluent)
            #expect(versions.map(\.operation) == [.insert, .update])
            let order = try #require(try versions[1].change(\.$order))
            #expect(try order.old(as: Int.self) == 1 && order.new(as: Int.self) == 2)
            #expect(try versions[1].change(\.$name) == nil)
            #expect(versions[1].model.mood.rawValue == "very happy")
            #expect(versions[1].model.transaction == "not a bookkeeping column")
            #expect(try await versions[0].transaction(on: db.fluent).userID == "o'brien")

            let then = try await OddItem.query(on: db.fluent).filter(\.$order == 1).asOf(transaction: first).all()
            #expect(then.map(\.name) == ["a \"quoted\" name"])
            #expect(try await OddItem.query(on: db.fluent).filter(\.$order == 1).asOf(transaction: first + 1).count() == 0)

            try await db.fluent.versioned { db in try await versions[0].revert(on: db) }
            let live = try #require(try await OddItem.find(item.id, on: db.fluent))
            #expect(live.order == 1 && live.mood == .calm && live.transaction == nil)
            try await db.fluent.versioned { db in try await live.delete(on: db) }
            try await db.fluent.versioned { db in try await versions[1].revert(on: db) }
            #expect(try await OddItem.find(item.id, on: db.fluent)?.order == 2)
            #expect(try await OddItem.versions(id: item.requireID(), on: db.fluent).map(\.operation) == [.insert, .update, .update, .delete, .insert])
            #expect(try await db.engine.verify(OddItem.schema, on: db.sql).problems.isEmpty)
        }
    }
}
