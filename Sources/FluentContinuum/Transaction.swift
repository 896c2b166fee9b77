import ContinuumSQL
import FluentKit
import FluentSQL
import Foundation
import SQLKit

/// The transaction log of a database configured with the default table name, `transaction`:
/// a Fluent model to query, filter, sort and paginate it with Fluent's query builder.
///
/// ```swift
/// let lastWeek = try await Transaction.query(on: db)
///     .filter(\.$userID == "42")
///     .issued(after: Date().addingTimeInterval(-7 * 86_400))
///     .sort(\.$id, .descending)
///     .paginate(PageRequest(page: 1, per: 20))
/// ```
///
/// A database whose log has another name (``/ContinuumSQL/VersioningConfiguration/transactionTable``) is
/// queried through a ``TransactionLog`` of that name; see ``TransactionTableName``.
public typealias Transaction = TransactionLog<DefaultTransactionTable>

/// Names the table a ``TransactionLog`` model reads: Fluent models name their table
/// statically, so a database whose transaction log is not called `transaction` declares its
/// name once as a type.
///
/// ```swift
/// enum AuditLog: TransactionTableName { static let name = "audit_transaction" }
/// typealias AuditTransaction = TransactionLog<AuditLog>
///
/// app.databases.configureVersioning(.init(transactionTable: AuditLog.name), on: .psql)
/// let mine = try await AuditTransaction.query(on: db).filter(\.$userID == "42").all()
/// ```
public protocol TransactionTableName: Sendable {
    /// The transaction log's table name.
    static var name: String { get }
}

/// SQLAlchemy-Continuum's transaction log name, `transaction`.
public enum DefaultTransactionTable: TransactionTableName {
    /// `transaction`.
    public static var name: String { "transaction" }
}

/// The models of transaction logs: ``TransactionLog`` of any table name. Lets query-builder
/// helpers such as ``FluentKit/QueryBuilder/issued(after:)`` apply to each of them; not
/// meant for other conformances.
public protocol TransactionLogModel: Model where IDValue == Int {}

/// A row of a transaction log, as a Fluent model. ``Transaction`` is the log with the default
/// name; reads that return a transaction (``Version/transaction(on:)``) read the database's
/// configured log whatever its name.
public final class TransactionLog<Table: TransactionTableName>: TransactionLogModel, @unchecked Sendable {
    /// The log's table: `Table.name`.
    public static var schema: String { Table.name }

    /// The transaction's id; versions point at it.
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    /// When the transaction wrote its first version, naive UTC as stored.
    @OptionalField(key: "issued_at") public var issued: LogTimestamp?
    /// The actor given to the `versioned` scope.
    @OptionalField(key: "user_id") public var userID: String?
    /// The remote address given to the `versioned` scope.
    @OptionalField(key: "remote_addr") public var remoteAddress: String?

    /// An empty row, as Fluent makes one to decode into. Transactions are written by the
    /// triggers, not saved through this model.
    public init() {}

    /// When the transaction wrote its first version.
    public var issuedAt: Date? { self.issued?.date }

    /// The versions written in this transaction, by entity name (one query per versioned table).
    ///
    /// - Throws: `FluentError.idRequired` for a transaction without an id;
    ///   ``/ContinuumSQL/ContinuumError/unsupportedDatabase(_:)`` for a database that is not SQL-backed.
    public func changedEntities(on database: any Database) async throws -> [String: [VersionRecord]] {
        let engine = Continuum.engine(for: database)
        let sql = try Continuum.sql(database)
        let records = try await engine.versions(inTransaction: self.requireID(), on: sql)
        var tables: [String: String] = [:]
        for table in try await engine.versionedTables(on: sql) { tables[table.table] = table.entityName }
        return Dictionary(grouping: records) { tables[$0.table] ?? $0.table }
    }

    /// The versions of `model` written in this transaction, with their full histories loaded
    /// (a fixed number of queries however many entities it changed).
    ///
    /// - Throws: `FluentError.idRequired` for a transaction without an id;
    ///   ``/ContinuumSQL/ContinuumError/tableNotVersioned(_:)`` when `model`'s table is not versioned.
    public func versions<M: Versioned>(of model: M.Type, on database: any Database) async throws -> [Version<M>] {
        let id = try self.requireID()
        let sql = try Continuum.sql(database)
        let rows = try await History<M>.readVersionRows(on: database, sql) { sql in
            try await sql.select().column(SQLLiteral.all).from(M.versionSchema).where("transaction_id", .equal, id).all()
        }
        return try await M.withHistories(rows, on: database) { history, _ in
            history.versions.first { $0.transactionID == id }
        }
    }

    /// The key/value meta recorded by the `versioned` scope.
    ///
    /// - Throws: `FluentError.idRequired` for a transaction without an id; the driver's errors.
    public func meta(on database: any Database) async throws -> [String: String] {
        let rows = try await Continuum.sql(database).select().columns("key", "value").from(Continuum.configuration(of: database).transactionMetaTable)
            .where("transaction_id", .equal, self.requireID()).all()
        var meta: [String: String] = [:]
        for row in rows { meta[try row.decode(column: "key", as: String.self)] = try row.decode(column: "value", as: String?.self) ?? "" }
        return meta
    }

    /// The transaction `id` of `database`'s configured log, or `nil` when there is none.
    static func find(id: Int, in database: any Database) async throws -> TransactionLog? {
        try await Continuum.sql(database).select()
            .columns("id", "issued_at", "user_id", "remote_addr")
            .from(Continuum.configuration(of: database).transactionTable)
            .where("id", .equal, id)
            .first(decodingFluent: TransactionLog.self)
    }
}

/// A `transaction.issued_at` value: naive UTC, stored as `timestamp` on PostgreSQL and as
/// SQLAlchemy's `YYYY-MM-DD HH:MM:SS.ffffff` text on SQLite.
public struct LogTimestamp: Codable, Sendable, Hashable {
    /// The instant.
    public var date: Date

    /// The timestamp of `date`.
    public init(date: Date) { self.date = date }

    /// Decodes SQLite's text form or a date.
    ///
    /// - Throws: `DecodingError` when the value is neither.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self), let date = Self.parse(text) {
            self.date = date
        } else {
            self.date = try container.decode(Date.self)
        }
    }

    /// Encodes the date.
    ///
    /// - Throws: the encoder's errors.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.date)
    }

    /// The SQLite text form of `date`.
    static func text(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let whole = calendar.date(from: parts)!
        let micros = Int((date.timeIntervalSince(whole) * 1_000_000).rounded())
        func pad(_ value: Int, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(value).count)) + String(value) }
        return "\(pad(parts.year!, 4))-\(pad(parts.month!, 2))-\(pad(parts.day!, 2)) \(pad(parts.hour!, 2)):\(pad(parts.minute!, 2)):\(pad(parts.second!, 2)).\(pad(min(micros, 999_999), 6))"
    }

    static func parse(_ text: String) -> Date? { VersioningEngine.parseNaiveUTC(text) }

    /// An SQL expression comparing with `issued_at` correctly on either database.
    static func expression(_ date: Date, on database: any Database) -> any SQLExpression {
        let text = Self.text(date)
        if (database as? any SQLDatabase)?.dialect.name == "postgresql" {
            return SQLQueryString("CAST(\(bind: text) AS TIMESTAMP)")
        }
        return SQLBind(text)
    }
}

extension QueryBuilder where Model: TransactionLogModel {
    /// Transactions issued at or after `date`.
    @discardableResult
    public func issued(after date: Date) -> Self {
        self.filter(.sql(SQLBinaryExpression(SQLColumn("issued_at", table: Model.schemaOrAlias), .greaterThanOrEqual, LogTimestamp.expression(date, on: self.database))))
    }

    /// Transactions issued before `date`.
    @discardableResult
    public func issued(before date: Date) -> Self {
        self.filter(.sql(SQLBinaryExpression(SQLColumn("issued_at", table: Model.schemaOrAlias), .lessThan, LogTimestamp.expression(date, on: self.database))))
    }

    /// Transactions in which entities of `model` changed (from `transaction_changes`).
    @discardableResult
    public func changed<M: Versioned>(_ model: M.Type) -> Self {
        let changes = Continuum.configuration(of: self.database).transactionChangesTable
        return self.filter(
            .sql(
                SQLQueryString(
                    """
                    \(ident: Model.schemaOrAlias).\(ident: "id") IN (SELECT \(ident: "transaction_id") FROM \(ident: changes) WHERE \(ident: "entity_name") = \(bind: M.entityName))
                    """)))
    }
}
