import Foundation

/// Dates as people read them: "29 Nov 2026, 11:52 UTC", and "5 minutes ago" next to them.
enum Formatting {
    static func date(_ date: Date?) -> String {
        guard let date else { return "unknown time" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "d MMM yyyy, HH:mm"
        return formatter.string(from: date) + " UTC"
    }

    static func relative(_ date: Date?, now: Date = Date()) -> String {
        guard let date else { return "" }
        let seconds = Int(now.timeIntervalSince(date))
        switch seconds {
        case ..<45: return "just now"
        case ..<90: return "a minute ago"
        case ..<3600: return "\(seconds / 60) minutes ago"
        case ..<5400: return "an hour ago"
        case ..<86400: return "\(seconds / 3600) hours ago"
        case ..<172_800: return "yesterday"
        default: return "\(seconds / 86400) days ago"
        }
    }

    /// The ISO 8601 form, for `<time datetime>`.
    static func iso(_ date: Date?) -> String {
        date.map { ISO8601DateFormatter().string(from: $0) } ?? ""
    }

    /// The first `limit` characters of `text` on one line, with an ellipsis when cut.
    static func excerpt(_ text: String, limit: Int = 160) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard line.count > limit else { return line }
        let cut = line.prefix(limit)
        let words = cut.lastIndex(of: " ").map { cut[..<$0] } ?? cut
        return words.trimmingCharacters(in: .whitespaces.union(.punctuationCharacters)) + "…"
    }
}
