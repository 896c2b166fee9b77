import ContinuumSQL
import Foundation
import SQLKit
import Testing

/// The command line on a database SQLAlchemy-Continuum 2.0.0 created and versioned (the real
/// package, run by `Tests/Interop/continuum_interop.py`): a Flask or Django team's database,
/// adopted and inspected with no Swift model, and still read by Continuum afterwards.
@Suite("Command line on a SQLAlchemy-Continuum database")
struct ContinuumDatabaseCLITests {
    @Test("adopt with --entity-name, read its history, revert, verify; Continuum reads what the command line wrote", arguments: TestDatabase.allCases)
    func adoptAndInspect(_ database: TestDatabase) async throws {
        try await database.run { db in
            // Continuum's seed scenario: transactions 1, 2, 3 (tag deleted), 4 (article reverted).
            try ContinuumInterop.run("seed", db)
            func words(_ text: String) -> [[String]] {
                text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            }
            let before = try await db.cli(expecting: 1, "status")
            #expect(before.stdout.contains("run `continuum init`"))
            try await db.cli(expecting: 0, "init")
            // Continuum's version tables are adopted: no row needs a backfill version.
            let article = try await db.cli(expecting: 0, "enable", "article", "--entity-name", "Article")
            #expect(article.stdout == "enabled article (history in article_version)\n")
            try await db.cli(expecting: 0, "enable", "tag", "--entity-name", "Tag")
            let two = try await db.cli(expecting: 64, "enable", "article", "tag", "--entity-name", "Article")
            #expect(two.stderr.contains("enable the tables one at a time"))
            #expect(
                words(try await db.cli(expecting: 0, "status").stdout) == [
                    ["table", "version", "table", "entity", "versions", "options", "state"],
                    ["article", "article_version", "Article", "3", "-", "ok"],
                    ["tag", "tag_version", "Tag", "2", "-", "ok"],
                ])

            // Continuum's own transactions and changesets, read with no Swift model.
            let log = words(try await db.cli(expecting: 0, "log").stdout)
            #expect(log.map(\.first) == ["id", "4", "3", "2", "1"])
            #expect(log.map { $0.suffix(2).joined(separator: " ") }.dropFirst() == ["- Article", "- Tag", "- Article", "Article, Tag"])
            let history = try await db.cli(expecting: 0, "history", "article", "1")
            #expect(history.stdout.hasPrefix("article id=1: 3 versions\n"))
            let rows = words(history.stdout).map { Array($0.drop { $0.first?.isNumber == true || $0.hasSuffix("Z") || $0 == "-" }) }
            #expect(rows.contains(["UPDATE", "name", "Some", "article", "Updated", "article"]))
            #expect(rows.contains(["UPDATE", "name", "Updated", "article", "Some", "article"]))
            let show = try await db.cli(expecting: 0, "show", "3")
            #expect(words(show.stdout).contains(["tag", "id=1", "DELETE", "id", "1", "NULL"]))
            let diff = try await db.cli(expecting: 0, "diff", "article", "1", "--from", "1", "--to", "2")
            #expect(words(diff.stdout).last == ["name", "Some", "article", "Updated", "article"])
            let asOf = try await db.cli(expecting: 0, "as-of", "tag", "--transaction", "2")
            #expect(words(asOf.stdout).contains(["1", "python", "1"]))
            #expect(try await db.cli(expecting: 0, "as-of", "tag", "--transaction", "3").stdout == "tag had no rows after transaction 3\n")
            #expect(
                words(try await db.cli(expecting: 0, "verify").stdout).prefix(2) == [
                    ["ok", "article:", "3", "versions,", "history", "consistent"], ["ok", "tag:", "2", "versions,", "history", "consistent"],
                ])

            // Writes through the command line continue Continuum's chains.
            let revert = try await db.cli(expecting: 0, "revert", "article", "1", "--to", "2", "--user", "ops")
            #expect(revert.stdout == "article id=1: restored to its values after transaction 2 (transaction 5)\n")
            let undo = try await db.cli(expecting: 0, "revert-transaction", "3")
            #expect(undo.stdout.hasPrefix("reverted transaction 3: 1 row put back in transaction 6\n"))
            try await db.cli(expecting: 0, "verify")
            try await db.expectConsistent("article", "tag")
            // Continuum's history sealed too: verify proves it unchanged.
            let sealed = try await db.cli(expecting: 0, "seal")
            #expect(sealed.stdout.contains("sealed 6 transactions"), "\(sealed)")
            #expect(try await db.cli(expecting: 0, "verify").stdout.contains("seals"))

            // SQLAlchemy-Continuum reads them as its own: versions, chains, changed entities.
            let dump = try ContinuumInterop.dump(db)
            let read = try #require(dump.entities["Article"]?.first)
            #expect(read.versions.map(\.transactionID) == [1, 2, 4, 5])
            #expect(read.versions.map(\.endTransactionID) == [2, 4, 5, nil])
            #expect(read.versions.last?.values["name"] == .string("Updated article"))
            #expect(read.versions.last?.changeset == ["name": [.string("Some article"), .string("Updated article")]])
            let tag = try #require(dump.entities["Tag"]?.first)
            #expect(tag.versions.map(\.transactionID) == [1, 3, 6])
            #expect(tag.versions.map(\.operationType) == [0, 2, 0])
            #expect(dump.transactions.map(\.id) == [1, 2, 3, 4, 5, 6])
            #expect(dump.transactions.suffix(2).map(\.changedEntities) == [["Article": [1]], ["Tag": [1]]])
            #expect(try await db.rows("SELECT CAST(user_id AS TEXT) FROM \"transaction\" WHERE id = 5") == [["ops"]])
        }
    }
}
