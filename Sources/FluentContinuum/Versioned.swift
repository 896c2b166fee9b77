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
    public static var versioningOptions: VersioningOptions { .init() }

    /// The name recorded in `transaction_changes` for this model.
    public static var entityName: String { Self.versioningOptions.entityName ?? String(describing: Self.self) }

    /// The table holding this model's versions.
    public static var versionSchema: String { Self.versioningOptions.versionTableName ?? Self.schema + "_version" }

    static var tableOptions: TableVersioningOptions {
        let options = Self.versioningOptions
        return TableVersioningOptions(
            excludedColumns: Set(options.excludedFields.map(\.description)),
            versionTableName: Self.versionSchema,
            tracksModifiedColumns: options.tracksModifiedFields,
            entityName: Self.entityName,
            requiresScope: options.requiresScope
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
    /// ``ContinuumSQL/TableVersioningOptions/requiresScope``). PostgreSQL groups every
    /// transaction by itself and ignores it. Default `false`.
    public var requiresScope: Bool

    public init(
        excludedFields: [FieldKey] = [],
        versionTableName: String? = nil,
        tracksModifiedFields: Bool = false,
        entityName: String? = nil,
        requiresScope: Bool = false
    ) {
        self.excludedFields = excludedFields
        self.versionTableName = versionTableName
        self.tracksModifiedFields = tracksModifiedFields
        self.entityName = entityName
        self.requiresScope = requiresScope
    }
}
