import Foundation
import SQLKit

/// What a version records: the row was inserted, updated or deleted in its transaction
/// (the net effect when the transaction changed the row several times).
///
/// The raw value is the version row's `operation_type`.
public enum VersionOperation: Int, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The row was inserted (`operation_type` 0).
    case insert = 0
    /// The row was updated (`operation_type` 1).
    case update = 1
    /// The row was deleted (`operation_type` 2); the version holds its last values.
    case delete = 2

    /// `INSERT`, `UPDATE` or `DELETE`.
    public var description: String {
        switch self {
        case .insert: "INSERT"
        case .update: "UPDATE"
        case .delete: "DELETE"
        }
    }
}

/// The former name of ``VersionOperation``, which collided with Foundation's `Operation`.
@available(*, deprecated, renamed: "VersionOperation")
public typealias Operation = VersionOperation

/// One row of a version table, read without Fluent.
///
/// Prints as its operation, table and transactions (`UPDATE of "article" in transaction 3, ended
/// by 5`), never its values: history can hold sensitive data.
public struct VersionRecord: Sendable, CustomStringConvertible {
    /// The live table this version belongs to.
    public var table: String
    /// The transaction that wrote this version.
    public var transactionID: Int
    /// The transaction that wrote the next version of the same row, or `nil` for the latest.
    public var endTransactionID: Int?
    /// What happened to the row in `transactionID`.
    public var operation: VersionOperation
    /// The whole version row: the versioned columns (for a DELETE, the row's last values),
    /// the bookkeeping columns and any `_mod` flags. Decode columns with ``decode(_:as:)``.
    public var row: any SQLRow

    package init(table: String, row: any SQLRow) throws {
        self.table = table
        self.transactionID = try row.decode(column: VersioningPlan.transactionColumn, as: Int.self)
        self.endTransactionID = try row.decode(column: VersioningPlan.endTransactionColumn, as: Int?.self)
        let operation = try row.decode(column: VersioningPlan.operationColumn, as: Int.self)
        guard let known = VersionOperation(rawValue: operation) else {
            throw ContinuumError.unknownOperation(table: table, operationType: operation)
        }
        self.operation = known
        self.row = row
    }

    /// Decodes one column of the version row.
    public func decode<T: Decodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self.row.decode(column: column, as: T.self)
    }

    /// Whether this version changed `column` (the `<column>_mod` flag). `nil` when the
    /// table does not track modified columns.
    public func isModified(_ column: String) -> Bool? {
        let name = column + VersioningPlan.modSuffix
        guard self.row.contains(column: name) else { return nil }
        if let flag = try? self.row.decode(column: name, as: Bool.self) { return flag }
        return (try? self.row.decode(column: name, as: Int.self)).map { $0 != 0 }
    }
}

/// One row of the transaction log.
public struct TransactionRecord: Sendable, Hashable {
    /// The transaction's id; versions point at it.
    public var id: Int
    /// When the transaction was issued (UTC): on PostgreSQL the start of the database
    /// transaction, on SQLite the time of its first versioned change.
    public var issuedAt: Date?
    /// The actor given to the `versioned` scope.
    public var userID: String?
    /// The remote address given to the `versioned` scope.
    public var remoteAddress: String?
    /// The meta given to the `versioned` scope.
    public var meta: [String: String]
    /// The entity names of the tables that changed, sorted.
    public var changedEntities: [String]
    /// PostgreSQL: the role the database session logged in as (`session_user`), recorded by the
    /// database whatever the application claims in ``userID``; `nil` on SQLite and for
    /// transactions written before swift-continuum recorded it.
    public var loginRole: String? = nil
    /// PostgreSQL: the client address of the database session (`inet_client_addr()`, `nil` over a
    /// Unix socket), next to the application's ``remoteAddress``; `nil` on SQLite.
    public var clientAddress: String? = nil
}

extension VersionRecord {
    public var description: String {
        "\(self.operation) of \"\(self.table)\" in transaction \(self.transactionID)"
            + (self.endTransactionID.map { ", ended by \($0)" } ?? ", the latest")
    }
}
