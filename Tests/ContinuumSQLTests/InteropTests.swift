import ContinuumSQL
import Foundation
import SQLKit
import Testing

/// swift-continuum and SQLAlchemy-Continuum 2.0.0 (the real one, from PyPI, run by
/// `Tests/Interop/continuum_interop.py`) read and continue each other's history.
@Suite("Interop with SQLAlchemy-Continuum")
struct InteropTests {
    /// Entity names as Continuum records them: its model class names.
    static let articleOptions = TableVersioningOptions(entityName: "Article")
    static let tagOptions = TableVersioningOptions(entityName: "Tag")

    @Test("SQLAlchemy-Continuum reads the seed scenario swift-continuum wrote: versions, changesets, version_at, transactions", arguments: TestDatabase.allCases)
    func continuumReadsOurHistory(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.createSeedTables()
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("article", options: Self.articleOptions, on: db.sql)
            try await db.engine.enable("tag", options: Self.tagOptions, on: db.sql)
            // Semantics.md, "The seed scenario": five commits, the fifth reverting to the first version.
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO article (name, content) VALUES ('Some article', 'Some content')").run()
                try await sql.raw("INSERT INTO tag (name, article_id) VALUES ('python', 1)").run()
            }
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE article SET name = 'Updated article' WHERE id = 1").run() }
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE article SET name = 'Updated article' WHERE id = 1").run() }
            try await db.engine.versioned(on: db.sql) { try await $0.raw("DELETE FROM tag WHERE id = 1").run() }
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE article SET name = 'Some article' WHERE id = 1").run() }

            let dump = try ContinuumInterop.dump(db)
            let article = try #require(dump.entities["Article"]?.first)
            #expect(article.id == 1)
            #expect(article.versions.map(\.transactionID) == [1, 2, 4])
            #expect(article.versions.map(\.endTransactionID) == [2, 4, nil])
            #expect(article.versions.map(\.operationType) == [0, 1, 1])
            #expect(article.versions.map(\.index) == [0, 1, 2])
            #expect(article.versions.map { $0.values["name"] } == [.string("Some article"), .string("Updated article"), .string("Some article")])
            #expect(
                article.versions[0].changeset == [
                    "id": [.null, .int(1)], "name": [.null, .string("Some article")], "content": [.null, .string("Some content")],
                ])
            #expect(article.versions[1].changeset == ["name": [.string("Some article"), .string("Updated article")]])
            #expect(article.versions[2].changeset == ["name": [.string("Updated article"), .string("Some article")]])
            #expect(article.at.mapValues { $0?.transactionID } == ["1": 1, "2": 2, "3": 2, "4": 4])
            let tag = try #require(dump.entities["Tag"]?.first)
            #expect(tag.versions.map(\.transactionID) == [1, 3])
            #expect(tag.versions.map(\.endTransactionID) == [3, nil])
            #expect(tag.versions.map(\.operationType) == [0, 2])
            #expect(tag.at.mapValues { $0?.operationType } == ["1": 0, "2": 0, "3": 2, "4": 2])
            #expect(dump.transactions.map(\.id) == [1, 2, 3, 4])
            #expect(
                dump.transactions.map(\.changedEntities) == [
                    ["Article": [1], "Tag": [1]], ["Article": [1]], ["Tag": [1]], ["Article": [1]],
                ])

            // What Continuum read equals what swift-continuum reads.
            let ours = try await db.engine.versions(of: "article", key: ["id": 1], on: db.sql)
            #expect(ours.map(\.transactionID) == article.versions.map(\.transactionID))
            #expect(ours.map(\.endTransactionID) == article.versions.map(\.endTransactionID))
        }
    }

    @Test("SQLAlchemy-Continuum reads a history swift-continuum pruned and redacted", arguments: TestDatabase.allCases)
    func continuumReadsPrunedHistory(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.createSeedTables()
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("article", options: Self.articleOptions, on: db.sql)
            try await db.engine.enable("tag", options: Self.tagOptions, on: db.sql)
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("INSERT INTO article (name, content) VALUES ('Some article', 'Some content')").run()
                try await sql.raw("INSERT INTO tag (name, article_id) VALUES ('python', 1)").run()
            }
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE article SET name = 'Updated article' WHERE id = 1").run() }
            try await db.engine.versioned(on: db.sql) { try await $0.raw("DELETE FROM tag WHERE id = 1").run() }
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE article SET name = 'Some article' WHERE id = 1").run() }
            // Keep one version per row (transactions 1 and 2 go), then erase the article's content.
            let pruned = try await db.engine.prune(keepLast: 1, on: db.sql)
            #expect(pruned.transactions == 2)
            let redaction = try await db.engine.redact("article", .key(["1"]), fields: ["content"], on: db.sql)
            #expect(try await db.engine.verifySeal(on: db.sql).isValid)
            try await db.expectConsistent("article", "tag")

            let dump = try ContinuumInterop.dump(db)
            let article = try #require(dump.entities["Article"]?.first)
            #expect(article.versions.map(\.transactionID) == [4, redaction.transactionID])
            #expect(article.versions.map(\.endTransactionID) == [redaction.transactionID, nil])
            #expect(article.versions.map(\.operationType) == [0, 1])
            #expect(article.versions.map(\.index) == [0, 1])
            #expect(article.versions.map { $0.values["content"] } == [.null, .null])
            #expect(article.versions.map { $0.values["name"] } == [.string("Some article"), .string("Some article")])
            #expect(article.versions[0].changeset == ["id": [.null, .int(1)], "name": [.null, .string("Some article")]])
            let tag = try #require(dump.entities["Tag"]?.first)
            #expect(tag.versions.map(\.transactionID) == [3])
            #expect(tag.versions.map(\.operationType) == [2])
            #expect(!dump.transactions.map(\.id).contains(1) && !dump.transactions.map(\.id).contains(2))
        }
    }

    @Test("swift-continuum adopts a database SQLAlchemy-Continuum created, continues every chain, and Continuum reads the result", arguments: TestDatabase.allCases)
    func weAdoptContinuumHistory(_ database: TestDatabase) async throws {
        try await database.run { db in
            try ContinuumInterop.run("seed", db)
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("article", options: Self.articleOptions, on: db.sql)
            try await db.engine.enable("tag", options: Self.tagOptions, on: db.sql)
            try await db.expectConsistent("article", "tag")

            try await db.engine.versioned(on: db.sql, userID: "swift") { sql in
                try await sql.raw("UPDATE article SET name = 'Adopted article' WHERE id = 1").run()
            }
            // An explicit key: Continuum's SQLite tables have rowid keys, which SQLite reuses
            // after a delete (enable warns about it), and tag 1 is deleted.
            try await db.engine.versioned(on: db.sql) { try await $0.raw("INSERT INTO tag (id, name, article_id) VALUES (2, 'swift', 1)").run() }
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("DELETE FROM tag WHERE article_id = 1").run()
                try await sql.raw("DELETE FROM article WHERE id = 1").run()
            }
            try await db.expectConsistent("article", "tag")
            // Continuum's transactions were 1...4; ours continue at 5 and close its open versions.
            #expect(
                try await db.versions("article_version", ["id", "name"]) == [
                    ["1", "Some article", "1", "2", "0"],
                    ["1", "Updated article", "2", "4", "1"],
                    ["1", "Some article", "4", "5", "1"],
                    ["1", "Adopted article", "5", "7", "1"],
                    ["1", "Adopted article", "7", nil, "2"],
                ])
            #expect(
                try await db.versions("tag_version", ["id", "name"], orderBy: ["id", "transaction_id"]) == [
                    ["1", "python", "1", "3", "0"],
                    ["1", "python", "3", nil, "2"],
                    ["2", "swift", "6", "7", "0"],
                    ["2", "swift", "7", nil, "2"],
                ])
            #expect(try await db.rows("SELECT CAST(user_id AS TEXT) FROM \"transaction\" WHERE id = 5") == [["swift"]])

            // Continuum reads the continued history as its own.
            let dump = try ContinuumInterop.dump(db)
            let article = try #require(dump.entities["Article"]?.first)
            #expect(article.versions.map(\.transactionID) == [1, 2, 4, 5, 7])
            #expect(article.versions.map(\.operationType) == [0, 1, 1, 1, 2])
            #expect(article.versions[3].changeset == ["name": [.string("Some article"), .string("Adopted article")]])
            #expect(article.at["6"]??.transactionID == 5)
            #expect(dump.transactions.map(\.id) == [1, 2, 3, 4, 5, 6, 7])
            #expect(dump.transactions.last?.changedEntities == ["Article": [1], "Tag": [2]])
        }
    }
}

extension InteropTests {
    struct ManyToMany: Decodable {
        struct Entry: Decodable, Equatable {
            var transactionID: Int
            var name: String
            var labels: [Int]
            enum CodingKeys: String, CodingKey { case transactionID = "transaction_id", name, labels }
        }
        var versions: [Entry]
    }

    @Test("many-to-many: adopting Continuum's association history repairs its chains, and Continuum reads the links we add", arguments: TestDatabase.allCases)
    func manyToMany(_ database: TestDatabase) async throws {
        try await database.run { db in
            try ContinuumInterop.run("seed-m2m", db)
            try await db.engine.install(on: db.sql)
            try await db.engine.enable("article", options: Self.articleOptions, on: db.sql)
            try await db.engine.enable("label", options: .init(entityName: "Label"), on: db.sql)
            try await db.engine.enable("article_label", on: db.sql)
            // Continuum wrote insert, delete, insert for (1, 1) and left every end open.
            let x = try await db.engine.versions(of: "article_label", key: ["article_id": 1, "label_id": 1], on: db.sql)
            #expect(x.map(\.transactionID) == [1, 2, 3])
            #expect(x.map(\.endTransactionID) == [2, 3, nil])
            #expect(x.map(\.operation) == [.insert, .delete, .insert])
            try await db.expectConsistent("article", "label", "article_label")

            // We unlink label 2 and rename the article; Continuum reads every version's links.
            try await db.engine.versioned(on: db.sql) { sql in
                try await sql.raw("DELETE FROM article_label WHERE label_id = 2").run()
                try await sql.raw("UPDATE article SET name = 'a4' WHERE id = 1").run()
            }
            try await db.expectConsistent("article_label")
            let read = try JSONDecoder().decode(ManyToMany.self, from: try ContinuumInterop.run("dump-m2m", db))
            #expect(
                read.versions == [
                    .init(transactionID: 1, name: "a", labels: [1, 2]),
                    .init(transactionID: 2, name: "a2", labels: [2]),
                    .init(transactionID: 3, name: "a3", labels: [1, 2]),
                    .init(transactionID: 4, name: "a4", labels: [1]),
                ])
        }
    }
}

extension InteropTests {
    struct ActivityDump: Decodable {
        struct Entry: Decodable {
            var id: Int
            var verb: String
            var data: [String: Int]?
            var transactionID: Int
            var objectType: String?
            var objectID: Int?
            var objectTransactionID: Int?
            var objectVersion: VersionAt?
            var targetType: String?
            var targetTransactionID: Int?
            var targetVersion: VersionAt?

            enum CodingKeys: String, CodingKey {
                case id, verb, data, transactionID = "transaction_id", objectType = "object_type", objectID = "object_id"
                case objectTransactionID = "object_tx_id", objectVersion = "object_version", targetType = "target_type"
                case targetTransactionID = "target_tx_id", targetVersion = "target_version"
            }
        }

        struct VersionAt: Decodable, Equatable {
            var transactionID: Int
            var name: String
            enum CodingKeys: String, CodingKey { case transactionID = "transaction_id", name }
        }

        var activities: [Entry]
    }

    @Test("activities: SQLAlchemy-Continuum's ActivityPlugin reads the activities we record, with the object's version at each", arguments: TestDatabase.allCases)
    func continuumReadsOurActivities(_ database: TestDatabase) async throws {
        try await database.run { db in
            try await db.createSeedTables()
            try await db.engine.install(on: db.sql)
            try await db.engine.installActivity(on: db.sql)
            try await db.engine.enable("article", options: Self.articleOptions, on: db.sql)
            let article = ActivityEntity(type: "Article", id: 1)
            try await db.engine.versioned(on: db.sql, userID: "alice") { sql in
                try await sql.raw("INSERT INTO article (name) VALUES ('a')").run()
                _ = try await db.engine.recordActivity(verb: "create", object: article, data: #"{"n": 1}"#, on: sql)
            }
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE article SET name = 'b' WHERE id = 1").run() }
            try await db.engine.versioned(on: db.sql, userID: "bob") { sql in
                try await sql.raw("UPDATE article SET name = 'c' WHERE id = 1").run()
                _ = try await db.engine.recordActivity(verb: "update", object: article, target: article, on: sql)
            }
            try await db.engine.versioned(on: db.sql) { try await $0.raw("UPDATE article SET name = 'd' WHERE id = 1").run() }

            let dump = try JSONDecoder().decode(ActivityDump.self, from: try ContinuumInterop.run("dump-activity", db))
            #expect(dump.activities.map(\.verb) == ["create", "update"])
            #expect(dump.activities.map(\.transactionID) == [1, 3])
            #expect(dump.activities.map(\.objectType) == ["Article", "Article"])
            #expect(dump.activities.map(\.objectID) == [1, 1])
            #expect(dump.activities.map(\.objectVersion) == [.init(transactionID: 1, name: "a"), .init(transactionID: 3, name: "c")])
            #expect(dump.activities.map(\.targetVersion) == [nil, .init(transactionID: 3, name: "c")])
            #expect(dump.activities[0].data == ["n": 1])
        }
    }

    @Test("activities: we adopt the activity table the ActivityPlugin created, read its activities, and continue its ids", arguments: TestDatabase.allCases)
    func weReadContinuumActivities(_ database: TestDatabase) async throws {
        try await database.run { db in
            try ContinuumInterop.run("seed-activity", db)
            try await db.engine.install(on: db.sql)
            try await db.engine.installActivity(on: db.sql)
            try await db.engine.enable("article", options: Self.articleOptions, on: db.sql)

            let feed = try await db.engine.activities(on: db.sql)
            #expect(feed.map(\.verb) == ["update", "create"])
            #expect(feed.map(\.objectTransactionID) == [2, 1])
            #expect(feed.map(\.target) == [ActivityEntity(type: "Article", id: 1), nil])
            #expect(feed.last?.data?.replacingOccurrences(of: " ", with: "") == #"{"n":1}"#)
            let versions = try await db.engine.versions(of: "article", key: ["id": 1], on: db.sql)
            #expect(versions.map(\.transactionID) == [1, 2])

            try await db.engine.versioned(on: db.sql, userID: "swift") { sql in
                try await sql.raw("UPDATE article SET name = 'c' WHERE id = 1").run()
                _ = try await db.engine.recordActivity(verb: "rename", object: .init(type: "Article", id: 1), on: sql)
            }
            let dump = try JSONDecoder().decode(ActivityDump.self, from: try ContinuumInterop.run("dump-activity", db))
            #expect(dump.activities.map(\.id) == [1, 2, 3])
            #expect(dump.activities.last?.objectVersion == .init(transactionID: 3, name: "c"))
        }
    }
}

/// Runs `Tests/Interop/continuum_interop.py` with the Python of `CONTINUUM_PYTHON` (set by
/// scripts/test.sh: a virtualenv with SQLAlchemy-Continuum 2.0.0 from PyPI).
enum ContinuumInterop {
    struct Failed: Error, CustomStringConvertible { var description: String }

    struct Dump: Decodable {
        var entities: [String: [Entity]]
        var transactions: [TransactionEntry]
    }

    struct Entity: Decodable {
        var id: Int
        var versions: [VersionEntry]
        var at: [String: AtEntry?]
    }

    struct VersionEntry: Decodable {
        var transactionID: Int
        var endTransactionID: Int?
        var operationType: Int
        var index: Int
        var values: [String: JSONValue]
        var changeset: [String: [JSONValue]]

        enum CodingKeys: String, CodingKey {
            case transactionID = "transaction_id", endTransactionID = "end_transaction_id", operationType = "operation_type"
            case index, values, changeset
        }
    }

    struct AtEntry: Decodable {
        var transactionID: Int
        var operationType: Int

        enum CodingKeys: String, CodingKey { case transactionID = "transaction_id", operationType = "operation_type" }
    }

    struct TransactionEntry: Decodable {
        var id: Int
        var changedEntities: [String: [Int]]

        enum CodingKeys: String, CodingKey { case id, changedEntities = "changed_entities" }
    }

    enum JSONValue: Decodable, Equatable {
        case null, int(Int), string(String), other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Int.self) {
                self = .int(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else {
                self = .other
            }
        }
    }

    static func dump(_ db: TestContext) throws -> Dump {
        try JSONDecoder().decode(Dump.self, from: try self.run("dump", db))
    }

    @discardableResult
    static func run(_ command: String, _ db: TestContext) throws -> Data {
        let environment = ProcessInfo.processInfo.environment
        guard let python = environment["CONTINUUM_PYTHON"], FileManager.default.isExecutableFile(atPath: python) else {
            throw Failed(description: "CONTINUUM_PYTHON is not set: run the tests through scripts/test.sh (it makes a virtualenv with SQLAlchemy-Continuum 2.0.0)")
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Interop/continuum_interop.py").path
        var arguments = [script, command, "--url"]
        switch db.kind {
        case .sqlite:
            arguments.append("sqlite:///" + (db.file ?? ""))
        case .postgres:
            let password = environment["POSTGRES_PASSWORD"].flatMap { $0.isEmpty ? nil : ":" + $0 } ?? ""
            arguments.append(
                "postgresql+psycopg2://\(environment["POSTGRES_USER"] ?? "postgres")\(password)@\(environment["POSTGRES_HOST"] ?? "127.0.0.1"):\(environment["POSTGRES_PORT"] ?? "5432")/\(environment["POSTGRES_DB"] ?? "postgres")"
            )
            arguments += ["--schema", db.schema ?? "public"]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failed(description: "continuum_interop.py \(command) exited with \(process.terminationStatus): \(String(decoding: message, as: UTF8.self))")
        }
        return data
    }
}
