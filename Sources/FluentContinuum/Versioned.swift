import ContinuumSQL
import FluentKit

/// A Fluent model whose table keeps history.
///
/// Opt in with one conformance and two migrations:
/// ```swift
/// final class Article: Model, Versioned, @unchecked Sendable { ... }
///
/// migrations.add(Continuum.migration)   // the transaction log, once per database
/// migrations.add(CreateArticle())
/// migrations.add(Article.versioning)    // article_version + triggers, after the table exists
/// ```
public protocol Versioned: Model {
    /// How the model's table is versioned. Default: every field, no modified-field flags,
    /// `<schema>_version`, entity name = the type's name.
    static var versioningOptions: VersioningOptions { get }
}

extension Versioned {
    /// Every field versioned, no modified-field flags, `<schema>_version`, the type's name as
    /// the entity name: `VersioningOptions()`.
    public static var versioningOptions: VersioningOptions { .init() }

    /// The name recorded in `transaction_changes` for this model.
    public static var entityName: String { Self.versioningOptions.entityName ?? String(describing: Self.self) }

    /// The table holding this model's versions.
    public static var versionSchema: String { Self.versioningOptions.versionTableName ?? Self.schema + "_version" }

    /// The columns of each `@Parent` and `@OptionalParent` of the model (composite parents
    /// give several).
    static var parentKeyColumns: [[String]] {
        Mirror(reflecting: Self()).children.compactMap { ($0.value as? any ParentReference)?.referenceColumns }
    }

    static var tableOptions: TableVersioningOptions {
        let options = Self.versioningOptions
        return TableVersioningOptions(
            excludedColumns: Set(options.excludedFields.map(\.description)),
            versionTableName: Self.versionSchema,
            tracksModifiedColumns: options.tracksModifiedFields,
            entityName: Self.entityName,
            requiresScope: options.requiresScope,
            updateTrigger: options.updateTrigger
        )
    }
}

/// How a ``Versioned`` model's table is versioned. Every field has a default.
public struct VersioningOptions: Sendable, Hashable {
    /// Fields left out of history: not copied, and a change to them alone writes no version.
    public var excludedFields: [FieldKey]
    /// The version table's name. Default: the model's schema followed by `_version`.
    public var versionTableName: String?
    /// Adds a `<field>_mod` flag per versioned field, set when a version changed that field;
    /// ``Version/modifiedFields`` reads them.
    public var tracksModifiedFields: Bool
    /// The name recorded in `transaction_changes`. Default: the model type's name, as
    /// SQLAlchemy-Continuum records the class name.
    public var entityName: String?
    /// SQLite only: reject writes to the model's table made outside a `versioned` scope
    /// instead of giving each changed row a transaction of its own (see
    /// ``/ContinuumSQL/TableVersioningOptions/requiresScope``). PostgreSQL groups every
    /// transaction by itself and ignores it. Default `false`.
    public var requiresScope: Bool
    /// Whether the versioning migration indexes each `@Parent`/`@OptionalParent` reference in
    /// the version table, with the transaction (`ix_<version table>_<column>_transaction_id`):
    /// relations read at a point in time (`version.related(\.$children, on:)`) find a
    /// parent's children through it instead of scanning the version table. Default
    /// `true`; each index costs every versioned write of the table a little.
    public var indexesParentKeys: Bool
    /// PostgreSQL only: whether updates are versioned once per statement (default) or per row
    /// (cheaper for a model saved a row at a time and often unchanged, dearer in bulk updates;
    /// see ``/ContinuumSQL/TableVersioningOptions/UpdateTrigger``).
    public var updateTrigger: TableVersioningOptions.UpdateTrigger

    /// Options with the given values; every parameter has its property's default.
    public init(
        excludedFields: [FieldKey] = [],
        versionTableName: String? = nil,
        tracksModifiedFields: Bool = false,
        entityName: String? = nil,
        requiresScope: Bool = false,
        indexesParentKeys: Bool = true,
        updateTrigger: TableVersioningOptions.UpdateTrigger = .perStatement
    ) {
        self.excludedFields = excludedFields
        self.versionTableName = versionTableName
        self.tracksModifiedFields = tracksModifiedFields
        self.entityName = entityName
        self.requiresScope = requiresScope
        self.indexesParentKeys = indexesParentKeys
        self.updateTrigger = updateTrigger
    }
}

/// A property that references a parent row through columns of the model's table.
protocol ParentReference {
    var referenceColumns: [String] { get }
}

extension ParentProperty: ParentReference {
    var referenceColumns: [String] { [self.$id.key.description] }
}

extension OptionalParentProperty: ParentReference {
    var referenceColumns: [String] { [self.$id.key.description] }
}

extension CompositeParentProperty: ParentReference {
    var referenceColumns: [String] { self.keys.map(\.description) }
}

extension CompositeOptionalParentProperty: ParentReference {
    var referenceColumns: [String] { self.keys.map(\.description) }
}
