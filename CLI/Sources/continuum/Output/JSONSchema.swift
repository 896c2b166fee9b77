import ContinuumSQL
import Foundation

// The one JSON schema every `--json` output is built from (README "Command line" documents it).
// Keys are snake_case, sorted; dates are ISO 8601 in UTC; values are the database's text form
// of each column (`null` for NULL), so nothing is lost to a JSON number.

/// A transaction of the log.
struct TransactionJSON: Encodable {
    var record: TransactionRecord

    enum CodingKeys: String, CodingKey {
        case id, issuedAt = "issued_at", userID = "user_id", remoteAddress = "remote_addr", meta
        case changedEntities = "changed_entities", loginRole = "login_role", clientAddress = "client_addr"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.record.id, forKey: .id)
        try container.encode(self.record.issuedAt, forKey: .issuedAt)
        try container.encode(self.record.userID, forKey: .userID)
        try container.encode(self.record.remoteAddress, forKey: .remoteAddress)
        try container.encode(self.record.meta, forKey: .meta)
        try container.encode(self.record.changedEntities, forKey: .changedEntities)
        try container.encode(self.record.loginRole, forKey: .loginRole)
        try container.encode(self.record.clientAddress, forKey: .clientAddress)
    }
}

/// A version of a row, optionally with what it changed.
struct VersionJSON: Encodable {
    var version: TextVersion
    /// The changes from the previous state, when the command computes them.
    var changes: [ChangeJSON]?
    /// The transaction that wrote it, when the command reads it.
    var transaction: TransactionRecord?

    enum CodingKeys: String, CodingKey {
        case table, key, transactionID = "transaction_id", endTransactionID = "end_transaction_id", operation, values, changes, transaction
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.version.table, forKey: .table)
        try container.encode(Dictionary(uniqueKeysWithValues: zip(self.version.keyColumns, self.version.key)), forKey: .key)
        try container.encode(self.version.transactionID, forKey: .transactionID)
        try container.encode(self.version.endTransactionID, forKey: .endTransactionID)
        try container.encode(self.version.operation.description, forKey: .operation)
        try container.encode(Self.values(self.version), forKey: .values)
        if let changes = self.changes { try container.encode(changes, forKey: .changes) }
        if let transaction = self.transaction { try container.encode(TransactionJSON(record: transaction), forKey: .transaction) }
    }

    static func values(_ version: TextVersion) -> [String: String?] {
        var values: [String: String?] = [:]
        for (column, value) in zip(version.columns, version.values) { values[column] = .some(value) }
        return values
    }
}

/// One column's change.
struct ChangeJSON: Encodable {
    var column: String
    var before: String?
    var after: String?

    enum CodingKeys: String, CodingKey { case column, before, after }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.column, forKey: .column)
        try container.encode(self.before, forKey: .before)
        try container.encode(self.after, forKey: .after)
    }

    static func list(from old: TextVersion?, to new: TextVersion?) -> [ChangeJSON] {
        TextChange.changes(from: old, to: new).map { ChangeJSON(column: $0.column, before: $0.before, after: $0.after) }
    }
}

extension TextVersion {
    /// `id=5` or `id=5, lang=en`.
    var keyText: String {
        zip(self.keyColumns, self.key).map { "\($0)=\($1)" }.joined(separator: ", ")
    }
}
