import BlogApp
import Testing

@Suite("Word diff")
struct WordDiffTests {
    @Test("a changed word is one deletion and one insertion; the rest is shared")
    func oneWord() {
        #expect(
            WordDiff.segments(from: "The quick brown fox", to: "The quick red fox") == [
                DiffSegment(.same, "The quick "), DiffSegment(.deleted, "brown"), DiffSegment(.inserted, "red"), DiffSegment(.same, " fox"),
            ])
    }

    @Test("a rewritten phrase reads as one change, not word by word")
    func phrase() {
        #expect(
            WordDiff.segments(from: "one two three four", to: "one 2 3 four") == [
                DiffSegment(.same, "one "), DiffSegment(.deleted, "two three"), DiffSegment(.inserted, "2 3"), DiffSegment(.same, " four"),
            ])
    }

    @Test("punctuation is a token of its own: an added comma is the only change")
    func punctuation() {
        let segments = WordDiff.segments(from: "who made it and why.", to: "who made it, when and why!")
        #expect(segments.first == DiffSegment(.same, "who made it"))
        #expect(segments.filter { $0.kind == .deleted }.map(\.text) == ["."])
        #expect(segments.filter { $0.kind == .inserted }.map(\.text).joined().filter { !$0.isWhitespace } == ",when!")
        #expect(segments.filter { $0.kind != .inserted }.map(\.text).joined() == "who made it and why.")
    }

    @Test("insertions, deletions, empty sides and line breaks")
    func edges() {
        #expect(WordDiff.segments(from: "", to: "") == [])
        #expect(WordDiff.segments(from: "", to: "new text") == [DiffSegment(.inserted, "new text")])
        #expect(WordDiff.segments(from: "old text", to: "") == [DiffSegment(.deleted, "old text")])
        #expect(
            WordDiff.segments(from: "a\n\nb", to: "a\n\nb c") == [DiffSegment(.same, "a\n\nb"), DiffSegment(.inserted, " c")])
        // Joined back, each side is exactly its text.
        let old = "Every change is kept,\nwith who made it."
        let new = "Every change is kept as a revision,\nwith who made it and why."
        let segments = WordDiff.segments(from: old, to: new)
        #expect(segments.filter { $0.kind != .inserted }.map(\.text).joined() == old)
        #expect(segments.filter { $0.kind != .deleted }.map(\.text).joined() == new)
    }
}
