import ArgumentParser
import FluentContinuum
import FluentKit
import FluentSQLiteDriver
import Foundation
import Logging
import NIOPosix

/// `continuum demo`: SQLAlchemy-Continuum's seed scenario through the typed API, on a SQLite file.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the seed scenario on a new SQLite file and print the history it leaves.",
        discussion: """
            SQLAlchemy-Continuum's seed scenario through the typed FluentContinuum API. The file \
            is replaced if it exists; explore it afterwards with the other commands.

            Example:
              continuum demo --file demo.sqlite
              continuum --database sqlite:demo.sqlite log
            """
    )

    @Option(help: "The SQLite file to create (replaced if it exists).")
    var file = "continuum-demo.sqlite"

    func run() async throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: self.file + suffix) }
        var logger = Logger(label: "continuum-demo")
        logger.logLevel = .error
        let databases = Databases(threadPool: NIOThreadPool.singleton, on: MultiThreadedEventLoopGroup.singleton)
        databases.use(.sqlite(.file(self.file)), as: .sqlite)
        let db = databases.database(logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())!
        do {
            try await self.scenario(on: db)
            await databases.shutdownAsync()
        } catch {
            await databases.shutdownAsync()
            throw error
        }
        print("\nThe database is in \(self.file); open it with sqlite3 to read the version tables.")
    }

    private func scenario(on db: any Database) async throws {
        for migration in [CreateDemoTables(), Continuum.migration, DemoArticle.versioning, DemoTag.versioning] as [any AsyncMigration] {
            try await migration.prepare(on: db)
        }
        let article = DemoArticle(name: "Some article", content: "Some content")
        let tag = try await db.versioned(userID: "alice", remoteAddress: "10.0.0.1", meta: ["step": "create"]) { db in
            try await article.save(on: db)
            let tag = DemoTag(name: "python", articleID: try article.requireID())
            try await tag.save(on: db)
            return tag
        }
        try await db.versioned(userID: "alice", meta: ["step": "rename"]) { db in
            article.name = "Updated article"
            try await article.save(on: db)
        }
        try await db.versioned(userID: "bob", meta: ["step": "same name again: writes nothing"]) { db in
            article.name = "Updated article"
            try await article.save(on: db)
        }
        try await db.versioned(userID: "bob", meta: ["step": "delete the tag"]) { db in try await tag.delete(on: db) }
        try await db.versioned(userID: "carol", meta: ["step": "revert the article to its first version"]) { db in
            try await article.versions(on: db)[0].revert(on: db)
        }

        print("Seed scenario (SQLAlchemy-Continuum's), run through swift-continuum on SQLite\n")
        try await Self.printHistory("Article \(try article.requireID())", article.versions(on: db))
        try await Self.printHistory("Tag \(try tag.requireID())", DemoTag.versions(id: tag.requireID(), on: db))

        print("Transaction log")
        var rows = [["id", "issued_at (UTC)", "user", "remote_addr", "changed", "meta"]]
        for transaction in try await Transaction.query(on: db).sort(\.$id).all() {
            let changed = try await transaction.changedEntities(on: db).keys.sorted().joined(separator: ", ")
            let meta = try await transaction.meta(on: db).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            rows.append([
                "\(transaction.id ?? 0)", transaction.issuedAt.map { Self.format($0) } ?? "-",
                transaction.userID ?? "-", transaction.remoteAddress ?? "-", changed, meta,
            ])
        }
        Self.printTable(rows)
    }

    private static func printHistory<M: Versioned>(_ title: String, _ versions: [Version<M>]) {
        print(title)
        var rows = [["#", "tx", "end", "operation", "changes"]]
        for version in versions {
            let changes = version.changeset.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            rows.append([
                "\(version.index)", "\(version.transactionID)", version.endTransactionID.map(String.init) ?? "-",
                "\(version.operation)", changes.isEmpty ? "(no field changed)" : changes,
            ])
        }
        Self.printTable(rows)
        print("")
    }

    private static func printTable(_ rows: [[String]]) {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for (number, row) in rows.enumerated() {
            let line = row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
            print("  " + line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
            if number == 0 { print("  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
    }

    private static func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        return formatter.string(from: date)
    }
}

final class DemoArticle: Model, Versioned, @unchecked Sendable {
    static let schema = "article"
    static let versioningOptions = VersioningOptions(tracksModifiedFields: true, entityName: "Article")
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "name") var name: String
    @OptionalField(key: "content") var content: String?
    init() {}
    init(name: String, content: String?) {
        self.name = name
        self.content = content
    }
}

final class DemoTag: Model, Versioned, @unchecked Sendable {
    static let schema = "tag"
    static let versioningOptions = VersioningOptions(entityName: "Tag")
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "name") var name: String
    @Parent(key: "article_id") var article: DemoArticle
    init() {}
    init(name: String, articleID: Int) {
        self.name = name
        self.$article.id = articleID
    }
}

struct CreateDemoTables: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("article")
            .field("id", .int, .identifier(auto: true)).field("name", .string, .required).field("content", .string).create()
        try await database.schema("tag")
            .field("id", .int, .identifier(auto: true)).field("name", .string, .required)
            .field("article_id", .int, .required, .references("article", "id", onDelete: .cascade)).create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("tag").delete()
        try await database.schema("article").delete()
    }
}
