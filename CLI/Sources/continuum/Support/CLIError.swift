import ArgumentParser
import ContinuumSQL
import Foundation

/// A failure the command line explains itself: what happened and what to do. Never holds row
/// values (history can be sensitive); names tables, columns, keys given on the command line
/// and transaction ids only.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    /// The exit status: ``ExitStatus/failure`` unless the failure is a finding.
    var status: Int32 = ExitStatus.failure

    init(_ description: String, status: Int32 = ExitStatus.failure) {
        self.description = description
        self.status = status
    }

    /// A database that does not answer, with the reason in a few words.
    static func cannotConnect(_ url: DatabaseURL, _ error: any Error) -> CLIError {
        let detail = String(reflecting: error)
        let reason: String
        let advice: String
        switch url {
        case .sqlite:
            reason = String(describing: error)
            advice = "check that the file is an SQLite database and that you may read it"
        case .postgres:
            if detail.localizedCaseInsensitiveContains("connection refused") || detail.contains("connectionRefused") {
                reason = "the server refused the connection"
                advice = "check that PostgreSQL is running and listening on that host and port"
            } else if detail.contains("28P01") || detail.contains("28000") || detail.localizedCaseInsensitiveContains("authentication") {
                reason = "authentication failed"
                advice = "check the user and password in the URL (or PGPASSWORD)"
            } else if detail.contains("3D000") {
                reason = "the database does not exist"
                advice = "check the database name at the end of the URL"
            } else if detail.localizedCaseInsensitiveContains("sslUnsupported") || detail.localizedCaseInsensitiveContains("tls") {
                reason = "TLS could not be negotiated"
                advice = "add ?sslmode=disable to the URL for a server without TLS, or fix the server's certificate"
            } else {
                reason = "the connection failed"
                advice = "check the host, port and that the server accepts connections"
            }
        }
        return CLIError("cannot connect to \(url.display): \(reason): \(advice)")
    }
}

/// The documented exit statuses.
enum ExitStatus {
    /// Success, nothing found wrong.
    static let ok: Int32 = 0
    /// Problems found: `verify` found broken history, `status` found drift or no shared schema.
    static let problems: Int32 = 1
    /// The command could not do its work (the message on stderr says why and what to do).
    static let failure: Int32 = 2
    /// Usage: unknown command or option, missing or malformed argument (EX_USAGE).
    static let usage: Int32 = 64
}

extension CLIError {
    /// An engine error in command-line terms: the fix is a command, not a Swift call.
    static func from(_ error: ContinuumError, tables: [String]) -> CLIError {
        if error == .schemaNotInstalled {
            return CLIError(
                "this database has no versioning schema yet: run `continuum init` first (on PostgreSQL, with the same --schema, or --schema SCHEMA for tables named SCHEMA.TABLE)"
            )
        }
        for table in tables {
            if error == .tableNotVersioned(table) {
                return CLIError("table \"\(table)\" is not versioned: run `continuum enable \(table)` (`continuum status` lists the versioned tables)")
            }
            if error == .tableNotFound(table) {
                return CLIError("table \"\(table)\" does not exist in this database: check its name (and, on PostgreSQL, --schema)")
            }
            if error == .alreadyVersioned(table) {
                return CLIError("table \"\(table)\" is already versioned: run `continuum sync \(table)` after a schema change, or `continuum disable \(table)` first")
            }
            if error == .noPrimaryKey(table: table) {
                return CLIError("table \"\(table)\" has no primary key: versions are keyed by primary key, so add one before `continuum enable \(table)`")
            }
        }
        if error.code == .revertConflicts {
            return CLIError(
                "rows this transaction changed were changed again by later transactions, so nothing was reverted: list them with `--dry-run`, then choose `--on-conflict skip` (leave them) or `--on-conflict overwrite` (discard the later changes)"
            )
        }
        return CLIError(error.description)
    }
}
