#if Vapor
    import FluentContinuum
    import Foundation
    import Vapor

    /// One version of an entity, as the routes of ``VersionRoutes`` return it.
    ///
    /// ```json
    /// {"transactionID": 3, "index": 1, "operation": "update",
    ///  "values": {"id": 1, "title": "Fixed"}, "changeset": {"title": {"old": "Typo", "new": "Fixed"}},
    ///  "transaction": {"id": 3, "userID": "42", "remoteAddress": "203.0.113.9", "issuedAt": "2026-..."}}
    /// ```
    public struct VersionResponse: Content, Sendable, Hashable {
        /// The transaction that wrote this version; it identifies the version among the entity's.
        public var transactionID: Int
        /// The transaction of the next version, `nil` for the latest.
        public var endTransactionID: Int?
        /// The version's position among the entity's versions, from 0.
        public var index: Int
        /// `insert`, `update` or `delete`.
        public var operation: String
        /// Every versioned field's value, by field key (for a delete, the row's last values).
        public var values: [String: FieldJSON]
        /// The fields that differ from the previous version (every non-NULL field for the first).
        public var changeset: [String: FieldChangeResponse]
        /// Who wrote it, from where and when; `nil` if the transaction log has no such row.
        public var transaction: TransactionResponse?

        /// The response for `version`, with its transaction when known.
        public init<M: Versioned>(_ version: Version<M>, transaction: TransactionResponse?) {
            self.transactionID = version.transactionID
            self.endTransactionID = version.endTransactionID
            self.index = version.index
            self.operation = version.operation.description.lowercased()
            self.values = version.values.mapValues(FieldJSON.init)
            self.changeset = version.changeset.mapValues(FieldChangeResponse.init)
            self.transaction = transaction
        }
    }

    /// How one field changed between two versions.
    public struct FieldChangeResponse: Content, Sendable, Hashable {
        /// The value before.
        public var old: FieldJSON
        /// The value after.
        public var new: FieldJSON

        /// The response for `change`.
        public init(_ change: FieldChange) {
            self.old = FieldJSON(change.old)
            self.new = FieldJSON(change.new)
        }
    }

    /// The differences between two versions of one entity (``VersionRoutes``'s `diff` route).
    public struct DiffResponse: Content, Sendable, Hashable {
        /// The version compared from.
        public var from: VersionResponse
        /// The version compared to.
        public var to: VersionResponse
        /// The fields whose values differ, by field key.
        public var changes: [String: FieldChangeResponse]

        /// The differences from `from` to `to`.
        public init<M: Versioned>(from: Version<M>, to: Version<M>, transactions: [Int: TransactionResponse]) {
            self.from = VersionResponse(from, transaction: transactions[from.transactionID])
            self.to = VersionResponse(to, transaction: transactions[to.transactionID])
            var changes: [String: FieldChangeResponse] = [:]
            for key in Set(from.values.keys).union(to.values.keys) {
                let old = from.values[key] ?? .null
                let new = to.values[key] ?? .null
                if old != new { changes[key] = FieldChangeResponse(FieldChange(old: old, new: new)) }
            }
            self.changes = changes
        }
    }

    /// A row of the transaction log.
    public struct TransactionResponse: Content, Sendable, Hashable {
        /// The transaction's id.
        public var id: Int
        /// When it wrote its first version.
        public var issuedAt: Date?
        /// The acting user recorded by the `versioned` scope.
        public var userID: String?
        /// The client address recorded by the `versioned` scope.
        public var remoteAddress: String?
        /// The transaction's meta, when the route reads it (one version); otherwise `nil`.
        public var meta: [String: String]?

        /// The response for `transaction`.
        public init<Table: TransactionTableName>(_ transaction: TransactionLog<Table>, meta: [String: String]? = nil) {
            self.id = transaction.id ?? 0
            self.issuedAt = transaction.issuedAt
            self.userID = transaction.userID
            self.remoteAddress = transaction.remoteAddress
            self.meta = meta
        }
    }

    /// A JSON value: how a version's field values appear in responses. Dates appear as ISO 8601
    /// text in UTC, as ``FluentContinuum/FieldValue`` prints them.
    public enum FieldJSON: Codable, Sendable, Hashable {
        /// NULL.
        case null
        /// A boolean.
        case bool(Bool)
        /// A whole number.
        case integer(Int)
        /// A number with a fraction.
        case number(Double)
        /// Text (and dates, as ISO 8601 text).
        case string(String)
        /// An array.
        case array([FieldJSON])
        /// An object.
        case object([String: FieldJSON])

        /// The JSON form of a version's field value.
        public init(_ value: FieldValue) {
            if value.isNull {
                self = .null
                return
            }
            let text = value.description
            if let parsed = try? JSONDecoder().decode([FieldJSON].self, from: Data("[\(text)]".utf8)), parsed.count == 1 {
                self = parsed[0]
            } else {
                self = .string(text)  // a date, or a non-finite number (inf, nan)
            }
        }

        /// Decodes any JSON value.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Int.self) {
                self = .integer(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else if let value = try? container.decode([FieldJSON].self) {
                self = .array(value)
            } else {
                self = .object(try container.decode([String: FieldJSON].self))
            }
        }

        /// Encodes the value as JSON.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .bool(let value): try container.encode(value)
            case .integer(let value): try container.encode(value)
            case .number(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            case .array(let value): try container.encode(value)
            case .object(let value): try container.encode(value)
            }
        }
    }
#endif
