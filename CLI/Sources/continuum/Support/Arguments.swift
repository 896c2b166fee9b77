import ArgumentParser
import ContinuumSQL
import Foundation

/// `--key COLUMN=VALUE`, repeatable for composite keys.
struct KeyOptions: ParsableArguments {
    @Option(name: .customLong("key"), help: ArgumentHelp("A primary-key column and its value; repeat for composite keys (--key id=5 --key lang=en).", valueName: "column=value"))
    var pairs: [String] = []

    @Argument(help: ArgumentHelp("The row's key value, for a table with a one-column key (instead of --key).", valueName: "key"))
    var value: String?

    /// The key as column → text, checked against the table's primary key.
    func key(for table: String, in session: Session) async throws -> [String: String] {
        guard let description = try await session.engine.describe(table, on: session.sql) else {
            throw CLIError.from(.tableNotFound(table), tables: [table])
        }
        let columns = description.primaryKey.map(\.name)
        let example = columns.map { "--key \($0)=..." }.joined(separator: " ")
        var key: [String: String] = [:]
        if let value {
            guard self.pairs.isEmpty else { throw ValidationError("give the key either as one value or with --key, not both") }
            guard columns.count == 1 else {
                throw ValidationError("table \"\(table)\" has a key of \(columns.count) columns: give each with --key (\(example))")
            }
            return [columns[0]: value]
        }
        for pair in self.pairs {
            guard let equals = pair.firstIndex(of: "=") else {
                throw ValidationError("--key \(pair): write COLUMN=VALUE, for example \(example)")
            }
            let column = String(pair[..<equals])
            guard columns.contains(column) else {
                throw ValidationError("\"\(column)\" is not a primary-key column of table \"\(table)\": its key is \(columns.map { "\"\($0)\"" }.joined(separator: ", ")) (\(example))")
            }
            key[column] = String(pair[pair.index(after: equals)...])
        }
        guard !key.isEmpty else { throw ValidationError("which row? give its key: \(example)") }
        let missing = columns.filter { key[$0] == nil }
        guard missing.isEmpty else {
            throw ValidationError("the key of table \"\(table)\" also needs \(missing.map { "--key \($0)=..." }.joined(separator: " "))")
        }
        return key
    }
}

/// Reads dates given on the command line: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.fff]]` (or with
/// a `T`), in UTC unless `local`, or with an explicit `Z` or offset (ISO 8601).
enum DateArgument {
    static func parse(_ text: String, local: Bool) throws -> Date {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = iso.date(from: text) { return date }
        iso.formatOptions = [.withInternetDateTime]
        if let date = iso.date(from: text) { return date }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = local ? TimeZone.current : TimeZone(identifier: "UTC")
        let normalised = text.replacingOccurrences(of: "T", with: " ")
        for format in ["yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: normalised) { return date }
        }
        throw ValidationError("cannot read the date \"\(text)\": write YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] (UTC unless --local) or an ISO 8601 date with an offset")
    }
}

/// `--on-conflict`.
extension RevertConflictPolicy: @retroactive ExpressibleByArgument {}
