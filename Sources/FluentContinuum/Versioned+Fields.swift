import ContinuumSQL
import FluentKit

extension Versioned {
    /// The database field a key path names: `\.$name` names `name`, `\.$author` (a parent)
    /// names `author_id`, as in FluentKit's `filter` and `sort`.
    static func fieldKey<Property: QueryAddressableProperty>(_ field: KeyPath<Self, Property>) -> FieldKey
    where Property.Model == Self {
        Self.anyFieldKey(field)
    }

    /// The database field a key path rooted at this model names.
    static func anyFieldKey<Property: AnyQueryAddressableProperty>(_ field: KeyPath<Self, Property>) -> FieldKey {
        Self()[keyPath: field].queryablePath.first ?? .string("")
    }

    /// The version-table column of `field`.
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/unknownColumn(table:column:)`` when the model has no such field,
    ///   ``/ContinuumSQL/ContinuumError/fieldNotVersioned(table:field:)`` when it is excluded from versioning.
    static func versionedColumn(_ field: FieldKey) throws -> String {
        let name = field.description
        guard Self.keys.contains(where: { $0.description == name }) else {
            throw ContinuumError.unknownColumn(table: Self.schema, column: name)
        }
        if Self.versioningOptions.excludedFields.contains(where: { $0.description == name }) {
            throw ContinuumError.fieldNotVersioned(table: Self.schema, field: name)
        }
        return name
    }

    /// The version-table column holding `field`'s modified flag; `nil` for a primary-key field,
    /// which has none (a version never modifies its entity's key).
    ///
    /// - Throws: the errors of ``versionedColumn(_:)``, and
    ///   ``/ContinuumSQL/ContinuumError/modifiedFieldsNotTracked(table:)`` when the model does not track
    ///   modified fields.
    static func modifiedFlagColumn(_ field: FieldKey) throws -> String? {
        let name = try Self.versionedColumn(field)
        guard Self.versioningOptions.tracksModifiedFields else { throw ContinuumError.modifiedFieldsNotTracked(table: Self.schema) }
        if Self()._$idKeys.contains(where: { $0.description == name }) { return nil }
        return name
    }

    /// Brings versioning up to date after a migration that renamed the field `old` to the
    /// field at `new`, keeping its history under the new name.
    ///
    /// ```swift
    /// // In the migration that renamed "title" to "headline":
    /// try await Article.syncVersioning(renamed: "title", to: \.$headline, on: database)
    /// ```
    /// Rename several fields at once with `syncVersioning(renamedFields:on:)`.
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/tableNotVersioned(_:)`` and the errors of
    ///   ``/ContinuumSQL/VersioningEngine/sync(_:renamedColumns:on:)``.
    public static func syncVersioning<Property: QueryAddressableProperty>(
        renamed old: FieldKey,
        to new: KeyPath<Self, Property>,
        on database: any Database
    ) async throws where Property.Model == Self {
        try await Self.syncVersioning(renamedFields: [old.description: Self.fieldKey(new).description], on: database)
    }

    /// Brings versioning up to date after a migration that added, dropped or renamed fields
    /// of this model's table; `renamedFields` maps each renamed field's old key to its new key.
    ///
    /// ```swift
    /// try await Article.syncVersioning(renamedFields: [.string("title"): .string("headline")], on: database)
    /// ```
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/tableNotVersioned(_:)`` and the errors of
    ///   ``/ContinuumSQL/VersioningEngine/sync(_:renamedColumns:on:)``.
    public static func syncVersioning(renamedFields: [FieldKey: FieldKey], on database: any Database) async throws {
        let renamed = Dictionary(renamedFields.map { ($0.key.description, $0.value.description) }, uniquingKeysWith: { first, _ in first })
        try await Self.syncVersioning(renamedFields: renamed, on: database)
    }
}

extension Versioned {
    /// Throws ``/ContinuumSQL/ContinuumError/fieldNotVersioned(table:field:)`` when a filter or sort of
    /// `query` names a field excluded from versioning: the version table has no such column.
    static func requireVersionedFields(of query: DatabaseQuery) throws {
        let excluded = Set(Self.versioningOptions.excludedFields.map(\.description))
        guard !excluded.isEmpty else { return }
        func check(_ field: DatabaseQuery.Field) throws {
            let path: [FieldKey]
            switch field {
            case .path(let keys, _), .extendedPath(let keys, _, _): path = keys
            case .custom: return
            }
            if let name = path.first?.description, excluded.contains(name) {
                throw ContinuumError.fieldNotVersioned(table: Self.schema, field: name)
            }
        }
        func check(_ filter: DatabaseQuery.Filter) throws {
            switch filter {
            case .value(let field, _, _): try check(field)
            case .field(let left, _, let right):
                try check(left)
                try check(right)
            case .group(let filters, _): for filter in filters { try check(filter) }
            case .custom: return
            }
        }
        for filter in query.filters { try check(filter) }
        for sort in query.sorts {
            if case .sort(let field, _) = sort { try check(field) }
        }
    }

    /// Runs a migration of this model's table that its triggers block, then syncs, in one
    /// transaction: dropping a field (both databases refuse `DROP COLUMN` while the triggers
    /// name it) or, on PostgreSQL, changing a field's type. The triggers are dropped before
    /// `migration` runs and regenerated after; if it throws, everything rolls back, the
    /// triggers included. Run the migration on the database passed in (the connection holding
    /// the transaction). Rows it writes are not versioned: change data after it.
    ///
    /// ```swift
    /// func revert(on database: any Database) async throws {
    ///     try await Article.alterVersioning(on: database) { database in
    ///         try await database.schema("article").deleteField("summary").update()
    ///     }
    /// }
    /// ```
    ///
    /// A type change that rewrites the text of sealed values is recorded and sealed
    /// (``/ContinuumSQL/VersioningEngine/alter(_:renamedColumns:on:_:)``).
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/tableNotVersioned(_:)``, the errors of
    ///   ``/ContinuumSQL/VersioningEngine/alter(_:renamedColumns:on:_:)``, or the migration's.
    public static func alterVersioning(
        renamedFields: [FieldKey: FieldKey] = [:],
        on database: any Database,
        _ migration: @escaping @Sendable (any Database) async throws -> Void
    ) async throws {
        if let space = Self.space { throw ContinuumError.modelInOtherSchema(model: Self.entityName, schema: space) }
        let renamed = Dictionary(renamedFields.map { ($0.key.description, $0.value.description) }, uniquingKeysWith: { first, _ in first })
        let engine = Continuum.engine(for: database)
        let retyped = try await database.transaction { transaction in
            try await engine.alterRecordingRetype(Self.schema, renamedColumns: renamed, on: Continuum.sql(transaction)) { _ in
                try await migration(transaction)
            }
        }
        try await engine.sealRetype(retyped, on: Continuum.sql(database))
    }
}
