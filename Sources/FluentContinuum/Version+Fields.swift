import ContinuumSQL
import FluentKit

extension Version {
    /// How the field at `field` changed from the previous version to this one, `nil` when it
    /// did not (for the first version: `nil` when it is NULL).
    ///
    /// ```swift
    /// let versions = try await article.versions(on: db)
    /// try versions[1].change(\.$name)?.old(as: String.self)   // "Some article"
    /// try versions[1].change(\.$name)?.new(as: String.self)   // "Updated article"
    /// ```
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/fieldNotVersioned(table:field:)`` when the field is excluded
    ///   from versioning (its history is not kept, so no answer would be true).
    public func change<Property: QueryAddressableProperty>(_ field: KeyPath<M, Property>) throws -> FieldChange?
    where Property.Model == M {
        try self.change(M.fieldKey(field))
    }

    /// How the field of a `@Group` at `field` changed from the previous version to this one,
    /// `nil` when it did not; the field is stored in a prefixed column, as Fluent's `sort` reads it.
    ///
    /// ```swift
    /// try versions[1].change(\.$address.$city)?.new(as: String.self)   // column address_city
    /// ```
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/fieldNotVersioned(table:field:)`` when the field is excluded
    ///   from versioning.
    public func change<Property: QueryAddressableProperty>(_ field: KeyPath<M, GroupPropertyPath<M, Property>>) throws -> FieldChange? {
        try self.change(M.anyFieldKey(field))
    }

    /// How the field with key `field` changed from the previous version to this one, `nil`
    /// when it did not; the ``changeset`` entry of the field, checked.
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/unknownColumn(table:column:)`` when the model has no such
    ///   field, ``/ContinuumSQL/ContinuumError/fieldNotVersioned(table:field:)`` when it is excluded from
    ///   versioning.
    public func change(_ field: FieldKey) throws -> FieldChange? {
        self.changeset[try M.versionedColumn(field)]
    }

    /// How the field named `field` changed from the previous version to this one, `nil` when
    /// it did not.
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/unknownColumn(table:column:)`` when the model has no such
    ///   field, ``/ContinuumSQL/ContinuumError/fieldNotVersioned(table:field:)`` when it is excluded from
    ///   versioning.
    public func change(_ field: String) throws -> FieldChange? {
        try self.change(FieldKey.string(field))
    }

    /// Whether this version modified the field at `field`, from its `_mod` flag (the model's
    /// `versioningOptions` must set `tracksModifiedFields`). A primary-key field is never
    /// modified: a changed key starts another entity's history.
    ///
    /// ```swift
    /// if try version.modified(\.$status) { ... }
    /// ```
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/modifiedFieldsNotTracked(table:)`` when the model does not
    ///   track modified fields, ``/ContinuumSQL/ContinuumError/fieldNotVersioned(table:field:)`` when the
    ///   field is excluded from versioning.
    public func modified<Property: QueryAddressableProperty>(_ field: KeyPath<M, Property>) throws -> Bool
    where Property.Model == M {
        try self.modified(M.fieldKey(field))
    }

    /// Whether this version modified the field of a `@Group` at `field` (its prefixed column),
    /// from its `_mod` flag.
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/modifiedFieldsNotTracked(table:)`` when the model does not
    ///   track modified fields, ``/ContinuumSQL/ContinuumError/fieldNotVersioned(table:field:)`` when the
    ///   field is excluded from versioning.
    public func modified<Property: QueryAddressableProperty>(_ field: KeyPath<M, GroupPropertyPath<M, Property>>) throws -> Bool {
        try self.modified(M.anyFieldKey(field))
    }

    /// Whether this version modified the field with key `field`, from its `_mod` flag.
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/unknownColumn(table:column:)`` when the model has no such
    ///   field, ``/ContinuumSQL/ContinuumError/modifiedFieldsNotTracked(table:)`` when the model does not
    ///   track modified fields, ``/ContinuumSQL/ContinuumError/fieldNotVersioned(table:field:)`` when the
    ///   field is excluded from versioning.
    public func modified(_ field: FieldKey) throws -> Bool {
        guard let column = try M.modifiedFlagColumn(field) else { return false }
        return self.isModified(column)
    }

    /// Whether this version modified the field named `field`, from its `_mod` flag.
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/unknownColumn(table:column:)`` when the model has no such
    ///   field, ``/ContinuumSQL/ContinuumError/modifiedFieldsNotTracked(table:)`` when the model does not
    ///   track modified fields, ``/ContinuumSQL/ContinuumError/fieldNotVersioned(table:field:)`` when the
    ///   field is excluded from versioning.
    public func modified(_ field: String) throws -> Bool {
        try self.modified(FieldKey.string(field))
    }
}
