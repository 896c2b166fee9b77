import Foundation
import Testing

/// The README's "Command line" session is this test's output: it runs each command of the
/// session on a new SQLite file and checks the README shows exactly what they print.
/// `CONTINUUM_UPDATE_README=1 swift test --filter ReadmeSession` rewrites the README's block.
@Suite("README session")
struct ReadmeSessionTests {
    static let begin = "<!-- continuum-session: produced by Tests/ContinuumSQLTests/CLI/ReadmeSessionTests.swift -->"
    static let end = "<!-- /continuum-session -->"

    /// The session: `sqlite3` plays the application (any program's writes are versioned).
    static let session: [[String]] = [
        [
            "sqlite3", "blog.sqlite",
            "CREATE TABLE article (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT, body TEXT); INSERT INTO article (title, body) VALUES ('Hello', 'First post'), ('Draft', NULL)",
        ],
        ["continuum", "--database", "sqlite:blog.sqlite", "init"],
        ["continuum", "--database", "sqlite:blog.sqlite", "enable", "article"],
        ["sqlite3", "blog.sqlite", "UPDATE article SET title = 'Hello, world' WHERE id = 1; DELETE FROM article WHERE id = 2"],
        ["continuum", "--database", "sqlite:blog.sqlite", "log"],
        ["continuum", "--database", "sqlite:blog.sqlite", "history", "article", "1"],
        ["continuum", "--database", "sqlite:blog.sqlite", "show", "3"],
        ["continuum", "--database", "sqlite:blog.sqlite", "revert-transaction", "3", "--dry-run"],
        ["continuum", "--database", "sqlite:blog.sqlite", "revert", "article", "2", "--to", "1"],
        ["continuum", "--database", "sqlite:blog.sqlite", "as-of", "article", "--transaction", "2"],
        ["continuum", "--database", "sqlite:blog.sqlite", "export", "article", "--since", "3"],
        ["continuum", "--database", "sqlite:blog.sqlite", "verify"],
        ["continuum", "--database", "sqlite:blog.sqlite", "status"],
    ]

    /// Runs the session in a new directory and returns it as the README shows it.
    static func transcript() async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("continuum-readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sqlite3 = try #require(
            ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "the sqlite3 client is missing: scripts/test.sh installs it"
        )
        var text = ""
        for command in Self.session {
            let executable = command[0] == "sqlite3" ? sqlite3 : nil
            let result = try await ContinuumCLI.run(Array(command.dropFirst()), directory: directory, executable: executable)
            #expect(result.status == 0 && result.stderr.isEmpty, "\(command.joined(separator: " ")): \(result)")
            text += "$ " + command.map { $0.contains(" ") || $0.contains(",") ? "\"\($0)\"" : $0 }.joined(separator: " ") + "\n"
            text += Self.fixDates(result.stdout)
        }
        return text
    }

    /// Dates vary from run to run: the README shows them all as 2026-11-29 09:00:00 (same width).
    static func fixDates(_ text: String) -> String {
        text.replacingOccurrences(of: #"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ"#, with: "2026-11-29 09:00:00Z", options: .regularExpression)
            .replacingOccurrences(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"#, with: "2026-11-29T09:00:00.000Z", options: .regularExpression)
    }

    @Test("the README's command-line session is what the commands print")
    func readme() async throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let block = Self.begin + "\n```console\n" + (try await Self.transcript()) + "```\n" + Self.end
        let start = try #require(text.range(of: Self.begin), "README.md has no \(Self.begin) marker")
        let stop = try #require(text.range(of: Self.end, range: start.upperBound..<text.endIndex))
        let current = String(text[start.lowerBound..<stop.upperBound])
        if ProcessInfo.processInfo.environment["CONTINUUM_UPDATE_README"] == "1" {
            try text.replacingCharacters(in: start.lowerBound..<stop.upperBound, with: block).write(to: readme, atomically: true, encoding: .utf8)
            return
        }
        #expect(current == block, "README.md's session differs from what the commands print: run CONTINUUM_UPDATE_README=1 swift test --filter ReadmeSession, then review the diff")
    }
}
