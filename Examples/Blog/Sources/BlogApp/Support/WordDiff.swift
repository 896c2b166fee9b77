/// One piece of a word-level diff: text both sides share, text only the newer side has, or text
/// only the older side had. Rendered by the templates as data (`#for`), so Leaf escapes every piece.
public struct DiffSegment: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case same, inserted, deleted
    }

    public var kind: Kind
    public var text: String

    public init(_ kind: Kind, _ text: String) {
        self.kind = kind
        self.text = text
    }
}

/// A word-level diff: words, the whitespace between them and each punctuation mark are tokens
/// (so "it" → "it," is one inserted comma); the longest common subsequence of tokens is kept,
/// the rest is marked inserted or deleted.
public enum WordDiff {
    /// Above this many token pairs, the texts are shown as one deletion and one insertion
    /// (the table would be too large to compute on every page view).
    static let maximumCells = 4_000_000

    public static func segments(from old: String, to new: String) -> [DiffSegment] {
        if old == new { return old.isEmpty ? [] : [DiffSegment(.same, old)] }
        let a = self.tokens(old)
        let b = self.tokens(new)
        // Common prefix and suffix first: edits are usually small.
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            suffix += 1
        }
        let middleA = Array(a[prefix..<(a.count - suffix)])
        let middleB = Array(b[prefix..<(b.count - suffix)])
        var pieces: [(DiffSegment.Kind, Substring)] = a[..<prefix].map { (.same, $0) }
        pieces += self.middle(middleA, middleB)
        pieces += a[(a.count - suffix)...].map { (.same, $0) }
        return self.merged(pieces)
    }

    /// Splits into runs of whitespace, runs of word characters (letters, digits, apostrophes
    /// inside words) and single other characters.
    static func tokens(_ text: String) -> [Substring] {
        enum Class { case space, word, other }
        func kind(_ c: Character) -> Class {
            if c.isWhitespace { return .space }
            if c.isLetter || c.isNumber || c == "'" || c == "’" || c == "_" { return .word }
            return .other
        }
        var result: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            let current = kind(text[index])
            if next == text.endIndex || current == .other || kind(text[next]) != current {
                result.append(text[start..<next])
                start = next
            }
            index = next
        }
        return result
    }

    private static func middle(_ a: [Substring], _ b: [Substring]) -> [(DiffSegment.Kind, Substring)] {
        if a.isEmpty { return b.map { (.inserted, $0) } }
        if b.isEmpty { return a.map { (.deleted, $0) } }
        guard a.count * b.count <= self.maximumCells else {
            return a.map { (.deleted, $0) } + b.map { (.inserted, $0) }
        }
        // lengths[i][j]: length of the LCS of a[i...] and b[j...], in one flat array.
        let width = b.count + 1
        var lengths = [Int32](repeating: 0, count: (a.count + 1) * width)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lengths[i * width + j] =
                    a[i] == b[j]
                    ? lengths[(i + 1) * width + j + 1] + 1
                    : max(lengths[(i + 1) * width + j], lengths[i * width + j + 1])
            }
        }
        var result: [(DiffSegment.Kind, Substring)] = []
        var i = 0
        var j = 0
        while i < a.count, j < b.count {
            if a[i] == b[j] {
                result.append((.same, a[i]))
                i += 1
                j += 1
            } else if lengths[(i + 1) * width + j] >= lengths[i * width + j + 1] {
                result.append((.deleted, a[i]))
                i += 1
            } else {
                result.append((.inserted, b[j]))
                j += 1
            }
        }
        result += a[i...].map { (.deleted, $0) }
        result += b[j...].map { (.inserted, $0) }
        return result
    }

    /// Joins neighbouring tokens of one kind, and lets a lone whitespace token between a deletion
    /// and an insertion join them, so a rewritten phrase reads as one change.
    private static func merged(_ pieces: [(DiffSegment.Kind, Substring)]) -> [DiffSegment] {
        var pieces = pieces
        var index = 1
        while index + 1 < pieces.count {
            let (kind, text) = pieces[index]
            let (before, after) = (pieces[index - 1].0, pieces[index + 1].0)
            if kind == .same, text.allSatisfy(\.isWhitespace), before != .same, after != .same, before != after {
                // "old words" → "new words": show as [-old words-][+new words+], not word by word.
                pieces[index] = (before, text)
                pieces.insert((before == .deleted ? .inserted : .deleted, text), at: index + 1)
                index += 2
            } else {
                index += 1
            }
        }
        // Group each run of changes: its deletions first, then its insertions.
        var result: [DiffSegment] = []
        var deleted = ""
        var inserted = ""
        func flush() {
            if !deleted.isEmpty { result.append(DiffSegment(.deleted, deleted)) }
            if !inserted.isEmpty { result.append(DiffSegment(.inserted, inserted)) }
            deleted = ""
            inserted = ""
        }
        for (kind, text) in pieces {
            switch kind {
            case .deleted: deleted += text
            case .inserted: inserted += text
            case .same:
                flush()
                if let last = result.last, last.kind == .same {
                    result[result.count - 1].text += text
                } else {
                    result.append(DiffSegment(.same, String(text)))
                }
            }
        }
        flush()
        return result
    }
}
