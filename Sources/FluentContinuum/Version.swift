import ContinuumSQL
import FluentKit
import FluentSQL
import Foundation
import SQLKit

/// One version of a ``Versioned`` model: the row as it was after a transaction.
///
/// ```swift
/// let versions = try await article.versions(on: db)   // oldest first, one query
/// versions[0].model.name                             // the row as it was
/// try versions[1].change(\.$name)                   // old → new
/// try await versions[0].revert(on: db)               // write it back as a new version
/// ```
public struct Version<M: Versioned>: Sendable {
    let history: History<M>
    let position: Int
    /// The point this version's relations are read at, when it was read as a relation of
    /// another version (or with `related(_:at:on:)`): the time point travels with it.
    var point: RelationPoint?

    init(history: History<M>, position: Int) {
        self.history = history
        self.position = position
    }

    private var entry: History<M>.Entry { self.history.entries[self.position] }

    /// The row as it was after this version's transaction: a detached model decoded from the
    /// version row (for a DELETE, the row's last values). Excluded fields are not loaded.
    /// Saving it writes to the live table; prefer ``revert(on:)``.
    public var model: M { self.entry.model }
    /// The transaction that wrote this version.
    public var transactionID: Int { self.entry.record.transactionID }
    /// The transaction of the next version, `nil` for the latest.
    public var endTransactionID: Int? { self.entry.record.endTransactionID }
    /// What the transaction did to the row (its net effect).
    public var operation: VersionOperation { self.entry.record.operation }
    /// This version's position among the versions of this entity, from 0.
    public var index: Int { self.position }

    /// The fields that differ from the previous version, by field key; for the first version,
    /// every field that is not NULL (old value NULL). `change(_:)` reads one
    /// field by key path: `version.change(\.$name)`.
    public var changeset: [String: FieldChange] {
        let new = self.entry.values
        let old = self.position > 0 ? self.history.entries[self.position - 1].values : [:]
        var changes: [String: FieldChange] = [:]
        for (key, value) in new {
            let before = old[key] ?? .null
            if before != value { changes[key] = FieldChange(old: before, new: value) }
        }
        return changes
    }

    /// The fields this version modified, from the `_mod` flags; `nil` when the model does not
    /// track modified fields. `version.modified(\.$name)` asks about one field.
    public var modifiedFields: Set<String>? {
        guard M.versioningOptions.tracksModifiedFields else { return nil }
        return Set(self.entry.values.keys.filter { self.entry.record.isModified($0) == true })
    }

    /// Whether the version row's `_mod` flag of `column` is set.
    func isModified(_ column: String) -> Bool { self.entry.record.isModified(column) == true }

    /// The version before this one, `nil` for the first. Versions come with their neighbours
    /// loaded: no query.
    public var previous: Version<M>? {
        self.position > 0 ? Version(history: self.history, position: self.position - 1) : nil
    }

    /// The version after this one (as loaded), `nil` for the latest. No query.
    public var next: Version<M>? {
        self.position + 1 < self.history.entries.count ? Version(history: self.history, position: self.position + 1) : nil
    }

    /// The version before this one; use the ``previous`` property, which is the same.
    @available(*, deprecated, renamed: "previous", message: "runs no query: use the `previous` property")
    public func previous(on database: any Database) async throws -> Version<M>? { self.previous }

    /// The version after this one; use the ``next`` property, which is the same.
    @available(*, deprecated, renamed: "next", message: "runs no query: use the `next` property")
    public func next(on database: any Database) async throws -> Version<M>? { self.next }

    /// The transaction that wrote this version, with its actor and time.
    public func transaction(on database: any Database) async throws -> Transaction {
        guard let transaction = try await Transaction.find(id: self.transactionID, in: database) else {
            throw ContinuumError.transactionNotFound(self.transactionID)
        }
        return transaction
    }

    /// When this version belongs to an earlier life of its key than the live row, and that
    /// live row is not this entity restored: the transaction that deleted this version's row,
    /// and the one whose INSERT started the live row's life. A later life counts as a restore
    /// when its first version holds the values of a version of this one's life (what
    /// ``revert(on:)`` writes back); otherwise it is another row that was given the same key.
    /// `nil` when the key is deleted now or this version belongs to the live row.
    var laterLife: (deletedIn: Int, reinsertedIn: Int)? {
        let entries = self.history.entries
        guard let last = entries.last, last.record.operation != .delete else { return nil }
        guard let deleted = entries[self.position...].firstIndex(where: { $0.record.operation == .delete }),
            let lastDelete = entries.lastIndex(where: { $0.record.operation == .delete }), lastDelete + 1 < entries.count
        else { return nil }
        let start = entries[..<self.position].lastIndex(where: { $0.record.operation == .delete }).map { $0 + 1 } ?? 0
        let restored = entries[lastDelete + 1].values
        if entries[start..<deleted].contains(where: { $0.values == restored }) { return nil }
        return (entries[deleted].record.transactionID, entries[lastDelete + 1].record.transactionID)
    }

    /// This version in its entity's history as it is now (versions written since this one was
    /// read included), `nil` if it is no longer there.
    func reloaded(on database: any Database) async throws -> Version<M>? {
        let history = try await History<M>.load(key: self.history.key, on: database)
        return history.entries.firstIndex { $0.record.transactionID == self.transactionID }.map { Version(history: history, position: $0) }
    }

    /// The live row's primary-key values.
    var key: [FieldKey: DatabaseQuery.Value] { self.history.key }

    /// The version's field values as they are written back.
    var inputs: [FieldKey: DatabaseQuery.Value] { self.entry.inputs }
}

/// The loaded versions of one entity, shared by the ``Version`` values made from it.
final class History<M: Versioned>: Sendable {
    struct Entry: Sendable {
        let model: M
        let record: VersionRecord
        /// Every versioned field's value, as it would be written back.
        let inputs: [FieldKey: DatabaseQuery.Value]
        let values: [String: FieldValue]
    }

    let key: [FieldKey: DatabaseQuery.Value]
    let entries: [Entry]

    init(key: [FieldKey: DatabaseQuery.Value], entries: [Entry]) {
        self.key = key
        self.entries = entries
    }

    var versions: [Version<M>] { self.entries.indices.map { Version(history: self, position: $0) } }

    static func entry(_ row: any SQLRow) throws -> Entry {
        let (model, loaded) = try Self.decode(row)
        var inputs: [FieldKey: DatabaseQuery.Value] = [:]
        for (key, value) in InputCollector.collect(model) {
            guard case .default = value else {
                inputs[key] = value
                continue
            }
            // Fluent reports `.default` for a field it did not load (an excluded field, absent
            // from the version table, or a required field NULL in it: leave it out) and for a
            // loaded `@Enum` (read it from the row).
            let column = key.description
            guard loaded.contains(column: column) else { continue }
            inputs[key] = try row.decodeNil(column: column) ? .null : .enumCase(try row.decode(column: column, as: String.self))
        }
        var values: [String: FieldValue] = [:]
        for (key, value) in inputs { values[key.description] = FieldValue(value) }
        return Entry(model: model, record: try VersionRecord(table: M.schema, row: row), inputs: inputs, values: values)
    }

    /// The model a version row holds. A required field that is NULL in the row (a field added
    /// to the table after the version was written) is left unset, as an excluded field is,
    /// instead of failing the whole history: ``Version/revert(on:)`` then keeps its current value.
    static func model(of row: any SQLRow) throws -> M { try Self.decode(row).model }

    /// ``model(of:)`` and the row it was decoded from: `row` without the columns left unset.
    private static func decode(_ row: any SQLRow) throws -> (model: M, loaded: any SQLRow) {
        var hidden: Set<String> = []
        while true {
            let loaded: any SQLRow = hidden.isEmpty ? row : ColumnsHidden(row: row, hidden: hidden)
            do {
                return (try loaded.decode(fluentModel: M.self), loaded)
            } catch FluentError.invalidField(let name, _, _)
                where !hidden.contains(name) && row.contains(column: name) && (try? row.decodeNil(column: name)) == true
            {
                hidden.insert(name)
            }
        }
    }

    /// Loads every version of the entity with `key`, oldest first, in one query.
    static func load(key: [FieldKey: DatabaseQuery.Value], on database: any Database) async throws -> History<M> {
        let sql = try Continuum.sql(database)
        let conditions = try key.sorted(by: { $0.key.description < $1.key.description }).map { field, value in
            SQLBinaryExpression(SQLIdentifier(field.description), .equal, try ValueConverter.expression(value))
        }
        let rows = try await Self.readVersionRows(on: database, sql) { sql in
            var query = sql.select().column(SQLLiteral.all).from(M.versionSchema)
            for condition in conditions { query = query.where(condition) }
            return try await query.orderBy("transaction_id").all()
        }
        return History(key: key, entries: try rows.map(Self.entry))
    }

    /// Loads the histories of every entity in `keys` (each a full primary key), oldest version
    /// first, in one query per ``keysPerQuery`` keys (composite keys as row values), keyed by
    /// ``identity(_:)`` of each key. Keys without versions get no entry.
    static func loadMany(keys: [[FieldKey: DatabaseQuery.Value]], on database: any Database) async throws -> [[FieldValue]: History<M>] {
        let sql = try Continuum.sql(database)
        let fields = Self.idKeys
        var seen = Set<[FieldValue]>()
        let unique = keys.filter { seen.insert(Self.identity($0)).inserted }
        var grouped: [[FieldValue]: (key: [FieldKey: DatabaseQuery.Value], entries: [Entry])] = [:]
        var start = 0
        while start < unique.count {
            let chunk = unique[start..<min(start + Self.keysPerQuery, unique.count)]
            start += Self.keysPerQuery
            let columns: any SQLExpression =
                fields.count == 1
                ? SQLIdentifier(fields[0].description) : SQLGroupExpression(fields.map { SQLIdentifier($0.description) })
            let tuples: [any SQLExpression] = try chunk.map { key in
                let values = try fields.map { field -> any SQLExpression in
                    guard let value = key[field] else { throw ContinuumError.invalidPrimaryKey(table: M.schema, expected: fields.map(\.description)) }
                    return try ValueConverter.expression(value)
                }
                return values.count == 1 ? values[0] : SQLGroupExpression(values)
            }
            let rows = try await Self.readVersionRows(on: database, sql) { sql in
                try await sql.select().column(SQLLiteral.all).from(M.versionSchema)
                    .where(columns, .in, SQLGroupExpression(tuples))
                    .orderBy("transaction_id").all()
            }
            for row in rows {
                let entry = try Self.entry(row)
                let key = try Self.key(of: entry.model)
                grouped[Self.identity(key), default: (key, [])].entries.append(entry)
            }
        }
        return grouped.mapValues { History(key: $0.key, entries: $0.entries) }
    }

    /// Runs a `SELECT *` read of `M`'s version table (``Continuum/readingHistory(of:on:_:)``),
    /// making sure its rows carry the current column names: on SQLite a pooled connection can
    /// expand `*` from a schema another connection has since changed (a renamed field would
    /// read as missing), and the read then runs again once the connection has reloaded it.
    static func readVersionRows(
        on database: any Database,
        _ sql: any SQLDatabase,
        _ read: @escaping @Sendable (any SQLDatabase) async throws -> [any SQLRow]
    ) async throws -> [any SQLRow] {
        try await Continuum.readingHistory(of: M.self, on: database) {
            try await sql.rowsUnderCurrentNames(expecting: Self.versionRowColumns, read)
        }
    }

    /// Columns every version row of `M` has: its fields that are versioned, and the
    /// bookkeeping. Computed once per model type.
    static var versionRowColumns: [String] { VersionRowColumnCache.columns(of: M.self) }

    /// How many keys one history query reads: well under SQLite's and PostgreSQL's limits on
    /// bound parameters for any key width in practice.
    static var keysPerQuery: Int { max(1, 900 / max(1, Self.idKeys.count)) }

    /// A key's values in id-field order, canonical: equal keys compare equal whatever Swift
    /// type bound them.
    static func identity(_ key: [FieldKey: DatabaseQuery.Value]) -> [FieldValue] {
        Self.idKeys.map { key[$0].map(FieldValue.init) ?? .null }
    }

    /// The primary-key values of `model`'s id.
    static func key(of model: M) throws -> [FieldKey: DatabaseQuery.Value] {
        // A plain id: read it directly (collecting every field's input reflects the whole model).
        if Self.hasPlainID, let id = model.id { return [Self.idKeys[0]: .bind(id)] }
        let values = InputCollector.collect(model)
        var key: [FieldKey: DatabaseQuery.Value] = [:]
        for field in model._$idKeys {
            guard let value = values[field], !FieldValue(value).isNull else {
                throw ContinuumError.idRequired(model: "\(M.self)")
            }
            key[field] = value
        }
        return key
    }

    static func key(id: M.IDValue) throws -> [FieldKey: DatabaseQuery.Value] {
        if Self.hasPlainID { return [Self.idKeys[0]: .bind(id)] }
        let model = M()
        model.id = id
        return try Self.key(of: model)
    }
}

/// Turns Fluent values into SQL expressions for the engine's own queries.
enum ValueConverter {
    static func expression(_ value: DatabaseQuery.Value) throws -> any SQLExpression {
        switch value {
        case .bind(let bound): return SQLBind(bound)
        case .null: return SQLLiteral.null
        case .enumCase(let name): return SQLLiteral.string(name)
        case .default: return SQLLiteral.default
        case .custom(let custom as any SQLExpression): return custom
        default:
            throw ContinuumError.unsupportedNestedValue
        }
    }
}

/// The version-row columns of each model type, by type (making a model instance reflects over
/// all its properties, too slow to repeat for every read).
private enum VersionRowColumnCache {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [ObjectIdentifier: [String]] = [:]

    static func columns<M: Versioned>(of model: M.Type) -> [String] {
        let id = ObjectIdentifier(model)
        if let columns = self.lock.withLock({ self.cache[id] }) { return columns }
        let excluded = Set(M.versioningOptions.excludedFields)
        let columns = M.keys.filter { !excluded.contains($0) }.map(\.description) + ["transaction_id", "end_transaction_id", "operation_type"]
        self.lock.withLock { self.cache[id] = columns }
        return columns
    }
}

/// A row without some of its columns: Fluent leaves the fields of missing columns unset.
private struct ColumnsHidden: SQLRow {
    let row: any SQLRow
    let hidden: Set<String>

    var allColumns: [String] { self.row.allColumns.filter { !self.hidden.contains($0) } }
    func contains(column: String) -> Bool { !self.hidden.contains(column) && self.row.contains(column: column) }
    func decodeNil(column: String) throws -> Bool { try self.row.decodeNil(column: column) }
    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D { try self.row.decode(column: column, as: D.self) }
}
