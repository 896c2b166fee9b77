import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// When to colour output.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never
}

/// The standard streams: whether each is a terminal, colour, and unbuffered writes.
enum Terminal {
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) != 0 }
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    /// Whether to colour standard output: `--color` wins, then `NO_COLOR` (any value turns colour
    /// off), `FORCE_COLOR`, `TERM=dumb`, and finally whether stdout is a terminal.
    static func usesColor(_ choice: ColorChoice) -> Bool {
        let environment = ProcessInfo.processInfo.environment
        switch choice {
        case .always: return true
        case .never: return false
        case .auto:
            if let value = environment["NO_COLOR"], !value.isEmpty { return false }
            if let value = environment["FORCE_COLOR"], !value.isEmpty, value != "0" { return true }
            if environment["TERM"] == "dumb" { return false }
            return stdoutIsTerminal
        }
    }

    /// Writes `text` to standard output as is.
    static func out(_ text: String) {
        Self.out(Data(text.utf8))
    }

    /// Writes `data` to standard output. When the reader has gone (`continuum log | head`: a
    /// closed pipe, `EPIPE`), the rest of the output has nowhere to go: exit quietly instead of
    /// trapping. Any other failure (a full disk under `continuum export > file`) is an error:
    /// the output is incomplete.
    static func out(_ data: Data) {
        do {
            try FileHandle.standardOutput.write(contentsOf: data)
        } catch {
            // Foundation reports the POSIX error itself or wrapped (`NSUnderlyingError`).
            let error = error as NSError
            let posix = error.domain == NSPOSIXErrorDomain ? error : error.userInfo[NSUnderlyingErrorKey] as? NSError
            if posix?.domain == NSPOSIXErrorDomain && posix?.code == Int(EPIPE) { Foundation.exit(ExitStatus.ok) }
            Self.err("error: standard output could not be written, so the output is incomplete: \((posix ?? error).localizedDescription)\n")
            Foundation.exit(ExitStatus.failure)
        }
    }

    /// Writes `text` to standard error as is (nothing when standard error is closed).
    static func err(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
    }
}

/// ANSI styles, applied only when colour is on.
struct Style: Sendable {
    var enabled: Bool

    func bold(_ text: String) -> String { self.wrap(text, "1") }
    func dim(_ text: String) -> String { self.wrap(text, "2") }
    func red(_ text: String) -> String { self.wrap(text, "31") }
    func green(_ text: String) -> String { self.wrap(text, "32") }
    func yellow(_ text: String) -> String { self.wrap(text, "33") }
    func cyan(_ text: String) -> String { self.wrap(text, "36") }

    /// An operation in its colour: INSERT green, UPDATE yellow, DELETE red.
    func operation(_ name: String) -> String {
        switch name {
        case "INSERT": self.green(name)
        case "UPDATE": self.yellow(name)
        case "DELETE": self.red(name)
        default: name
        }
    }

    private func wrap(_ text: String, _ code: String) -> String {
        self.enabled && !text.isEmpty ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// `text` without escape sequences, for measuring.
    static func visibleWidth(_ text: String) -> Int {
        var width = 0
        var escaping = false
        for scalar in text.unicodeScalars {
            if escaping {
                if scalar == "m" { escaping = false }
            } else if scalar == "\u{1B}" {
                escaping = true
            } else {
                width += 1
            }
        }
        return width
    }
}
