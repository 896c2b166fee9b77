import FluentContinuum
import FluentKit
import Foundation
import SQLKit
import Testing

enum GadgetKind: String, Codable, Sendable { case tool, toy }
enum GadgetGrade: String, Codable, Sendable { case low, high }

final class GadgetAddress: Fields, @unchecked Sendable {
    @Field(key: "city") var city: String
    @OptionalField(key: "zip") var zip: String?
    init() {}
    init(city: String, zip: String? = nil) {
        self.city = city
        self.zip = zip
    }
}

/// An app-generated UUID key, value types of every kind, a group, timestamps and a soft delete.
final class Gadget: Model, Versioned, @unchecked Sendable {
    static let schema = "shape_gadget"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @OptionalField(key: "nickname") var nickname: String?
    @Enum(key: "kind") var kind: GadgetKind
    @OptionalEnum(key: "grade") var grade: GadgetGrade?
    @Group(key: "address") var address: GadgetAddress
    @Field(key: "tags") var tags: [String]
    @Field(key: "blob") var blob: Data
    @Field(key: "price") var price: Double
    @Field(key: "amount") var amount: Decimal
    @Field(key: "made_on") var madeOn: Date
    @Field(key: "active") var active: Bool
    @OptionalParent(key: "owner_id") var owner: GadgetOwner?
    @Siblings(through: GadgetLabel.self, from: \.$gadget, to: \.$label) var labels: [ShapeLabel]
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    @Timestamp(key: "deleted_at", on: .delete) var deletedAt: Date?

    init() {}
    init(id: UUID = UUID(), name: String, kind: GadgetKind = .tool, city: String = "Oslo", ownerID: UUID? = nil) {
        self.id = id
        self.name = name
        self.kind = kind
        self.address = GadgetAddress(city: city)
        self.tags = []
        self.blob = Data([0, 1, 2])
        self.price = 1.5
        self.amount = Decimal(string: "10.25")!
        self.madeOn = Date(timeIntervalSince1970: 1_600_000_000)
        self.active = true
        self.$owner.id = ownerID
    }
}

/// A UUID-keyed parent with children and an optional child.
final class GadgetOwner: Model, Versioned, @unchecked Sendable {
    static let schema = "shape_owner"
    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @Children(for: \.$owner) var gadgets: [Gadget]
    @OptionalChild(for: \.$owner) var badge: GadgetBadge?
    init() {}
    init(id: UUID = UUID(), name: String) {
        self.id = id
        self.name = name
    }
}

final class GadgetBadge: Model, Versioned, @unchecked Sendable {
    static let schema = "shape_badge"
    @ID(key: .id) var id: UUID?
    @Field(key: "text") var text: String
    @OptionalParent(key: "owner_id") var owner: GadgetOwner?
    init() {}
    init(id: UUID = UUID(), text: String, ownerID: UUID?) {
        self.id = id
        self.text = text
        self.$owner.id = ownerID
    }
}

/// A string key the application chooses.
final class ShapeLabel: Model, Versioned, @unchecked Sendable {
    static let schema = "shape_label"
    @ID(custom: "code", generatedBy: .user) var id: String?
    @Field(key: "title") var title: String
    init() {}
    init(code: String, title: String) {
        self.id = code
        self.title = title
    }
}

/// A pivot with its own UUID key.
final class GadgetLabel: Model, Versioned, @unchecked Sendable {
    static let schema = "shape_gadget_label"
    @ID(key: .id) var id: UUID?
    @Parent(key: "gadget_id") var gadget: Gadget
    @Parent(key: "label_code") var label: ShapeLabel
    init() {}
}

struct CreateGadgets: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // A native enum on PostgreSQL; SQLite stores the cases as text.
        let kind = try await database.enum("shape_kind").case("tool").case("toy").create()
        let grade = try await database.enum("shape_grade").case("low").case("high").create()
        try await database.schema("shape_owner").id().field("name", .string, .required).create()
        try await database.schema("shape_gadget").id()
            .field("name", .string, .required)
            .field("nickname", .string)
            .field("kind", kind, .required)
            .field("grade", grade)
            .field("address_city", .string, .required)
            .field("address_zip", .string)
            .field("tags", .array(of: .string), .required)
            .field("blob", .data, .required)
            .field("price", .double, .required)
            .field("amount", .custom("NUMERIC(12,2)"), .required)
            .field("made_on", .datetime, .required)
            .field("active", .bool, .required)
            .field("owner_id", .uuid, .references("shape_owner", "id"))
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .field("deleted_at", .datetime)
            .create()
        try await database.schema("shape_badge").id().field("text", .string, .required).field("owner_id", .uuid).create()
        try await database.schema("shape_label").field("code", .string, .identifier(auto: false)).field("title", .string, .required).create()
        try await database.schema("shape_gadget_label").id()
            .field("gadget_id", .uuid, .required)
            .field("label_code", .string, .required)
            .create()
        for migration in [Continuum.migration, GadgetOwner.versioning, Gadget.versioning, GadgetBadge.versioning, ShapeLabel.versioning, GadgetLabel.versioning] {
            try await migration.prepare(on: database)
        }
    }

    func revert(on database: any Database) async throws {}
}

@Suite("Model shapes")
struct ModelShapeTests {
    static func last(_ db: any Database) async throws -> Int {
        try await Transaction.query(on: db).sort(\.$id, .descending).first()!.id!
    }

    @Test("value types: optional, enums, group, array, data, double, date, bool decode and diff typed", arguments: TestDatabase.allCases)
    func valueTypes(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateGadgets().prepare(on: db.fluent)
            let gadget = Gadget(name: "drill")
            try await db.fluent.versioned { db in try await gadget.save(on: db) }
            let made = Date(timeIntervalSince1970: 1_700_000_000)
            try await db.fluent.versioned { db in
                gadget.nickname = "driller"
                gadget.kind = .toy
                gadget.grade = .high
                gadget.address.city = "Bergen"
                gadget.address.zip = "5003"
                gadget.tags = ["red", "new"]
                gadget.blob = Data([9, 8])
                gadget.price = 2.25
                gadget.amount = Decimal(string: "99.99")!
                gadget.madeOn = made
                gadget.active = false
                try await gadget.save(on: db)
            }
            let versions = try await gadget.versions(on: db.fluent)
            #expect(versions.map(\.operation) == [.insert, .update])
            #expect(versions.map(\.model.id) == [gadget.id, gadget.id])
            let first = versions[0].model, second = versions[1].model
            #expect(first.nickname == nil && second.nickname == "driller")
            #expect(first.kind == .tool && second.kind == .toy)
            #expect(first.grade == nil && second.grade == .high)
            #expect(first.address.city == "Oslo" && second.address.city == "Bergen")
            #expect(first.address.zip == nil && second.address.zip == "5003")
            #expect(first.tags == [] && second.tags == ["red", "new"])
            #expect(first.blob == Data([0, 1, 2]) && second.blob == Data([9, 8]))
            #expect(first.price == 1.5 && second.price == 2.25)
            #expect(first.amount == Decimal(string: "10.25")! && second.amount == Decimal(string: "99.99")!)
            #expect(first.madeOn == Date(timeIntervalSince1970: 1_600_000_000) && second.madeOn == made)
            #expect(first.active == true && second.active == false)
            #expect(first.createdAt != nil && first.createdAt == second.createdAt)

            let change = versions[1]
            #expect(try change.change(\.$nickname)?.old(as: String.self) == nil)
            #expect(try change.change(\.$nickname)?.new(as: String.self) == "driller")
            #expect(try change.change(\.$kind)?.old(as: GadgetKind.self) == .tool)
            #expect(try change.change(\.$kind)?.new(as: GadgetKind.self) == .toy)
            #expect(try change.change(\.$grade)?.new(as: GadgetGrade.self) == .high)
            #expect(try change.change(\.$address.$city)?.old(as: String.self) == "Oslo")
            #expect(try change.change(\.$address.$city)?.new(as: String.self) == "Bergen")
            #expect(try change.change(\.$tags)?.old(as: [String].self) == [])
            #expect(try change.change(\.$tags)?.new(as: [String].self) == ["red", "new"])
            #expect(try change.change(\.$blob)?.new(as: Data.self) == Data([9, 8]))
            #expect(try change.change(\.$blob)?.old(as: Data.self) == Data([0, 1, 2]))
            // Values print as JSON prints them: data in base64, decimals as numbers.
            #expect(change.changeset["blob"]?.description == #""AAEC" → "CQg=""#)
            #expect(change.changeset["amount"]?.description == "10.25 → 99.99")
            #expect(try change.change(\.$price)?.old(as: Double.self) == 1.5)
            #expect(try change.change(\.$amount)?.old(as: Decimal.self) == Decimal(string: "10.25")!)
            #expect(try change.change(\.$amount)?.new(as: Decimal.self) == Decimal(string: "99.99")!)
            #expect(try change.change(\.$madeOn)?.new(as: Date.self) == made)
            #expect(try change.change(\.$active)?.old(as: Bool.self) == true)
            #expect(try change.change(\.$active)?.new(as: Bool.self) == false)
            #expect(try change.change(\.$createdAt) == nil, "unchanged")
            #expect(try change.change(\.$name) == nil)
            #expect(
                change.changeset.keys.sorted() == [
                    "active", "address_city", "address_zip", "amount", "blob", "grade", "kind", "made_on", "nickname", "price", "tags", "updated_at",
                ])

            // Version queries filter and sort on these types.
            #expect(try await Gadget.query(on: db.fluent).filter(\.$kind == .toy).versions().map(\.index) == [1])
            #expect(try await Gadget.query(on: db.fluent).filter(\.$active == true).filter(\.$grade == nil).versions().map(\.index) == [0])
            #expect(try await Gadget.query(on: db.fluent).sort(\.$address.$city).versions().map(\.model.address.city) == ["Bergen", "Oslo"])

            // Reverting writes every type back.
            try await db.fluent.versioned { db in try await versions[0].revert(on: db) }
            let live = try #require(try await Gadget.find(gadget.id, on: db.fluent))
            #expect(live.nickname == nil && live.kind == .tool && live.grade == nil)
            #expect(live.address.city == "Oslo" && live.address.zip == nil)
            #expect(live.tags == [] && live.blob == Data([0, 1, 2]) && live.price == 1.5 && live.active)
            #expect(live.amount == Decimal(string: "10.25")!)
            #expect(live.madeOn == Date(timeIntervalSince1970: 1_600_000_000))
            #expect(live.updatedAt == first.updatedAt, "a revert writes the timestamps back too, it does not touch them")
            let after = try await gadget.versions(on: db.fluent)
            #expect(after.count == 3)
            #expect(after[2].changeset == Dictionary(uniqueKeysWithValues: versions[1].changeset.map { ($0.key, FieldChange(old: $0.value.new, new: $0.value.old)) }))
            try await db.expectConsistent("shape_gadget")
        }
    }

    @Test("string keys chosen by the application: history by id, revert, as-of find", arguments: TestDatabase.allCases)
    func stringKeys(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateGadgets().prepare(on: db.fluent)
            let label = ShapeLabel(code: "hot-deal", title: "Hot")
            try await db.fluent.versioned { db in try await label.save(on: db) }
            let t1 = try await Self.last(db.fluent)
            label.title = "Hotter"
            try await db.fluent.versioned { db in try await label.save(on: db) }
            try await db.fluent.versioned { db in try await label.delete(on: db) }
            let versions = try await ShapeLabel.versions(id: "hot-deal", on: db.fluent)
            #expect(versions.map(\.operation) == [.insert, .update, .delete])
            #expect(versions.map(\.model.id) == ["hot-deal", "hot-deal", "hot-deal"])
            #expect(try await ShapeLabel.versionCount(id: "hot-deal", on: db.fluent) == 3)
            #expect(try await ShapeLabel.find("hot-deal", asOf: t1, on: db.fluent)?.title == "Hot")
            #expect(try await ShapeLabel.deletedVersions(on: db.fluent).map(\.model.id) == ["hot-deal"])
            try await db.fluent.versioned { db in try await versions[1].revert(on: db) }
            #expect(try await ShapeLabel.find("hot-deal", on: db.fluent)?.title == "Hotter")
            #expect(try await ShapeLabel.versions(id: "other", on: db.fluent).isEmpty)
            try await db.expectConsistent("shape_label")
        }
    }

    @Test("soft delete and restore are updates of deleted_at; history is found by model and id; a revert makes the row visible again", arguments: TestDatabase.allCases)
    func softDelete(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateGadgets().prepare(on: db.fluent)
            let gadget = Gadget(name: "saw")
            try await db.fluent.versioned { db in try await gadget.save(on: db) }
            try await db.fluent.versioned { db in try await gadget.delete(on: db) }
            #expect(try await Gadget.query(on: db.fluent).count() == 0)
            #expect(try await Gadget.query(on: db.fluent).withDeleted().count() == 1)
            let versions = try await gadget.versions(on: db.fluent)
            #expect(versions.map(\.operation) == [.insert, .update], "a soft delete is an UPDATE")
            #expect(versions[0].model.deletedAt == nil && versions[1].model.deletedAt != nil)
            #expect(try versions[1].change(\.$deletedAt)?.old(as: Date.self) == nil)
            #expect(try versions[1].change(\.$deletedAt)?.new(as: Date.self) != nil)
            #expect(try await Gadget.versions(id: gadget.requireID(), on: db.fluent).count == 2)
            #expect(try await Gadget.deletedVersions(on: db.fluent).isEmpty, "soft-deleted rows are not deleted versions")

            // Reverting to the version before the soft delete clears deleted_at: Fluent sees the row again.
            try await db.fluent.versioned { db in try await versions[0].revert(on: db) }
            #expect(try await Gadget.query(on: db.fluent).all().map(\.name) == ["saw"])

            // restore() is an UPDATE clearing deleted_at.
            let again = try #require(try await Gadget.find(gadget.id, on: db.fluent))
            try await db.fluent.versioned { db in try await again.delete(on: db) }
            try await db.fluent.versioned { db in try await again.restore(on: db) }
            let restored = try await gadget.versions(on: db.fluent)
            #expect(restored.map(\.operation) == [.insert, .update, .update, .update, .update])
            #expect(restored.map { $0.model.deletedAt == nil } == [true, false, true, false, true])

            // A forced delete removes the row: a DELETE version, listed as deleted, brought back by a revert.
            try await db.fluent.versioned { db in try await again.delete(force: true, on: db) }
            #expect(try await Gadget.query(on: db.fluent).withDeleted().count() == 0)
            let forced = try await Gadget.versions(id: gadget.requireID(), on: db.fluent)
            #expect(forced.last?.operation == .delete)
            #expect(try await Gadget.deletedVersions(on: db.fluent).map(\.model.id) == [gadget.id])
            try await db.fluent.versioned { db in try await forced[forced.count - 2].revert(on: db) }
            #expect(try await Gadget.query(on: db.fluent).all().map(\.name) == ["saw"])

            // Reverting to a soft-deleted version hides the row again.
            let all = try await gadget.versions(on: db.fluent)
            try await db.fluent.versioned { db in try await all[1].revert(on: db) }
            #expect(try await Gadget.query(on: db.fluent).count() == 0)
            #expect(try await Gadget.query(on: db.fluent).withDeleted().count() == 1)
            try await db.expectConsistent("shape_gadget")
        }
    }
}

extension ModelShapeTests {
    /// t1: owners Ann and Bob, a gadget of Ann's with label a, Ann's badge. t2: the gadget moves
    /// to Bob, its label becomes b, the badge is edited. t3: Ann is deleted.
    static func ownership(_ db: any Database) async throws -> (ann: GadgetOwner, bob: GadgetOwner, gadget: Gadget, t: [Int]) {
        let ann = GadgetOwner(name: "Ann"), bob = GadgetOwner(name: "Bob")
        let gadget = Gadget(name: "drill", ownerID: ann.id)
        let a = ShapeLabel(code: "a", title: "A"), b = ShapeLabel(code: "b", title: "B")
        let badge = GadgetBadge(text: "old", ownerID: ann.id)
        try await db.versioned { db in
            try await ann.save(on: db)
            try await bob.save(on: db)
            try await gadget.save(on: db)
            try await a.save(on: db)
            try await b.save(on: db)
            try await badge.save(on: db)
            try await gadget.$labels.attach(a, on: db) { $0.id = UUID() }
        }
        let t1 = try await Self.last(db)
        try await db.versioned { db in
            gadget.$owner.id = bob.id
            try await gadget.save(on: db)
            try await gadget.$labels.detach(a, on: db)
            try await gadget.$labels.attach(b, on: db) { $0.id = UUID() }
            badge.text = "new"
            try await badge.save(on: db)
        }
        let t2 = try await Self.last(db)
        try await db.versioned { db in try await ann.delete(on: db) }
        let t3 = try await Self.last(db)
        return (ann, bob, gadget, [t1, t2, t3])
    }

    @Test("relations of UUID-keyed models in time: optional parent, children, optional child, siblings through a UUID pivot", arguments: TestDatabase.allCases)
    func relations(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateGadgets().prepare(on: db.fluent)
            let (ann, bob, gadget, t) = try await Self.ownership(db.fluent)
            let gadgets = try await gadget.versions(on: db.fluent)
            #expect(gadgets.count == 2)
            #expect(try await gadgets[0].related(\.$owner, on: db.fluent)?.model.name == "Ann", "a parent deleted since")
            #expect(try await gadgets[1].related(\.$owner, on: db.fluent)?.model.name == "Bob")
            #expect(try await gadgets[0].related(\.$labels, on: db.fluent).map(\.model.title) == ["A"])
            #expect(try await gadgets[1].related(\.$labels, on: db.fluent).map(\.model.title) == ["B"])

            let anns = try await GadgetOwner.versions(id: ann.requireID(), on: db.fluent)
            #expect(anns.map(\.operation) == [.insert, .delete])
            #expect(try await anns[0].related(\.$gadgets, on: db.fluent).map(\.model.name) == ["drill"])
            #expect(try await anns[0].related(\.$gadgets, at: t[1], on: db.fluent).isEmpty, "moved to Bob")
            #expect(try await anns[1].related(\.$gadgets, on: db.fluent).isEmpty)
            #expect(try await anns[0].related(\.$badge, on: db.fluent)?.model.text == "old")
            #expect(try await anns[1].related(\.$badge, on: db.fluent)?.model.text == "new", "read just before the delete")
            let bobs = try await bob.versions(on: db.fluent)
            #expect(try await bobs[0].related(\.$gadgets, on: db.fluent).isEmpty)
            #expect(try await bobs[0].related(\.$gadgets, at: t[2], on: db.fluent).map(\.model.id) == [gadget.id])
            #expect(try await bobs[0].related(\.$badge, on: db.fluent) == nil)

            // The moment travels: Ann's gadget then, and its labels then.
            let then = try #require(try await anns[0].related(\.$gadgets, on: db.fluent).first)
            #expect(try await then.related(\.$labels, on: db.fluent).map(\.model.id) == ["a"])

            // Revert with relations brings the deleted owner back and resets the links.
            try await db.fluent.versioned { db in
                _ = try await gadgets[0].revert(relations: [.relation(\.$owner), .relation(\.$labels)], on: db)
            }
            let live = try #require(try await Gadget.query(on: db.fluent).with(\.$owner).with(\.$labels).first())
            #expect(live.owner?.name == "Ann" && live.owner?.id == ann.id)
            #expect(live.labels.map(\.id) == ["a"])

            // Bob as he was at t1, with his children and optional child: none then, so the drill
            // he holds again (a later move) is detached, and he has no badge.
            let drill = try #require(try await Gadget.find(gadget.id, on: db.fluent))
            drill.$owner.id = bob.id
            try await db.fluent.versioned { db in try await drill.save(on: db) }
            let report = try await db.fluent.versioned { db in
                try await bobs[0].revert(relations: [.relation(\.$gadgets, surplus: .detach), .relation(\.$badge)], on: db)
            }
            #expect(report.count(.detached, "shape_gadget") == 1)
            #expect(try await Gadget.find(gadget.id, on: db.fluent)?.$owner.id == nil)
            // Ann's DELETE version's previous one, with her badge as it was then ("old").
            let annThen = try #require(try await GadgetOwner.versions(id: ann.requireID(), on: db.fluent).first)
            _ = try await db.fluent.versioned { db in try await annThen.revert(relations: [.relation(\.$badge)], on: db) }
            #expect(try await GadgetBadge.query(on: db.fluent).all().map(\.text) == ["old"])
            try await db.expectConsistent("shape_gadget", "shape_owner", "shape_badge", "shape_label", "shape_gadget_label")
        }
    }

    @Test("as-of queries filter and sort on enums, bools, doubles, dates, groups and soft deletes, with eager loads", arguments: TestDatabase.allCases)
    func asOf(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateGadgets().prepare(on: db.fluent)
            let (_, bob, drill, t) = try await Self.ownership(db.fluent)
            let saw = Gadget(name: "saw", kind: .toy, city: "Bergen"), kite = Gadget(name: "kite", kind: .toy, city: "Alta", ownerID: bob.id)
            saw.price = 9
            kite.active = false
            kite.madeOn = Date(timeIntervalSince1970: 1_000_000_000)
            try await db.fluent.versioned { db in
                try await saw.save(on: db)
                try await kite.save(on: db)
            }
            let t4 = try await Self.last(db.fluent)
            try await db.fluent.versioned { db in
                saw.kind = .tool
                try await saw.save(on: db)
                try await kite.delete(on: db)  // soft
            }
            let t5 = try await Self.last(db.fluent)

            #expect(try await Gadget.query(on: db.fluent).asOf(transaction: t[0]).all().map(\.name) == ["drill"])
            let toys = try await Gadget.query(on: db.fluent).filter(\.$kind == .toy).sort(\.$name).asOf(transaction: t4).all()
            #expect(toys.map(\.name) == ["kite", "saw"])
            #expect(try await Gadget.query(on: db.fluent).filter(\.$kind == .toy).asOf(transaction: t5).all().map(\.name) == [])
            #expect(try await Gadget.query(on: db.fluent).filter(\.$active == false).asOf(transaction: t4).all().map(\.name) == ["kite"])
            #expect(try await Gadget.query(on: db.fluent).sort(\.$price, .descending).sort(\.$name).asOf(transaction: t4).all().map(\.name) == ["saw", "drill", "kite"])
            let cutoff = Date(timeIntervalSince1970: 1_500_000_000)
            #expect(try await Gadget.query(on: db.fluent).filter(\.$madeOn < cutoff).asOf(transaction: t4).all().map(\.name) == ["kite"])
            #expect(try await Gadget.query(on: db.fluent).sort(\.$address.$city).asOf(transaction: t4).all().map(\.name) == ["kite", "saw", "drill"])
            #expect(try await Gadget.query(on: db.fluent).filter(\.$grade == nil).asOf(transaction: t4).count() == 3)
            #expect(try await Gadget.query(on: db.fluent).sort(\.$name).asOf(transaction: t5).all().map(\.name) == ["drill", "saw"], "kite is soft-deleted then")
            #expect(try await Gadget.query(on: db.fluent).withDeleted().sort(\.$name).asOf(transaction: t5).all().map(\.name) == ["drill", "kite", "saw"])

            // Joined models: their fields are read, and their soft-deleted rows left out, as Fluent does.
            let joined = GadgetOwner.query(on: db.fluent).join(Gadget.self, on: \Gadget.$owner.$id == \GadgetOwner.$id).sort(Gadget.self, \.$name)
            #expect(try await joined.all().map { try $0.joined(Gadget.self).name } == ["drill"])
            #expect(try await joined.copy().asOf(transaction: t4).all().map { try $0.joined(Gadget.self).name } == ["drill", "kite"])
            #expect(try await joined.copy().asOf(transaction: t5).all().map { try $0.joined(Gadget.self).name } == ["drill"])
            #expect(try await joined.copy().withDeleted().asOf(transaction: t5).all().map { try $0.joined(Gadget.self).name } == ["drill", "kite"])
            #expect(try await joined.copy().asOf(transaction: t5).all().map(\.name) == ["Bob"])

            let eager = try await Gadget.query(on: db.fluent).filter(\.$id == drill.requireID()).with(\.$owner).with(\.$labels).asOf(transaction: t[0]).all()
            #expect(eager.map { $0.owner?.name } == ["Ann"])
            #expect(eager.first?.labels.map(\.id) == ["a"])
            let owners = try await GadgetOwner.query(on: db.fluent).with(\.$gadgets).with(\.$badge).sort(\.$name).asOf(transaction: t[1]).all()
            #expect(owners.map(\.name) == ["Ann", "Bob"])
            #expect(owners.map { $0.gadgets.map(\.name) } == [[], ["drill"]])
            #expect(owners.map { $0.badge?.text } == ["new", nil])
            #expect(try await GadgetOwner.find(owners[0].requireID(), asOf: t[2], on: db.fluent) == nil, "deleted then")
        }
    }

    @Test("reverting a transaction that touched several models of these shapes puts each back", arguments: TestDatabase.allCases)
    func transactionRevert(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateGadgets().prepare(on: db.fluent)
            let (_, bob, gadget, _) = try await Self.ownership(db.fluent)
            let c = ShapeLabel(code: "c", title: "C")
            try await db.fluent.versioned { db in
                gadget.kind = .toy
                gadget.tags = ["x"]
                gadget.blob = Data([7])
                gadget.address.city = "Tromsø"
                try await gadget.save(on: db)
                try await c.save(on: db)
                try await gadget.$labels.attach(c, on: db) { $0.id = UUID() }
                bob.name = "Robert"
                try await bob.save(on: db)
            }
            let touched = try #require(try await Transaction.find(Self.last(db.fluent), on: db.fluent))
            let plan = try await touched.revertPlan(on: db.fluent)
            #expect(plan.changes.count == 4 && plan.conflicts.isEmpty)
            _ = try await db.fluent.versioned(userID: "admin") { db in try await touched.revert(on: db) }
            let live = try #require(try await Gadget.query(on: db.fluent).with(\.$labels).first())
            #expect(live.kind == .tool && live.tags == [] && live.blob == Data([0, 1, 2]) && live.address.city == "Oslo")
            #expect(live.labels.map(\.id) == ["b"])
            #expect(try await ShapeLabel.find("c", on: db.fluent) == nil)
            #expect(try await GadgetOwner.find(bob.id, on: db.fluent)?.name == "Bob")
            let reverted = try #require(try await Transaction.find(Self.last(db.fluent), on: db.fluent))
            #expect(try await reverted.meta(on: db.fluent)["continuum.reverted_transaction"] == touched.id.map(String.init))
            #expect(try await gadget.versions(on: db.fluent).last?.model.blob == Data([0, 1, 2]))
            try await db.expectConsistent("shape_gadget", "shape_owner", "shape_label", "shape_gadget_label")
        }
    }
}

/// A model whose table gained a required field after rows were versioned.
final class Grown: Model, Versioned, @unchecked Sendable {
    static let schema = "shape_grown"
    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @Field(key: "rank") var rank: Int
    init() {}
}

/// A model with an optional value in a plain `@Field` (not `@OptionalField`).
final class ShapeMemo: Model, Versioned, @unchecked Sendable {
    static let schema = "shape_memo"
    @ID(key: .id) var id: UUID?
    @Field(key: "title") var title: String
    @Field(key: "note") var note: String?
    init() {}
}

/// A versioned model whose versioning migration never ran.
final class Unversioned: Model, Versioned, @unchecked Sendable {
    static let schema = "shape_unversioned"
    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    init() {}
    init(name: String) { self.name = name }
}

extension ModelShapeTests {
    @Test("a required field added after versions were written: old versions still read and revert", arguments: TestDatabase.allCases)
    func fieldAddedLater(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.fluent.schema("shape_grown").id().field("name", .string, .required).create()
            try await Continuum.migration.prepare(on: db.fluent)
            try await Grown.versioning.prepare(on: db.fluent)
            let id = UUID()
            try await db.fluent.versioned { db in
                try await (db as! any SQLDatabase).raw("INSERT INTO shape_grown (id, name) VALUES (\(bind: id), 'first')").run()
            }
            // The migration adding the field.
            try await db.fluent.schema("shape_grown").field("rank", .int, .required, .sql(.default(0))).update()
            try await Grown.syncVersioning(on: db.fluent)
            let grown = try #require(try await Grown.find(id, on: db.fluent))
            grown.name = "second"
            grown.rank = 5
            try await db.fluent.versioned { db in try await grown.save(on: db) }

            let versions = try await grown.versions(on: db.fluent)
            #expect(versions.map(\.model.name) == ["first", "second"])
            #expect(versions[0].model.$rank.value == nil, "no value then: the field is left unset")
            #expect(versions[1].model.rank == 5)
            #expect(try versions[1].change(\.$rank)?.old(as: Int.self) == nil)
            #expect(try versions[1].change(\.$rank)?.new(as: Int.self) == 5)
            // A revert to a version from before the field existed keeps the field's current value.
            try await db.fluent.versioned { db in try await versions[0].revert(on: db) }
            let live = try #require(try await Grown.find(id, on: db.fluent))
            #expect(live.name == "first" && live.rank == 5)
            #expect(try await Grown.query(on: db.fluent).asOf(transaction: versions[0].transactionID).all().map(\.name) == ["first"])
            try await db.expectConsistent("shape_grown")
        }
    }

    @Test("as-of reads a NULL in an optional @Field as nil, never as a field not fetched", arguments: TestDatabase.allCases)
    func optionalFieldAsOf(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.fluent.schema("shape_memo").id().field("title", .string, .required).field("note", .string).create()
            try await Continuum.migration.prepare(on: db.fluent)
            try await ShapeMemo.versioning.prepare(on: db.fluent)
            let memo = ShapeMemo()
            memo.title = "first"
            memo.note = nil
            try await db.fluent.versioned { db in try await memo.save(on: db) }
            let first = try #require(try await memo.versions(on: db.fluent).last?.transactionID)
            memo.note = "later"
            try await db.fluent.versioned { db in try await memo.save(on: db) }
            let then = try await ShapeMemo.query(on: db.fluent).asOf(transaction: first).all()
            #expect(then.map(\.title) == ["first"])
            #expect(then.map(\.note) == [nil], "an optional @Field's NULL reads as nil, not as a field never fetched")
            #expect(try await ShapeMemo.query(on: db.fluent).asOf(transaction: first).filter(\.$note == nil).count() == 1)
        }
    }

    @Test("bad input: an unknown transaction, ids without history, a model whose versioning never ran", arguments: TestDatabase.allCases)
    func badInput(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await CreateGadgets().prepare(on: db.fluent)
            try await db.fluent.schema("shape_unversioned").id().field("name", .string, .required).create()
            let gadget = Gadget(name: "drill")
            try await db.fluent.versioned { db in try await gadget.save(on: db) }

            #expect(try await Gadget.versions(id: UUID(), on: db.fluent).isEmpty)
            #expect(try await Gadget.version(id: UUID(), at: 1, on: db.fluent) == nil)
            #expect(try await Gadget.version(id: gadget.requireID(), at: 999, on: db.fluent)?.transactionID == 1)
            let missing = Transaction()
            missing.id = 999
            await #expect(throws: ContinuumError.transactionNotFound(999)) { try await missing.revertPlan(on: db.fluent) }
            await #expect(throws: ContinuumError.transactionNotFound(999)) { try await missing.revert(on: db.fluent) }
            let unsaved = Gadget(name: "unsaved")
            unsaved.id = nil
            await #expect(throws: ContinuumError.idRequired(model: "Gadget")) { try await unsaved.versions(on: db.fluent) }

            let plain = Unversioned(name: "p")
            try await plain.save(on: db.fluent)
            await #expect(throws: ContinuumError.tableNotVersioned("shape_unversioned")) { try await plain.versions(on: db.fluent) }
            await #expect(throws: ContinuumError.tableNotVersioned("shape_unversioned")) { try await Unversioned.versions(id: plain.requireID(), on: db.fluent) }
            await #expect(throws: ContinuumError.tableNotVersioned("shape_unversioned")) { try await Unversioned.versionCount(id: plain.requireID(), on: db.fluent) }
            await #expect(throws: ContinuumError.tableNotVersioned("shape_unversioned")) { try await Unversioned.deletedVersions(on: db.fluent) }
            await #expect(throws: ContinuumError.tableNotVersioned("shape_unversioned")) { try await Unversioned.query(on: db.fluent).asOf(transaction: 1).all() }
            await #expect(throws: ContinuumError.tableNotVersioned("shape_unversioned")) { try await Unversioned.query(on: db.fluent).versions() }
            #expect(ContinuumError.tableNotVersioned("shape_unversioned").description.contains("version"))
        }
    }
}
