import ContinuumSQL
import FluentKit
import FluentSQL
import Foundation
import SQLKit

extension Versioned {
    /// This entity's versions, oldest first, in one query; each version's `previous`, `next`,
    /// `index` and `changeset` need no further query.
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/idRequired(model:)`` when the model has no id yet.
    public func versions(on database: any Database) async throws -> [Version<Self>] {
        try await History<Self>.load(key: History<Self>.key(of: self), on: database).versions
    }

    /// The versions of the entity with `id`, oldest first (it may since have been deleted).
    public static func versions(id: IDValue, on database: any Database) async throws -> [Version<Self>] {
        try await History<Self>.load(key: History<Self>.key(id: id), on: database).versions
    }

    /// How many versions the entity with `id` has.
    public static func versionCount(id: IDValue, on database: any Database) async throws -> Int {
        let sql = try Continuum.sql(database)
        var query = sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(Self.versionSchema)
        for (field, value) in try History<Self>.key(id: id) {
            query = query.where(SQLIdentifier(field.description), .equal, try ValueConverter.expression(value))
        }
        return try await Continuum.readingHistory(of: Self.self, on: database) { try await query.first(decodingColumn: "n", as: Int.self) ?? 0 }
    }

    /// The entity with `id` as it was when transaction `transactionID` committed: the version
    /// valid then, or `nil` if the entity did not exist yet. A DELETE version means it had
    /// been deleted by then (SQLAlchemy-Continuum's `version_at`).
    public static func version(id: IDValue, at transactionID: Int, on database: any Database) async throws -> Version<Self>? {
        let history = try await History<Self>.load(key: History<Self>.key(id: id), on: database)
        return history.versions.last { $0.transactionID <= transactionID }
    }

    /// The entity with `id` as it was at `date`: the version of the last transaction issued
    /// at or before it.
    public static func version(id: IDValue, asOf date: Date, on database: any Database) async throws -> Version<Self>? {
        let sql = try Continuum.sql(database)
        let log = Continuum.configuration(of: database).transactionTable
        let last = try await sql.select().column("id").from(log)
            .where(SQLColumn("issued_at"), .lessThan, LogTimestamp.expression(date.addingTimeInterval(0.000_001), on: database))
            .orderBy("id", .descending).limit(1)
            .first(decodingColumn: "id", as: Int.self)
        guard let transactionID = last else { return nil }
        return try await Self.version(id: id, at: transactionID, on: database)
    }

    /// The last version of every deleted entity, newest first: the rows an undelete screen
    /// lists. ``Version/revert(on:)`` on the version before it resurrects the entity.
    public static func deletedVersions(on database: any Database) async throws -> [Version<Self>] {
        let sql = try Continuum.sql(database)
        let rows = try await History<Self>.readVersionRows(on: database, sql) { sql in
            try await sql.select().column(SQLLiteral.all).from(Self.versionSchema)
                .where("operation_type", .equal, VersionOperation.delete.rawValue)
                .where("end_transaction_id", .is, SQLLiteral.null)
                .orderBy("transaction_id", .descending).all()
        }
        return try await Self.withHistories(rows, on: database) { history, row in
            history.versions.last
        }
    }

    /// Loads the full history of the entity of each row, set-based (``History/loadMany(keys:on:)``:
    /// a fixed number of queries however many entities), and picks one version per row, in the
    /// rows' order.
    static func withHistories(
        _ rows: [any SQLRow],
        on database: any Database,
        pick: (History<Self>, any SQLRow) throws -> Version<Self>?
    ) async throws -> [Version<Self>] {
        let keys = try rows.map { try History<Self>.key(of: History<Self>.model(of: $0)) }
        let histories = try await History<Self>.loadMany(keys: keys, on: database)
        var result: [Version<Self>] = []
        for (row, key) in zip(rows, keys) {
            guard let history = histories[History<Self>.identity(key)] else { continue }
            if let version = try pick(history, row) { result.append(version) }
        }
        return result
    }
}

extension QueryBuilder where Model: Versioned {
    /// Runs this query's filters against the model's **version table** and returns the
    /// matching versions, oldest transaction first, then by primary key.
    ///
    /// ```swift
    /// let published = try await Article.query(on: db).filter(\.$status == .published).versions()
    /// let renamed = try await Article.query(on: db).versions(modified: \.$name)   // mod tracking
    /// ```
    /// Filters, sorts, `limit` and `offset` on the model's own fields apply to the versions
    /// (sorted fields first, then transaction and key); `transaction_id` can be sorted on too.
    /// Every matched version comes with its entity's whole history, loaded in a fixed number
    /// of queries however many entities match.
    ///
    /// - Parameter fields: Only versions whose `_mod` flag is set for each of these fields.
    /// - Throws: ``/ContinuumSQL/ContinuumError/versionsQueryHasJoins(table:)`` for a query with joins
    ///   (versions are read from the model's version table alone),
    ///   ``/ContinuumSQL/ContinuumError/fieldNotVersioned(table:field:)`` for a filter, sort or modified field
    ///   that is excluded from versioning, ``/ContinuumSQL/ContinuumError/modifiedFieldsNotTracked(table:)``
    ///   for modified fields of a model that does not track them,
    ///   ``/ContinuumSQL/ContinuumError/unknownColumn(table:column:)`` for a modified field the model lacks.
    public func versions(modified fields: [String] = []) async throws -> [Version<Model>] {
        try await self.versions(modifiedKeys: fields.map { FieldKey.string($0) })
    }

    /// Runs this query against the model's version table and returns the matching versions
    /// that modified every field in `fields` (their `_mod` flags are set), oldest first.
    ///
    /// ```swift
    /// let renamed = try await Article.query(on: db).versions(modified: [.string("name")])
    /// ```
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/versionsQueryHasJoins(table:)`` for a query with joins,
    ///   ``/ContinuumSQL/ContinuumError/fieldNotVersioned(table:field:)`` for a filter, sort or modified field
    ///   that is excluded from versioning, ``/ContinuumSQL/ContinuumError/modifiedFieldsNotTracked(table:)``
    ///   when the model does not track modified fields,
    ///   ``/ContinuumSQL/ContinuumError/unknownColumn(table:column:)`` for a modified field the model lacks.
    public func versions(modified fields: [FieldKey]) async throws -> [Version<Model>] {
        try await self.versions(modifiedKeys: fields)
    }

    /// Runs this query against the model's version table and returns the matching versions
    /// that modified every one of the given fields (their `_mod` flags are set), oldest first.
    ///
    /// ```swift
    /// let renamed = try await Article.query(on: db).versions(modified: \.$name)
    /// let both = try await Article.query(on: db).versions(modified: \.$name, \.$status)
    /// ```
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/modifiedFieldsNotTracked(table:)`` when the model does not
    ///   track modified fields, ``/ContinuumSQL/ContinuumError/fieldNotVersioned(table:field:)`` for a field
    ///   excluded from versioning (or filtered or sorted on), and
    ///   ``/ContinuumSQL/ContinuumError/versionsQueryHasJoins(table:)`` for a query with joins.
    public func versions<Property: QueryAddressableProperty, each More: QueryAddressableProperty>(
        modified field: KeyPath<Model, Property>,
        _ more: repeat KeyPath<Model, each More>
    ) async throws -> [Version<Model>] where Property.Model == Model {
        var keys = [Model.fieldKey(field)]
        for path in repeat each more { keys.append(Model.anyFieldKey(path)) }
        return try await self.versions(modifiedKeys: keys)
    }

    private func versions(modifiedKeys fields: [FieldKey]) async throws -> [Version<Model>] {
        let sql = try Continuum.sql(self.database)
        var query = self.query
        guard query.joins.isEmpty else { throw ContinuumError.versionsQueryHasJoins(table: Model.schema) }
        try Model.requireVersionedFields(of: query)
        query.action = .read
        query.fields = [.custom(SQLColumn(SQLLiteral.all, table: SQLIdentifier(Model.schema)))]
        for field in fields {
            // A key field has no flag: no version modifies its entity's key.
            guard let column = try Model.modifiedFlagColumn(field) else { return [] }
            query.filters.append(.value(.extendedPath([.string(column + "_mod")], schema: Model.schema, space: nil), .equal, .bind(true)))
        }
        // After the caller's sorts: oldest transaction first, then by key (a stable order).
        for column in ["transaction_id"] + Model()._$idKeys.map(\.description) {
            query.sorts.append(.sort(.extendedPath([.string(column)], schema: Model.schema, space: nil), .ascending))
        }
        let converted = SQLQueryConverter(delegate: PlainConverterDelegate()).convert(query)
        // A common table expression named like the table shadows it: Fluent's `"article"."status"`
        // paths then read the version table.
        let statement = SQLQueryString(
            "WITH \(ident: Model.schema) AS (SELECT * FROM \(ident: Model.versionSchema)) \(converted)"
        )
        let rows = try await History<Model>.readVersionRows(on: self.database, sql) { try await $0.raw(statement).all() }
        return try await Model.withHistories(rows, on: self.database) { history, row in
            let transactionID = try row.decode(column: "transaction_id", as: Int.self)
            return history.versions.first { $0.transactionID == transactionID }
        }
    }
}

/// Converts Fluent queries for the version-table reads; no custom types are involved.
struct PlainConverterDelegate: SQLConverterDelegate {
    func customDataType(_ dataType: DatabaseSchema.DataType) -> (any SQLExpression)? { nil }
    func nestedFieldExpression(_ column: String, _ path: [String]) -> any SQLExpression { SQLIdentifier(column) }
    func beforeConvert(_ schema: DatabaseSchema) -> DatabaseSchema { schema }
}
