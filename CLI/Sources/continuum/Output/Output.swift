import ArgumentParser
import Foundation

/// Output options shared by the reading commands.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document (sorted keys, ISO-8601 UTC dates) and nothing else on stdout.")
    var json = false

    @Flag(help: "Print values in full instead of truncating them to 40 characters.")
    var full = false

    @Flag(help: "Print dates in the local time zone instead of UTC.")
    var local = false

    @Option(help: "Colour output: auto (on a terminal, unless NO_COLOR is set), always or never.")
    var color: ColorChoice = .auto

    @Flag(name: .shortAndLong, help: "Show no progress bar.")
    var quiet = false
}

/// Renders human output: tables, values, dates.
struct Printer: Sendable {
    var style: Style
    var full: Bool
    var local: Bool

    init(_ options: OutputOptions) {
        self.style = Style(enabled: !options.json && Terminal.usesColor(options.color))
        self.full = options.full
        self.local = options.local
    }

    /// The widest a value is printed without `--full`.
    static let valueWidth = 40

    /// `value` for a table cell: NULL for nil, control characters escaped, cut to
    /// ``valueWidth`` characters with an ellipsis unless `--full`.
    func value(_ value: String?) -> String {
        guard let value else { return self.style.dim("NULL") }
        var text = ""
        for character in value {
            switch character {
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default: text.append(character)
            }
        }
        if !self.full && text.count > Self.valueWidth { text = String(text.prefix(Self.valueWidth - 1)) + "…" }
        return text
    }

    /// `date` as `YYYY-MM-DD HH:MM:SS`, UTC (with a `Z`) or local time (with its offset).
    func date(_ date: Date?) -> String {
        guard let date else { return "-" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = self.local ? TimeZone.current : TimeZone(identifier: "UTC")
        formatter.dateFormat = self.local ? "yyyy-MM-dd HH:mm:ss xxx" : "yyyy-MM-dd HH:mm:ss'Z'"
        return formatter.string(from: date)
    }

    /// Prints `rows` under `header` as an aligned table, widths measured without escape codes.
    func table(_ header: [String], _ rows: [[String]], indent: String = "") {
        let columns = header.count
        var widths = header.map { Style.visibleWidth($0) }
        for row in rows {
            for index in 0..<columns { widths[index] = max(widths[index], Style.visibleWidth(row[index])) }
        }
        func line(_ cells: [String]) -> String {
            var text = indent
            for (index, cell) in cells.enumerated() {
                text += cell
                if index < columns - 1 { text += String(repeating: " ", count: widths[index] - Style.visibleWidth(cell) + 2) }
            }
            while text.last == " " { text.removeLast() }
            return text + "\n"
        }
        var text = line(header.map { self.style.bold($0) })
        for row in rows { text += line(row) }
        Terminal.out(text)
    }

    func line(_ text: String = "") {
        Terminal.out(text + "\n")
    }
}

/// JSON output: one document on stdout, sorted keys, ISO-8601 UTC dates.
enum JSONOutput {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(isoDate(date))
        }
        return encoder
    }

    /// `date` as ISO 8601 in UTC with milliseconds: `2026-11-29T09:20:30.123Z`.
    static func isoDate(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// Prints `value` as one JSON document followed by a newline.
    static func print<T: Encodable>(_ value: T) throws {
        let encoder = Self.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        Terminal.out(String(decoding: try encoder.encode(value), as: UTF8.self) + "\n")
    }

    /// Prints `value` as one line (JSON Lines).
    static func printLine<T: Encodable>(_ value: T, encoder: JSONEncoder) throws {
        var data = try encoder.encode(value)
        data.append(0x0A)
        Terminal.out(data)
    }
}

/// A progress bar on standard error, drawn only when stderr is a terminal and output is not
/// JSON or quiet; redrawn at most ten times a second, with count, total, rate and time left.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let total: Int?
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let lock = NSLock()

    init(_ label: String, total: Int?, enabled: Bool) {
        self.label = label
        self.total = total
        self.enabled = enabled
    }

    /// Whether a bar is drawn: stderr is a terminal and the output is neither JSON nor quiet.
    static func shows(json: Bool, quiet: Bool) -> Bool {
        Terminal.stderrIsTerminal && !json && !quiet
    }

    func update(_ count: Int, force: Bool = false) {
        guard self.enabled else { return }
        let now = Date()
        let draw = self.lock.withLock {
            guard force || now.timeIntervalSince(self.lastDraw) >= 0.1 else { return false }
            self.lastDraw = now
            return true
        }
        guard draw else { return }
        let elapsed = max(now.timeIntervalSince(self.start), 0.001)
        let rate = Double(count) / elapsed
        var text = "\r\u{1B}[2K\(self.label) "
        if let total, total > 0 {
            let fraction = min(1, Double(count) / Double(total))
            let filled = Int(fraction * 24)
            text += "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: 24 - filled) + "] "
            text += "\(count)/\(total) rows, \(Int(rate)) rows/s"
            if rate > 0, count < total { text += ", \(Self.duration(Double(total - count) / rate)) left" }
        } else {
            text += "\(count) rows, \(Int(rate)) rows/s"
        }
        Terminal.err(text)
    }

    func finish(_ count: Int) {
        guard self.enabled else { return }
        self.update(count, force: true)
        Terminal.err("\n")
    }

    private static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        return whole >= 60 ? "\(whole / 60)m\(String(format: "%02d", whole % 60))s" : "\(whole)s"
    }
}
