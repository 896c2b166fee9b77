import Foundation
import Testing

/// The Swift examples of the FluentContinuum catalog and the README's Fluent example are the
/// code of `FluentDocumentationExamples.swift`: an example that stops compiling, or that drifts
/// from the tested code, fails here.
@Suite("Documentation")
struct DocumentationTests {
    /// The repository's root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Documentation
        .deletingLastPathComponent()  // ContinuumSQLTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static let catalog = root.appendingPathComponent("Sources/FluentContinuum/FluentContinuum.docc")
    static let examples = root.appendingPathComponent("Tests/ContinuumSQLTests/Documentation/FluentDocumentationExamples.swift")

    /// A fenced ```swift block of a Markdown file.
    struct Block: CustomTestStringConvertible {
        var file: String
        /// The line of the opening fence, from 1.
        var line: Int
        /// The block's lines, trimmed, without blank lines and `...` placeholders.
        var lines: [String]
        var testDescription: String { "\(self.file):\(self.line)" }
    }

    /// The trimmed, non-blank lines of `text`, without lines that are only `...`.
    static func significantLines<S: Sequence<Substring>>(_ lines: S) -> [String] {
        lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "..." }
    }

    /// The ```swift blocks of the Markdown file at `url`.
    static func swiftBlocks(in url: URL) throws -> [Block] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var blocks: [Block] = []
        var current: (line: Int, lines: [Substring])?
        var inOtherFence = false
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let open = current {
                if trimmed == "```" {
                    blocks.append(Block(file: url.lastPathComponent, line: open.line, lines: Self.significantLines(open.lines)))
                    current = nil
                } else {
                    current?.lines.append(line)
                }
            } else if inOtherFence {
                if trimmed == "```" { inOtherFence = false }
            } else if trimmed.hasPrefix("```") {
                let info = trimmed.dropFirst(3).trimmingCharacters(in: .whitespaces)
                if info == "swift" { current = (number + 1, []) } else { inOtherFence = true }
            }
        }
        return blocks
    }

    /// Every ```swift block of the FluentContinuum catalog's articles.
    static func catalogBlocks() throws -> [Block] {
        let files = try FileManager.default.contentsOfDirectory(at: Self.catalog, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "md" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.flatMap { try Self.swiftBlocks(in: $0) }
    }

    /// The README's first Fluent example: its first ```swift block that opens a scope.
    static func readmeBlock() throws -> Block? {
        try Self.swiftBlocks(in: Self.root.appendingPathComponent("README.md")).first { block in
            block.lines.contains { $0.contains(".versioned(") }
        }
    }

    /// Checks that `block`'s lines appear, in order and one after another, among the examples
    /// file's lines; otherwise records an issue naming the first line that differs.
    static func expectInExamples(_ block: Block, sourceLocation: SourceLocation = #_sourceLocation) throws {
        if let mismatch = try Self.mismatch(block) { Issue.record(Comment(rawValue: mismatch), sourceLocation: sourceLocation) }
    }

    /// Why `block` is not a contiguous run of the examples file's lines, or `nil` when it is.
    static func mismatch(_ block: Block) throws -> String? {
        let code = Self.significantLines(try String(contentsOf: Self.examples, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false))
        guard let first = block.lines.first else { return "\(block.testDescription): an empty swift block" }
        var longest = 0
        for start in code.indices where code[start] == first {
            var matched = 0
            while matched < block.lines.count, start + matched < code.count, code[start + matched] == block.lines[matched] {
                matched += 1
            }
            if matched == block.lines.count { return nil }
            longest = max(longest, matched)
        }
        return """
            \(block.testDescription): the example is not the code of FluentDocumentationExamples.swift; \
            its line \(longest + 1) (after blank lines) is not found there after the lines before it:
            \(block.lines[longest])
            """
    }

    @Test("the catalog has its articles, each with examples")
    func catalogArticles() throws {
        let blocks = try Self.catalogBlocks()
        let articles = Set(blocks.map(\.file))
        #expect(
            articles == [
                "FluentContinuum.md", "GettingStartedWithFluent.md", "ReadingHistory.md", "Reverting.md", "MigrationsWithFluent.md",
                "TimeTravel.md", "ActivityFeed.md",
            ])
        #expect(blocks.count >= 15)
    }

    @Test("every swift example of the FluentContinuum catalog is tested code", arguments: try DocumentationTests.catalogBlocks())
    func catalogExample(_ block: Block) throws {
        try Self.expectInExamples(block)
    }

    @Test("the README's Fluent example is tested code")
    func readmeExample() throws {
        let block = try #require(try Self.readmeBlock(), "README.md has no swift block with a versioned scope")
        try Self.expectInExamples(block)
    }

    @Test("the checker finds a drifted example")
    func checkerRejectsDrift() throws {
        let drifted = Block(file: "drifted.md", line: 1, lines: ["let versions = try await article.versions(on: db)", "try await versions[0].revert(on: database)"])
        let mismatch = try Self.mismatch(drifted)
        #expect(mismatch != nil, "a block whose last line is not in the examples file is reported")
    }
}
