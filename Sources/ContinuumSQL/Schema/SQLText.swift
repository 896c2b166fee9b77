import Foundation

/// Quoting for generated SQL.
///
/// Identifiers are always quoted. DDL (trigger bodies, function bodies) cannot take bind
/// parameters, so the few constants they embed (an entity name, an error message) are written
/// as string literals through ``literal(_:)``; every value of a query the engine runs is bound.
enum SQLText {
    /// `name` as a double-quoted identifier, inner quotes doubled. Both dialects use this form.
    static func identifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `value` as a single-quoted string literal, inner quotes doubled. PostgreSQL's
    /// `standard_conforming_strings` (on by default since 9.1) keeps backslashes literal.
    static func literal(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// Checks that a name can be used as an SQL identifier at all.
    static func validate(_ name: String) throws {
        if name.isEmpty || name.contains("\u{0}") { throw ContinuumError.invalidIdentifier(name) }
    }

    /// A name for a database object derived from a user's table name, kept within
    /// PostgreSQL's 63-byte limit: longer names are cut and suffixed with a hash, so two long
    /// names that share a prefix still differ.
    static func objectName(_ name: String, limit: Int = 63) -> String {
        guard name.utf8.count > limit else { return name }
        var hash: UInt32 = 2_166_136_261
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        let suffix = "_" + String(hash, radix: 16)
        var cut = ""
        for character in name {
            if (cut + String(character)).utf8.count + suffix.utf8.count > limit { break }
            cut.append(character)
        }
        return cut + suffix
    }

    /// A dollar-quote tag for a PostgreSQL body that does not occur inside the body.
    static func dollarTag(_ base: String, avoiding body: String) -> String {
        var tag = "$\(base)$"
        var counter = 0
        while body.contains(tag) {
            counter += 1
            tag = "$\(base)\(counter)$"
        }
        return tag
    }
}
