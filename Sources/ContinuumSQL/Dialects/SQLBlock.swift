/// Builds a block of generated code (a PL/pgSQL function body) line by line, owning its
/// indentation: fragments are written without leading spaces and nest where they are appended.
///
/// ```swift
/// var body = SQLBlock()
/// body.line("IF v_tx IS NULL THEN")
/// body.indent { $0.append(prologue) }
/// body.line("END IF;")
/// body.text  // "IF v_tx IS NULL THEN\n    v_tx := ...\nEND IF;"
/// ```
struct SQLBlock: Sendable {
    static let indentation = "    "

    /// The lines, indented.
    private(set) var lines: [String] = []
    private var depth = 0

    init() {}

    /// A block built by `build`.
    init(_ build: (inout SQLBlock) -> Void) {
        build(&self)
    }

    /// Adds `text` at the current depth; each line of a multi-line text is indented alike.
    mutating func line(_ text: String) {
        let prefix = String(repeating: Self.indentation, count: self.depth)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            self.lines.append(line.isEmpty ? "" : prefix + line)
        }
    }

    /// Adds the lines `build` writes one level deeper.
    mutating func indent(_ build: (inout SQLBlock) -> Void) {
        self.depth += 1
        build(&self)
        self.depth -= 1
    }

    /// Adds `block`'s lines at the current depth, keeping their own nesting.
    mutating func append(_ block: SQLBlock) {
        for line in block.lines { self.line(line) }
    }

    /// The block's text, lines separated by newlines.
    var text: String { self.lines.joined(separator: "\n") }
}
