import ContinuumSQL
import FluentKit
import FluentSQL
import Foundation
import SQLKit

/// The moment a relation of a version is read at.
struct RelationPoint: Sendable, Hashable {
    /// The transaction.
    var transactionID: Int
    /// Just before the transaction rather than after it: for DELETE versions, whose relations
    /// are read as they were when the row still existed (a parent deleted with its children
    /// still has them).
    var before: Bool

    /// Whether `record` is the row valid at this point.
    func holds(_ record: VersionRecord) -> Bool {
        guard record.operation != .delete else { return false }
        if self.before {
            return record.transactionID < self.transactionID && (record.endTransactionID.map { $0 >= self.transactionID } ?? true)
        }
        return record.transactionID <= self.transactionID && (record.endTransactionID.map { $0 > self.transactionID } ?? true)
    }
}

extension Version {
    /// The point this version's relations are read at: the point it was itself read at (a
    /// related version carries its root's point), else its own transaction (just before it,
    /// for a DELETE version).
    var relationPoint: RelationPoint {
        self.point ?? RelationPoint(transactionID: self.transactionID, before: self.operation == .delete)
    }

    /// This version, with its relations read at `transactionID` (just before it with `before`).
    func reading(at transactionID: Int, before: Bool = false) -> Version<M> {
        var version = self
        version.point = RelationPoint(transactionID: transactionID, before: before)
        return version
    }

    // MARK: To one

    /// The parent this version referenced, as it was at this version's transaction (just
    /// before it, for a DELETE version), or `nil` when no version of it was valid then.
    ///
    /// ```swift
    /// let author = try await postVersion.related(\.$author, on: db)   // Version<Author>?
    /// ```
    /// The returned version reads its own relations at the same point. Also sets
    /// `model.$author.value`.
    public func related<To: Versioned>(_ relation: KeyPath<M, ParentProperty<M, To>>, on database: any Database) async throws -> Version<To>? {
        try await [self].loadRelated(relation, on: database)[0]
    }

    /// The parent this version referenced, as it was at transaction `transactionID`.
    public func related<To: Versioned>(_ relation: KeyPath<M, ParentProperty<M, To>>, at transactionID: Int, on database: any Database) async throws -> Version<To>? {
        try await [self.reading(at: transactionID)].loadRelated(relation, on: database)[0]
    }

    /// The optional parent this version referenced, as it was at this version's transaction;
    /// `nil` when it referenced none or no version of it was valid then.
    public func related<To: Versioned>(_ relation: KeyPath<M, OptionalParentProperty<M, To>>, on database: any Database) async throws -> Version<To>? {
        try await [self].loadRelated(relation, on: database)[0]
    }

    /// The optional parent this version referenced, as it was at transaction `transactionID`.
    public func related<To: Versioned>(_ relation: KeyPath<M, OptionalParentProperty<M, To>>, at transactionID: Int, on database: any Database) async throws -> Version<To>? {
        try await [self.reading(at: transactionID)].loadRelated(relation, on: database)[0]
    }

    /// The child that referenced this entity at this version's transaction.
    public func related<To: Versioned>(_ relation: KeyPath<M, OptionalChildProperty<M, To>>, on database: any Database) async throws -> Version<To>? {
        try await [self].loadRelated(relation, on: database)[0]
    }

    /// The child that referenced this entity at transaction `transactionID`.
    public func related<To: Versioned>(_ relation: KeyPath<M, OptionalChildProperty<M, To>>, at transactionID: Int, on database: any Database) async throws -> Version<To>? {
        try await [self.reading(at: transactionID)].loadRelated(relation, on: database)[0]
    }

    // MARK: To many

    /// The children that referenced this entity at this version's transaction (just before
    /// it, for a DELETE version), oldest key first. A child counts when the version of it
    /// valid then points at this entity: children re-parented later, or changed in
    /// transactions that did not touch this entity, are seen as they were.
    ///
    /// ```swift
    /// let tags = try await articleVersion.related(\.$tags, on: db)   // [Version<Tag>]
    /// ```
    public func related<To: Versioned>(_ relation: KeyPath<M, ChildrenProperty<M, To>>, on database: any Database) async throws -> [Version<To>] {
        try await [self].loadRelated(relation, on: database)[0]
    }

    /// The children that referenced this entity at transaction `transactionID`.
    public func related<To: Versioned>(_ relation: KeyPath<M, ChildrenProperty<M, To>>, at transactionID: Int, on database: any Database) async throws -> [Version<To>] {
        try await [self.reading(at: transactionID)].loadRelated(relation, on: database)[0]
    }

    /// The entities linked to this one through the pivot at this version's transaction: the
    /// pivot rows valid then, and each target as it was then. Pivots are versioned like any
    /// table, so a link removed and added again reads right at every point.
    public func related<To: Versioned, Through: Versioned>(
        _ relation: KeyPath<M, SiblingsProperty<M, To, Through>>,
        on database: any Database
    ) async throws -> [Version<To>] {
        try await [self].loadRelated(relation, on: database)[0]
    }

    /// The entities linked to this one through the pivot at transaction `transactionID`.
    public func related<To: Versioned, Through: Versioned>(
        _ relation: KeyPath<M, SiblingsProperty<M, To, Through>>,
        at transactionID: Int,
        on database: any Database
    ) async throws -> [Version<To>] {
        try await [self.reading(at: transactionID)].loadRelated(relation, on: database)[0]
    }
}

extension Version {
    // MARK: Composite keys

    /// The composite parent this version referenced, as it was at this version's transaction.
    public func related<To: Versioned>(_ relation: KeyPath<M, CompositeParentProperty<M, To>>, on database: any Database) async throws -> Version<To>? {
        try await [self].loadRelated(relation, on: database)[0]
    }

    /// The composite parent this version referenced, as it was at transaction `transactionID`.
    public func related<To: Versioned>(_ relation: KeyPath<M, CompositeParentProperty<M, To>>, at transactionID: Int, on database: any Database) async throws -> Version<To>? {
        try await [self.reading(at: transactionID)].loadRelated(relation, on: database)[0]
    }

    /// The optional composite parent this version referenced, as it was at this version's transaction.
    public func related<To: Versioned>(_ relation: KeyPath<M, CompositeOptionalParentProperty<M, To>>, on database: any Database) async throws -> Version<To>? {
        try await [self].loadRelated(relation, on: database)[0]
    }

    /// The optional composite parent this version referenced, as it was at transaction `transactionID`.
    public func related<To: Versioned>(_ relation: KeyPath<M, CompositeOptionalParentProperty<M, To>>, at transactionID: Int, on database: any Database) async throws -> Version<To>? {
        try await [self.reading(at: transactionID)].loadRelated(relation, on: database)[0]
    }

    /// The children that referenced this composite-key entity at this version's transaction.
    public func related<To: Versioned>(_ relation: KeyPath<M, CompositeChildrenProperty<M, To>>, on database: any Database) async throws -> [Version<To>] {
        try await [self].loadRelated(relation, on: database)[0]
    }

    /// The children that referenced this composite-key entity at transaction `transactionID`.
    public func related<To: Versioned>(_ relation: KeyPath<M, CompositeChildrenProperty<M, To>>, at transactionID: Int, on database: any Database) async throws -> [Version<To>] {
        try await [self.reading(at: transactionID)].loadRelated(relation, on: database)[0]
    }

    /// The child that referenced this composite-key entity at this version's transaction.
    public func related<To: Versioned>(_ relation: KeyPath<M, CompositeOptionalChildProperty<M, To>>, on database: any Database) async throws -> Version<To>? {
        try await [self].loadRelated(relation, on: database)[0]
    }

    /// The child that referenced this composite-key entity at transaction `transactionID`.
    public func related<To: Versioned>(_ relation: KeyPath<M, CompositeOptionalChildProperty<M, To>>, at transactionID: Int, on database: any Database) async throws -> Version<To>? {
        try await [self.reading(at: transactionID)].loadRelated(relation, on: database)[0]
    }
}

extension Sequence {
    /// Loads one composite parent relation for every version (see the `@Parent` form).
    @discardableResult
    public func loadRelated<M: Versioned, To: Versioned>(
        _ relation: KeyPath<M, CompositeParentProperty<M, To>>,
        on database: any Database
    ) async throws -> [Version<To>?] where Element == Version<M> {
        let versions = Array(self)
        let parents = try await RelationReader.parents(
            ids: versions.map { Optional($0.model[keyPath: relation].id) }, points: versions.map(\.relationPoint), of: To.self, on: database
        )
        for (version, parent) in zip(versions, parents) { version.model[keyPath: relation].value = parent?.model }
        return parents
    }

    /// Loads one optional composite parent relation for every version (see the `@Parent` form).
    @discardableResult
    public func loadRelated<M: Versioned, To: Versioned>(
        _ relation: KeyPath<M, CompositeOptionalParentProperty<M, To>>,
        on database: any Database
    ) async throws -> [Version<To>?] where Element == Version<M> {
        let versions = Array(self)
        let parents = try await RelationReader.parents(
            ids: versions.map { $0.model[keyPath: relation].id }, points: versions.map(\.relationPoint), of: To.self, on: database
        )
        for (version, parent) in zip(versions, parents) { version.model[keyPath: relation].value = .some(parent?.model) }
        return parents
    }

    /// Loads one composite children relation for every version (see the `@Children` form).
    @discardableResult
    public func loadRelated<M: Versioned, To: Versioned>(
        _ relation: KeyPath<M, CompositeChildrenProperty<M, To>>,
        on database: any Database
    ) async throws -> [[Version<To>]] where Element == Version<M> {
        let versions = Array(self)
        let children: [[Version<To>]] = try await RelationReader.children(
            of: versions, foreignKeys: RelationReader.foreignKeys(M()[keyPath: relation].parentKey), on: database
        )
        for (version, found) in zip(versions, children) { version.model[keyPath: relation].value = found.map { $0.model } }
        return children
    }

    /// Loads one composite optional-child relation for every version (see the `@Children` form).
    @discardableResult
    public func loadRelated<M: Versioned, To: Versioned>(
        _ relation: KeyPath<M, CompositeOptionalChildProperty<M, To>>,
        on database: any Database
    ) async throws -> [Version<To>?] where Element == Version<M> {
        let versions = Array(self)
        let children: [[Version<To>]] = try await RelationReader.children(
            of: versions, foreignKeys: RelationReader.foreignKeys(M()[keyPath: relation].parentKey), on: database
        )
        let first = children.map { $0.first }
        for (version, child) in zip(versions, first) { version.model[keyPath: relation].value = Optional<To?>.some(child?.model) }
        return first
    }
}

extension Sequence {
    /// Loads one parent relation for every version, each at its own point, in a fixed number
    /// of queries however many versions (no query per version), and sets each
    /// `model.$relation.value`. Returns the parents in the versions' order.
    ///
    /// ```swift
    /// let versions = try await Post.query(on: db).versions()
    /// let authors = try await versions.loadRelated(\.$author, on: db)
    /// ```
    @discardableResult
    public func loadRelated<M: Versioned, To: Versioned>(
        _ relation: KeyPath<M, ParentProperty<M, To>>,
        on database: any Database
    ) async throws -> [Version<To>?] where Element == Version<M> {
        let versions = Array(self)
        let parents = try await RelationReader.parents(
            ids: versions.map { Optional($0.model[keyPath: relation].id) }, points: versions.map(\.relationPoint), of: To.self, on: database
        )
        for (version, parent) in zip(versions, parents) { version.model[keyPath: relation].value = parent?.model }
        return parents
    }

    /// Loads one optional parent relation for every version (see the `@Parent` form).
    @discardableResult
    public func loadRelated<M: Versioned, To: Versioned>(
        _ relation: KeyPath<M, OptionalParentProperty<M, To>>,
        on database: any Database
    ) async throws -> [Version<To>?] where Element == Version<M> {
        let versions = Array(self)
        let parents = try await RelationReader.parents(
            ids: versions.map { $0.model[keyPath: relation].id }, points: versions.map(\.relationPoint), of: To.self, on: database
        )
        for (version, parent) in zip(versions, parents) { version.model[keyPath: relation].value = .some(parent?.model) }
        return parents
    }

    /// Loads one children relation for every version, each at its own point, in a fixed
    /// number of queries, and sets each `model.$relation.value`.
    @discardableResult
    public func loadRelated<M: Versioned, To: Versioned>(
        _ relation: KeyPath<M, ChildrenProperty<M, To>>,
        on database: any Database
    ) async throws -> [[Version<To>]] where Element == Version<M> {
        let versions = Array(self)
        let children: [[Version<To>]] = try await RelationReader.children(
            of: versions, foreignKey: RelationReader.foreignKey(M()[keyPath: relation].parentKey), on: database
        )
        for (version, found) in zip(versions, children) { version.model[keyPath: relation].value = found.map { $0.model } }
        return children
    }

    /// Loads one optional-child relation for every version (see the `@Children` form).
    @discardableResult
    public func loadRelated<M: Versioned, To: Versioned>(
        _ relation: KeyPath<M, OptionalChildProperty<M, To>>,
        on database: any Database
    ) async throws -> [Version<To>?] where Element == Version<M> {
        let versions = Array(self)
        let children: [[Version<To>]] = try await RelationReader.children(
            of: versions, foreignKey: RelationReader.foreignKey(M()[keyPath: relation].parentKey), on: database
        )
        let first = children.map { $0.first }
        for (version, child) in zip(versions, first) { version.model[keyPath: relation].value = Optional<To?>.some(child?.model) }
        return first
    }

    /// Loads one siblings relation for every version, each at its own point, in a fixed number
    /// of queries (pivots, then targets), and sets each `model.$relation.value`.
    @discardableResult
    public func loadRelated<M: Versioned, To: Versioned, Through: Versioned>(
        _ relation: KeyPath<M, SiblingsProperty<M, To, Through>>,
        on database: any Database
    ) async throws -> [[Version<To>]] where Element == Version<M> {
        let versions = Array(self)
        let property = M()[keyPath: relation]
        let pivots: [[Version<Through>]] = try await RelationReader.children(
            of: versions, foreignKey: Through()[keyPath: property.from].$id.key, on: database
        )
        let flat = pivots.flatMap { $0 }
        let targets = try await RelationReader.parents(
            ids: flat.map { Optional($0.model[keyPath: property.to].id) }, points: flat.map(\.relationPoint), of: To.self, on: database
        )
        var result: [[Version<To>]] = []
        var next = 0
        for (version, links) in zip(versions, pivots) {
            let linked = targets[next..<next + links.count].compactMap { $0 }
            next += links.count
            version.model[keyPath: relation].value = linked.map(\.model)
            result.append(Array(linked))
        }
        return result
    }
}

/// Set-based reads of relations at points in time.
enum RelationReader {
    /// The foreign-key field of a children relation's parent property.
    static func foreignKey<From, To>(_ key: RelationParentKey<From, To>) -> FieldKey {
        switch key {
        case .required(let path): To()[keyPath: path].$id.key
        case .optional(let path): To()[keyPath: path].$id.key
        }
    }

    /// The reference columns of a composite children relation's parent property, in the order
    /// of the parent's key fields.
    static func foreignKeys<From, To>(_ key: CompositeRelationParentKey<From, To>) -> [FieldKey] {
        switch key {
        case .required(let path): To()[keyPath: path].keys
        case .optional(let path): To()[keyPath: path].keys
        }
    }

    /// For each id (the target's key, `nil` for none), the version of the target valid at the
    /// matching point, in one history query per ``History/keysPerQuery`` ids.
    static func parents<To: Versioned>(
        ids: [To.IDValue?],
        points: [RelationPoint],
        of model: To.Type,
        on database: any Database
    ) async throws -> [Version<To>?] {
        let keys = try ids.map { try $0.map(History<To>.key(id:)) }
        let histories = try await History<To>.loadMany(keys: keys.compactMap { $0 }, on: database)
        return zip(keys, points).map { key, point in
            guard let key, let history = histories[History<To>.identity(key)],
                let position = history.entries.lastIndex(where: { point.holds($0.record) })
            else { return nil }
            return Version(history: history, position: position).reading(at: point.transactionID, before: point.before)
        }
    }

    /// For each source version, the versions of `To` whose row valid at the source's point
    /// references it through `foreignKey`, in key order: one query for the candidate keys, one
    /// history query per ``History/keysPerQuery`` of them.
    static func children<M: Versioned, To: Versioned>(
        of sources: [Version<M>],
        foreignKey: FieldKey,
        on database: any Database
    ) async throws -> [[Version<To>]] {
        try await Self.children(of: sources, foreignKeys: [foreignKey], on: database)
    }

    /// The same for a reference made of several columns (a composite parent): `foreignKeys`
    /// in the order of the source's key fields.
    static func children<M: Versioned, To: Versioned>(
        of sources: [Version<M>],
        foreignKeys: [FieldKey],
        on database: any Database
    ) async throws -> [[Version<To>]] {
        guard !sources.isEmpty else { return [] }
        let sql = try Continuum.sql(database)
        let points = sources.map(\.relationPoint)
        let sourceKeys = try sources.map { try History<M>.key(of: $0.model) }
        let sourceFields = History<M>.idKeys
        guard sourceFields.count == foreignKeys.count else {
            throw ContinuumError.foreignKeyMismatch(child: "\(To.self)", parent: "\(M.self)", columns: foreignKeys.count, keyColumns: sourceFields.count)
        }
        let references = try sourceKeys.map { key -> any SQLExpression in
            let values = try sourceFields.map { try ValueConverter.expression(key[$0]!) }
            return values.count == 1 ? values[0] : SQLGroupExpression(values)
        }
        let referenceColumns: any SQLExpression =
            foreignKeys.count == 1
            ? SQLIdentifier(foreignKeys[0].description) : SQLGroupExpression(foreignKeys.map { SQLIdentifier($0.description) })
        let earliest = points.map(\.transactionID).min()!, latest = points.map(\.transactionID).max()!
        let keyFields = History<To>.idKeys
        let perQuery = max(1, 900 / max(1, foreignKeys.count))
        var candidates: [[FieldKey: DatabaseQuery.Value]] = []
        var start = 0
        while start < references.count {
            let chunk = Array(references[start..<min(start + perQuery, references.count)])
            start += perQuery
            let rows = try await Continuum.readingHistory(of: To.self, on: database) {
                try await sql.select().distinct().columns(keyFields.map { SQLIdentifier($0.description) })
                    .from(To.versionSchema)
                    .where(referenceColumns, .in, SQLGroupExpression(chunk))
                    .where("transaction_id", .lessThanOrEqual, SQLBind(latest))
                    .where(
                        SQLGroupExpression(
                            SQLBinaryExpression(
                                SQLBinaryExpression(SQLIdentifier("end_transaction_id"), .is, SQLLiteral.null),
                                .or,
                                SQLBinaryExpression(SQLIdentifier("end_transaction_id"), .greaterThanOrEqual, SQLBind(earliest))
                            ))
                    )
                    .where("operation_type", .notEqual, SQLBind(VersionRecordOperation.delete))
                    .orderBy(SQLKit.SQLList(keyFields.map { SQLOrderBy(expression: SQLIdentifier($0.description), direction: SQLDirection.ascending) }))
                    .all()
            }
            for row in rows {
                if History<To>.hasPlainID {
                    candidates.append(try History<To>.key(id: row.decode(column: keyFields[0].description, as: To.IDValue.self)))
                } else {
                    candidates.append(try History<To>.key(of: History<To>.model(of: row)))
                }
            }
        }
        let histories = try await History<To>.loadMany(keys: candidates, on: database)
        var seen = Set<[FieldValue]>()
        let ordered = candidates.map(History<To>.identity).filter { seen.insert($0).inserted }
        // The candidates that ever referenced each parent, in key order: each source then
        // checks only its own (no sources x candidates loop).
        var byReference: [[FieldValue]: [[FieldValue]]] = [:]
        for identity in ordered {
            guard let history = histories[identity] else { continue }
            var references = Set<[FieldValue]>()
            for entry in history.entries { references.insert(foreignKeys.map { entry.values[$0.description] ?? .null }) }
            for reference in references { byReference[reference, default: []].append(identity) }
        }
        return zip(sourceKeys, points).map { sourceKey, point in
            let expected = sourceFields.map { FieldValue(sourceKey[$0]!) }
            return (byReference[expected] ?? []).compactMap { identity -> Version<To>? in
                guard let history = histories[identity],
                    let position = history.entries.lastIndex(where: { point.holds($0.record) }),
                    foreignKeys.map({ history.entries[position].values[$0.description] ?? .null }) == expected
                else { return nil }
                return Version(history: history, position: position).reading(at: point.transactionID, before: point.before)
            }
        }
    }
}

/// `operation_type` of a DELETE version, for relation queries.
private enum VersionRecordOperation {
    static let delete = VersionOperation.delete.rawValue
}

extension History {
    /// The model's id fields. Computed once per model type: making a model instance reflects
    /// over all its properties, too slow to repeat for every row of a batch.
    static var idKeys: [FieldKey] { IDKeyCache.keys(of: M.self) }

    /// Whether the model's id is one plain field (`@ID`), not a composite `Fields` value.
    static var hasPlainID: Bool { !(M.IDValue.self is any Fields.Type) && Self.idKeys.count == 1 }
}

/// The id fields of each model type, by type.
private enum IDKeyCache {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [ObjectIdentifier: [FieldKey]] = [:]

    static func keys<M: Model>(of model: M.Type) -> [FieldKey] {
        let id = ObjectIdentifier(model)
        if let keys = self.lock.withLock({ self.cache[id] }) { return keys }
        let keys = M()._$idKeys
        self.lock.withLock { self.cache[id] = keys }
        return keys
    }
}
