import FluentKit

extension Version {
    /// Every versioned field's value in this version, by field key; excluded fields are
    /// absent. For a DELETE version, the row's last values. Reads no database.
    public var values: [String: FieldValue] { self.history.entries[self.position].values }
}
