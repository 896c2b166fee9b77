import ContinuumSQL
import FluentKit
import FluentSQL
import Foundation
import SQLKit

extension QueryBuilder where Model: Versioned {
    /// This query as it would have run when transaction `transactionID` committed: every
    /// versioned table it reads is replaced by its rows valid then.
    ///
    /// ```swift
    /// let then = try await Article.query(on: db)
    ///     .filter(\.$status == .published)
    ///     .sort(\.$name)
    ///     .asOf(transaction: 42)
    ///     .with(\.$tags)                          // the tags as they were at 42 too
    ///     .paginate(PageRequest(page: 1, per: 20))
    /// ```
    ///
    /// The result is a query builder: filters, sorts, limits, `count()`, `paginate`, joins and
    /// eager loading (`with`) all read at the same point. A row counts at `transactionID` when
    /// a version of it was written at or before it and not replaced or deleted by then. A
    /// soft-deleted model (`@Timestamp(on: .delete)`) counts as deleted when its `deleted_at`
    /// is before the time of `transactionID`, not before now. The builder only reads: a write
    /// through it throws.
    ///
    /// Excluded fields have no history: they are left out of the models read (reading one traps,
    /// as an unloaded field does), and a filter or sort on one throws
    /// ``/ContinuumSQL/ContinuumError/fieldNotVersioned(table:field:)``. Every table the query reads must be
    /// versioned (``/ContinuumSQL/ContinuumError/tableNotVersioned(_:)`` otherwise): live rows
    /// are never passed off as history.
    public func asOf(transaction transactionID: Int) -> QueryBuilder<Model> {
        self.reading(at: .transaction(transactionID))
    }

    /// This query as it would have run at `date`: at the last transaction issued at or before
    /// it (see ``asOf(transaction:)``). Under concurrent PostgreSQL writers, issue times and
    /// transaction ids can disagree by the length of a transaction.
    public func asOf(_ date: Date) -> QueryBuilder<Model> {
        self.reading(at: .date(date))
    }

    /// This query on a view of the database at `point`: a new builder (a builder's database
    /// cannot change) that runs the query as this one would. FluentKit keeps two parts of a
    /// builder's state internal, read here by reflection: `withDeleted()`, and the models joined
    /// so far, whose fields this builder selects and whose soft-deleted rows it leaves out.
    private func reading(at point: AsOfDatabase.Point) -> QueryBuilder<Model> {
        let state = Mirror(reflecting: self)
        let joined = (state.descendant("models") as? [any Schema.Type])?.dropFirst() ?? []
        // The non-optional fields of the models this query decodes: a NULL there (a field added
        // after the version was written) is left unset instead of failing the query.
        var required = [Model.schemaOrAlias: RequiredFields.keys(of: Model.self)]
        for model in joined {
            func add<Joined: Schema>(_ joined: Joined.Type) { required[Joined.schemaOrAlias] = RequiredFields.keys(of: Joined.self) }
            add(model)
        }
        let builder = QueryBuilder<Model>(database: AsOfDatabase(base: self.database, point: point, requiredFields: required))
        builder.query = self.query
        builder.eagerLoaders = self.eagerLoaders
        let includeDeleted = state.descendant("includeDeleted") as? Bool ?? false
        if includeDeleted { builder.withDeleted() }
        guard !joined.isEmpty else { return builder }
        let selectsAll = builder.query.fields.isEmpty
        if selectsAll { builder.fields(for: Model.self) }
        for model in joined {
            func join<Joined: Schema>(_ joined: Joined.Type) {
                if selectsAll { builder.fields(for: Joined.self) }
                if !includeDeleted, let filter = Self.excludeDeleted(Joined.self) { builder.query.filters.append(filter) }
            }
            join(model)
        }
        return builder
    }

    /// Fluent's filter leaving out the soft-deleted rows of `model`, which its query builder adds
    /// for each model a query reads (`deleted_at IS NULL OR deleted_at > now`); `nil` for a model
    /// without a `@Timestamp(on: .delete)`.
    private static func excludeDeleted<Joined: Schema>(_ model: Joined.Type) -> DatabaseQuery.Filter? {
        for property in Joined().properties {
            guard let timestamp = property as? any DeleteTimestamp, let (key, now) = timestamp.deletedNow() else { continue }
            let field = DatabaseQuery.Field.extendedPath([key], schema: Joined.schemaOrAlias, space: Joined.space)
            return .group([.value(field, .equal, .null), .value(field, .greaterThan, now)], .or)
        }
        return nil
    }
}

/// A `@Timestamp` property, to find a model's soft-delete field and "now" in its format.
private protocol DeleteTimestamp {
    /// For a delete timestamp, its key and the current time as its format stores it; `nil` for
    /// other triggers. Sets the property: call it on a model made for the purpose.
    func deletedNow() -> (FieldKey, DatabaseQuery.Value)?
}

extension TimestampProperty: DeleteTimestamp {
    fileprivate func deletedNow() -> (FieldKey, DatabaseQuery.Value)? {
        guard self.trigger == .delete else { return nil }
        self.touch(date: Date())
        let collector = InputCollector()
        self.input(to: collector)
        return collector.values.first.map { ($0.key, $0.value) }
    }
}

extension Versioned {
    /// The entity with `id` as it was when transaction `transactionID` committed, or `nil` if
    /// it did not exist then (not yet inserted, or deleted).
    public static func find(_ id: IDValue, asOf transactionID: Int, on database: any Database) async throws -> Self? {
        let query = Self.query(on: database)
        for (field, value) in try History<Self>.key(id: id).sorted(by: { $0.key.description < $1.key.description }) {
            query.query.filters.append(.value(.extendedPath([field], schema: Self.schemaOrAlias, space: Self.spaceIfNotAliased), .equal, value))
        }
        return try await query.asOf(transaction: transactionID).first()
    }
}

/// A read-only view of a Fluent database at one point of its history. Each query run through
/// it reads the version tables of the versioned tables it names, shadowed by common table
/// expressions of the same names, with the rows valid at the point.
struct AsOfDatabase: Database {
    enum Point: Sendable {
        case transaction(Int)
        case date(Date)
    }

    let base: any Database
    let point: Point
    /// Per schema read, the keys of its model's non-optional fields (see ``RequiredFields``).
    let requiredFields: [String: Set<String>]
    /// The point resolved to a transaction and its issue time, and the registry, read once
    /// per view (the main query and its eager loads share them).
    private let resolved = ResolvedBox()

    struct Resolved: Sendable {
        var transactionID: Int
        /// Soft-deleted rows count as deleted when `deleted_at` is before this.
        var cutoff: Date
        var tables: [String: VersionedTable]
    }

    init(base: any Database, point: Point, requiredFields: [String: Set<String>] = [:]) {
        self.base = base
        self.point = point
        self.requiredFields = requiredFields
    }

    var context: DatabaseContext { self.base.context }
    var inTransaction: Bool { self.base.inTransaction }

    func execute(query: DatabaseQuery, onOutput: @escaping @Sendable (any DatabaseOutput) -> Void) -> EventLoopFuture<Void> {
        self.eventLoop.makeFutureWithTask { try await self.run(query, onOutput: onOutput) }
    }

    func execute(schema: DatabaseSchema) -> EventLoopFuture<Void> {
        self.eventLoop.makeFailedFuture(ContinuumError.asOfQueryIsReadOnly)
    }

    func execute(enum: DatabaseEnum) -> EventLoopFuture<Void> {
        self.eventLoop.makeFailedFuture(ContinuumError.asOfQueryIsReadOnly)
    }

    func transaction<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        closure(self)
    }

    func withConnection<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        self.base.withConnection {
            closure(AsOfDatabase(base: $0, point: self.point, requiredFields: self.requiredFields, resolved: self.resolved.value))
        }
    }

    private init(base: any Database, point: Point, requiredFields: [String: Set<String>], resolved: Resolved?) {
        self.base = base
        self.point = point
        self.requiredFields = requiredFields
        self.resolved.value = resolved
    }

    private func resolve(on sql: any SQLDatabase) async throws -> Resolved {
        if let resolved = self.resolved.value { return resolved }
        let engine = Continuum.engine(for: self.base)
        let log = engine.configuration.transactionTable
        let transactionID: Int
        var cutoff = Date()
        switch self.point {
        case .transaction(let id):
            transactionID = id
            // Soft deletes written in the transaction count: the cut-off is when the next
            // transaction was issued (now, when there is none yet).
            let next = try await sql.select().column("issued_at").from(log).where("id", .greaterThan, id).orderBy("id").limit(1).first()
            if let next, let issued = try next.decode(column: "issued_at", as: LogTimestamp?.self)?.date { cutoff = issued }
        case .date(let date):
            transactionID =
                try await sql.select().column("id").from(log)
                .where(SQLColumn("issued_at"), .lessThan, LogTimestamp.expression(date.addingTimeInterval(0.000_001), on: self.base))
                .orderBy("id", .descending).limit(1)
                .first(decodingColumn: "id", as: Int.self) ?? 0
            cutoff = date
        }
        var tables: [String: VersionedTable] = [:]
        for table in try await engine.versionedTables(on: sql) { tables[table.table] = table }
        let resolved = Resolved(transactionID: transactionID, cutoff: cutoff, tables: tables)
        self.resolved.value = resolved
        return resolved
    }

    private func run(_ original: DatabaseQuery, onOutput: @escaping @Sendable (any DatabaseOutput) -> Void) async throws {
        switch original.action {
        case .read, .aggregate: break
        default: throw ContinuumError.asOfQueryIsReadOnly
        }
        let sql = try Continuum.sql(self.base)
        let resolved = try await self.resolve(on: sql)
        var query = original

        // The tables the query reads, each shadowed by its rows valid at the point.
        var read: [(table: String, space: String?)] = [(query.schema, query.space)]
        for join in query.joins {
            switch join {
            case .join(let schema, _, _, _, _): read.append((schema, nil))
            case .extendedJoin(let schema, let space, _, _, _, _): read.append((schema, space))
            case .advancedJoin(let schema, let space, _, _, _): read.append((schema, space))
            case .custom: throw ContinuumError.unsupportedAsOfJoin
            }
        }
        var shadows: [VersionedTable] = []
        for (table, space) in read where !shadows.contains(where: { $0.table == table }) {
            guard space == nil else {
                throw ContinuumError.asOfTableInOtherSchema(table: table, schema: space ?? "")
            }
            guard let versioned = resolved.tables[table] else { throw ContinuumError.tableNotVersioned(table) }
            shadows.append(versioned)
        }
        let excluded = Dictionary(uniqueKeysWithValues: shadows.map { ($0.table, $0.options.excludedColumns) })
        func isExcluded(_ field: DatabaseQuery.Field) -> Bool {
            switch field {
            case .path(let path, let schema), .extendedPath(let path, let schema, _):
                return path.first.map { excluded[schema]?.contains($0.description) == true } ?? false
            case .custom:
                return false
            }
        }
        query.fields.removeAll(where: isExcluded)
        for sort in query.sorts {
            if case .sort(let field, _) = sort, isExcluded(field) {
                throw Self.notVersioned(field)
            }
        }
        query.filters = try query.filters.map { try Self.rewrite($0, cutoff: resolved.cutoff, excluded: isExcluded) }

        let converted = SQLQueryConverter(delegate: PlainConverterDelegate()).convert(query)
        let transactionID = resolved.transactionID
        let tables: [any SQLExpression] = shadows.map { shadow in
            SQLQueryString(
                """
                \(ident: shadow.table) AS (SELECT * FROM \(ident: shadow.versionTable) WHERE \(ident: "transaction_id") <= \(bind: transactionID) \
                AND (\(ident: "end_transaction_id") IS NULL OR \(ident: "end_transaction_id") > \(bind: transactionID)) \
                AND \(ident: "operation_type") <> \(bind: VersionOperation.delete.rawValue))
                """)
        }
        let statement = SQLQueryString("WITH \(SQLKit.SQLList(tables)) \(converted)")
        try await sql.execute(sql: statement) { row in onOutput(RowOutput(row: row, schema: nil, requiredFields: self.requiredFields)) }
    }

    /// The error for a filter or sort on `field`, which is excluded from versioning.
    private static func notVersioned(_ field: DatabaseQuery.Field) -> ContinuumError {
        switch field {
        case .path(let path, let schema), .extendedPath(let path, let schema, _):
            return .fieldNotVersioned(table: schema, field: path.first?.description ?? "")
        case .custom:
            return .fieldNotVersioned(table: "", field: "\(field)")
        }
    }

    /// Checks that a filter names no excluded field, and judges Fluent's soft-delete filter
    /// (`deleted_at IS NULL OR deleted_at > now`) at the point's time instead of now.
    private static func rewrite(_ filter: DatabaseQuery.Filter, cutoff: Date, excluded: (DatabaseQuery.Field) -> Bool) throws -> DatabaseQuery.Filter {
        switch filter {
        case .value(let field, let method, let value):
            if excluded(field) { throw Self.notVersioned(field) }
            return .value(field, method, value)
        case .field(let left, _, let right):
            if excluded(left) || excluded(right) {
                throw Self.notVersioned(excluded(left) ? left : right)
            }
            return filter
        case .group(let filters, let relation):
            if case .or = relation, filters.count == 2,
                case .value(let nullField, .equality(inverse: false), .null) = filters[0],
                case .value(let field, .order(inverse: false, equality: false), .bind(let now)) = filters[1],
                "\(nullField)" == "\(field)", let then = Self.softDeleteValue(now, at: cutoff)
            {
                return .group([filters[0], .value(field, .greaterThan, .bind(then))], .or)
            }
            return .group(try filters.map { try Self.rewrite($0, cutoff: cutoff, excluded: excluded) }, relation)
        case .custom:
            return filter
        }
    }

    /// The point's time in the format of Fluent's "now" in a soft-delete filter, or `nil` when
    /// `now` is not such a value (a date or timestamp within a minute of now).
    private static func softDeleteValue(_ now: any Encodable & Sendable, at then: Date) -> (any Encodable & Sendable)? {
        switch now {
        case let date as Date where abs(date.timeIntervalSinceNow) < 60:
            return then
        case let seconds as Double where abs(seconds - Date().timeIntervalSince1970) < 60:
            return then.timeIntervalSince1970
        case let text as String:
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions.insert(.withFractionalSeconds)
            guard let date = formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text), abs(date.timeIntervalSinceNow) < 60 else { return nil }
            return formatter.string(from: then)
        default:
            return nil
        }
    }
}

/// The resolved point of an ``AsOfDatabase``, shared by the handles made from it.
private final class ResolvedBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: AsOfDatabase.Resolved?
    var value: AsOfDatabase.Resolved? {
        get { self.lock.withLock { self.stored } }
        set { self.lock.withLock { self.stored = newValue } }
    }
}

/// A row of an as-of query as Fluent reads it: columns named `<schema>_<field>` once Fluent
/// names the schema it decodes. A NULL in a non-optional field of the query's models reads as
/// missing, so that a field added to the table after the row's version was written is left
/// unset instead of failing the query; every other NULL reads as NULL (an optional `@Field`
/// left unset would trap when read).
private struct RowOutput: DatabaseOutput {
    let row: any SQLRow
    let schema: String?
    let requiredFields: [String: Set<String>]

    var description: String { String(describing: self.row) }

    private func column(_ key: FieldKey) -> String {
        self.schema.map { "\($0)_\(key.description)" } ?? key.description
    }

    func schema(_ schema: String) -> any DatabaseOutput { RowOutput(row: self.row, schema: schema, requiredFields: self.requiredFields) }
    func contains(_ key: FieldKey) -> Bool {
        let column = self.column(key)
        guard self.row.contains(column: column) else { return false }
        guard let schema = self.schema, self.requiredFields[schema]?.contains(key.description) == true else { return true }
        return (try? self.row.decodeNil(column: column)) != true
    }
    func decodeNil(_ key: FieldKey) throws -> Bool { try self.row.decodeNil(column: self.column(key)) }
    func decode<T: Decodable>(_ key: FieldKey, as type: T.Type) throws -> T { try self.row.decode(column: self.column(key), as: T.self) }
}

/// The keys of a model's `@Field`s whose value type is not optional.
private enum RequiredFields {
    static func keys<Model: Schema>(of model: Model.Type) -> Set<String> {
        Set(Model().properties.compactMap { ($0 as? any RequiredFieldKey)?.requiredKey?.description })
    }
}

private protocol RequiredFieldKey {
    var requiredKey: FieldKey? { get }
}

extension FieldProperty: RequiredFieldKey {
    fileprivate var requiredKey: FieldKey? { Value.self is any AnyOptionalType.Type ? nil : self.key }
}
