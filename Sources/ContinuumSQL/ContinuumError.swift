import Foundation

/// An error raised by the versioning engine.
///
/// Each error says what went wrong and what to do about it. Errors never carry row values,
/// because history can hold sensitive data; they name tables and columns only. Errors raised
/// by the database driver are rethrown unchanged, never wrapped.
///
/// Compare errors with `==` against the static constructors:
/// ```swift
/// do { try await engine.enable("log", on: db) }
/// catch let error as ContinuumError where error == .noPrimaryKey(table: "log") { ... }
/// ```
public struct ContinuumError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable, Equatable {
        case unsupportedDatabase(String)
        case tableNotFound(String)
        case noPrimaryKey(String)
        case tableNotVersioned(String)
        case alreadyVersioned(String)
        case schemaNotInstalled
        case invalidIdentifier(String)
        case invalidOption(String)
        case invalidPrimaryKey(table: String, expected: [String])
        case unknownColumn(table: String, column: String)
        case versionTableConflict(table: String, versionTable: String, column: String)
        case unexpectedSchema(String)
        case unsupportedTable(table: String, kind: String)
        case keyReused(table: String, deletedIn: Int, reusedIn: Int)
        case scopeOnAnotherConnection
        case revertConflicts(transaction: Int, conflicts: Int)
        case revertCollision(table: String)
    }

    private let code: Code

    private init(_ code: Code) { self.code = code }

    /// The database is neither SQLite nor PostgreSQL.
    public static func unsupportedDatabase(_ dialect: String) -> Self { .init(.unsupportedDatabase(dialect)) }
    /// The table does not exist in the database.
    public static func tableNotFound(_ table: String) -> Self { .init(.tableNotFound(table)) }
    /// The table has no primary key, so its rows have no identity to version.
    public static func noPrimaryKey(table: String) -> Self { .init(.noPrimaryKey(table)) }
    /// The table has not been enabled for versioning.
    public static func tableNotVersioned(_ table: String) -> Self { .init(.tableNotVersioned(table)) }
    /// The table is already versioned; `enable` was called twice.
    public static func alreadyVersioned(_ table: String) -> Self { .init(.alreadyVersioned(table)) }
    /// The shared schema (transaction table and friends) is missing.
    public static var schemaNotInstalled: Self { .init(.schemaNotInstalled) }
    /// A table or column name that no database accepts (empty, or holding a NUL character).
    public static func invalidIdentifier(_ name: String) -> Self { .init(.invalidIdentifier(name)) }
    /// An option that cannot be honoured; the message says which and why.
    public static func invalidOption(_ message: String) -> Self { .init(.invalidOption(message)) }
    /// A primary key given to a history read does not name exactly the table's key columns.
    public static func invalidPrimaryKey(table: String, expected: [String]) -> Self {
        .init(.invalidPrimaryKey(table: table, expected: expected))
    }
    /// A column named in an option or a rename does not exist.
    public static func unknownColumn(table: String, column: String) -> Self { .init(.unknownColumn(table: table, column: column)) }
    /// A live column's name collides with a column the version table reserves.
    public static func versionTableConflict(table: String, versionTable: String, column: String) -> Self {
        .init(.versionTableConflict(table: table, versionTable: versionTable, column: column))
    }
    /// The relation is not a plain table (a view, a materialized view, a foreign table or an
    /// SQLite virtual table): only plain tables are versioned.
    public static func unsupportedTable(_ table: String, kind: String) -> Self { .init(.unsupportedTable(table: table, kind: kind)) }
    /// The version to revert belongs to a row that was deleted (in transaction `deletedIn`) and
    /// whose key the database then gave to a new, unrelated row (inserted in `reusedIn`): SQLite
    /// reuses the largest deleted key of an `INTEGER PRIMARY KEY` declared without
    /// `AUTOINCREMENT`. Writing the version back would overwrite that row.
    public static func keyReused(table: String, deletedIn: Int, reusedIn: Int) -> Self {
        .init(.keyReused(table: table, deletedIn: deletedIn, reusedIn: reusedIn))
    }
    /// A `versioned` scope was opened inside another one on a different database handle (the
    /// outer `db` or `req.db` instead of the one the outer scope passed to its body). Its writes
    /// would run on another connection, outside the outer scope's transaction, so nothing ran.
    public static var scopeOnAnotherConnection: Self { .init(.scopeOnAnotherConnection) }
    /// Reverting transaction `transaction` under ``RevertConflictPolicy/fail`` found `conflicts`
    /// rows that later transactions changed again; nothing was reverted.
    public static func revertConflicts(transaction: Int, conflicts: Int) -> Self {
        .init(.revertConflicts(transaction: transaction, conflicts: conflicts))
    }
    /// Reverting with relations would write a row of `table` that a constraint refuses now: a
    /// UNIQUE value another row has taken, a reference to a row that is gone. Nothing was written.
    public static func revertCollision(table: String) -> Self { .init(.revertCollision(table: table)) }
    /// A table the engine owns exists with a shape it cannot work with.
    public static func unexpectedSchema(_ message: String) -> Self { .init(.unexpectedSchema(message)) }

    public var description: String {
        switch self.code {
        case .unsupportedDatabase(let name):
            "swift-continuum supports SQLite and PostgreSQL; this database's SQL dialect is \"\(name)\""
        case .tableNotFound(let table):
            "table \"\(table)\" does not exist: create it (run its migration) before enabling versioning"
        case .noPrimaryKey(let table):
            "table \"\(table)\" has no primary key: versions are keyed by primary key, so add one before enabling versioning"
        case .tableNotVersioned(let table):
            "table \"\(table)\" is not versioned: enable versioning for it first (Model.versioning migration, or engine.enable)"
        case .alreadyVersioned(let table):
            "table \"\(table)\" is already versioned: call sync after a schema change, or disable it before enabling it again"
        case .schemaNotInstalled:
            "the versioning schema is not installed: run Continuum.migration (or engine.install) before enabling tables"
        case .invalidIdentifier(let name):
            "\"\(name.replacingOccurrences(of: "\u{0}", with: "\\0"))\" cannot be used as an SQL name: names must be non-empty and hold no NUL character"
        case .invalidOption(let message):
            message
        case .invalidPrimaryKey(let table, let expected):
            "a primary key of table \"\(table)\" must give exactly the columns \(expected.map { "\"\($0)\"" }.joined(separator: ", "))"
        case .unknownColumn(let table, let column):
            "table \"\(table)\" has no column \"\(column)\""
        case .versionTableConflict(let table, let versionTable, let column):
            "column \"\(column)\" of table \"\(table)\" clashes with a bookkeeping column of \"\(versionTable)\": rename the column or exclude it from versioning"
        case .unexpectedSchema(let message):
            message
        case .keyReused(let table, let deletedIn, let reusedIn):
            "this version of a row of table \"\(table)\" belongs to a row deleted in transaction \(deletedIn); SQLite gave its key to another row, inserted in transaction \(reusedIn), which reverting would overwrite. Insert the old values as a new row instead, and declare the key INTEGER PRIMARY KEY AUTOINCREMENT so that keys are never reused"
        case .scopeOnAnotherConnection:
            "a versioned scope is already open on another connection: inside `versioned { db in ... }`, pass that `db` (the scope's own handle) to nested calls and writes, not the outer database or req.db, whose writes would run outside the scope's transaction"
        case .revertConflicts(let transaction, let conflicts):
            "\(conflicts) row\(conflicts == 1 ? "" : "s") that transaction \(transaction) changed \(conflicts == 1 ? "was" : "were") changed again by later transactions, so nothing was reverted: list them with revertPlan, then revert with conflicts: .skip (leave them) or .overwrite (discard the later changes)"
        case .revertCollision(let table):
            "reverting with relations would write a row of table \"\(table)\" that a constraint now refuses (a UNIQUE value another row has taken, or a reference to a row that is gone), so nothing was reverted: change or remove the row in the way first, or revert fewer relations"
        case .unsupportedTable(let table, let kind):
            "\"\(table)\" is a \(kind), not a table: swift-continuum versions plain tables only; version the tables it is built from"
        }
    }
}
