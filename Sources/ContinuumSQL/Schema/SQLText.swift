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

    /// PostgreSQL's limit on identifiers, in bytes (NAMEDATALEN - 1): longer names are cut.
    static let postgresNameLimit = 63

    /// FNV-1a, 64 bits, in hexadecimal: the hash of every derived name and setting.
    static func hash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// A name for a database object derived from a user's table name (a function, an index),
    /// kept within PostgreSQL's 63-byte limit: longer names are cut and suffixed with a 64-bit
    /// hash, so two long names that share a prefix still differ. Names users read by convention
    /// (version tables, `_mod` columns) are never shortened: ``VersioningPlan`` refuses them.
    static func objectName(_ name: String, limit: Int = SQLText.postgresNameLimit) -> String {
        guard name.utf8.count > limit else { return name }
        let suffix = "_" + Self.hash(name)
        var cut = ""
        for character in name {
            if (cut + String(character)).utf8.count + suffix.utf8.count > limit { break }
            cut.append(character)
        }
        return cut + suffix
    }

    /// `terms` joined by `op` (`AND`, `OR`) as a balanced tree: a chain of a thousand terms is a
    /// thousand levels deep, past SQLite's expression depth limit (1,000); the tree is about ten.
    static func balanced(_ terms: [String], _ op: String) -> String {
        guard terms.count > 2 else { return terms.joined(separator: " \(op) ") }
        let middle = terms.count / 2
        return "(" + Self.balanced(Array(terms[..<middle]), op) + ") \(op) (" + Self.balanced(Array(terms[middle...]), op) + ")"
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
