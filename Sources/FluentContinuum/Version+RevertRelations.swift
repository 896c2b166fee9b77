import ContinuumSQL
import FluentKit
import Foundation

/// A relation to revert together with a version, and the relations of its rows to revert in
/// turn: built with `.relation(\.$tags, then: [.relation(\.$comments)])`; nested paths are
/// type-checked against the related model.
public struct RevertRelation<M: Versioned>: @unchecked Sendable {
    /// Referenced parents are restored before the entity; children and links after it.
    enum Phase { case before, after }

    let phase: Phase
    let run: @Sendable (Version<M>, any Database, RevertReport.Builder) async throws -> Void

    /// The parent the version referenced, restored as it was at the version's transaction
    /// (before the entity). A parent with no version valid then is a collision.
    public static func relation<To: Versioned>(_ relation: KeyPath<M, ParentProperty<M, To>>, then nested: [RevertRelation<To>] = []) -> Self {
        Self(phase: .before) { version, database, report in
            guard let parent = try await version.related(relation, on: database) else {
                throw ContinuumError.parentVersionMissing(model: M.entityName, parent: To.entityName, transaction: version.relationPoint.transactionID)
            }
            try await parent.revert(relations: nested, on: database, report: report)
        }
    }

    /// The optional parent the version referenced, restored as it was (before the entity);
    /// nothing when it referenced none.
    public static func relation<To: Versioned>(_ relation: KeyPath<M, OptionalParentProperty<M, To>>, then nested: [RevertRelation<To>] = []) -> Self {
        Self(phase: .before) { version, database, report in
            guard version.model[keyPath: relation].id != nil else { return }
            guard let parent = try await version.related(relation, on: database) else {
                throw ContinuumError.parentVersionMissing(model: M.entityName, parent: To.entityName, transaction: version.relationPoint.transactionID)
            }
            try await parent.revert(relations: nested, on: database, report: report)
        }
    }

    /// The children as they were at the version's transaction: children added since are
    /// deleted (or, with `surplus: .detach`, given a NULL reference), deleted ones come back
    /// with their keys, changed ones get their values back.
    public static func relation<To: Versioned>(
        _ relation: KeyPath<M, ChildrenProperty<M, To>>,
        surplus: SurplusChildren = .delete,
        then nested: [RevertRelation<To>] = []
    ) -> Self {
        Self(phase: .after) { version, database, report in
            let foreignKey = RelationReader.foreignKey(M()[keyPath: relation].parentKey)
            let children = try await version.related(relation, on: database)
            try await RevertRelation.removeSurplus(of: To.self, foreignKey: foreignKey, parent: version, keeping: children, surplus: surplus, on: database, report: report)
            for child in children { try await child.revert(relations: nested, on: database, report: report) }
        }
    }

    /// The optional child as it was at the version's transaction (see the `@Children` form).
    public static func relation<To: Versioned>(
        _ relation: KeyPath<M, OptionalChildProperty<M, To>>,
        surplus: SurplusChildren = .delete,
        then nested: [RevertRelation<To>] = []
    ) -> Self {
        Self(phase: .after) { version, database, report in
            let foreignKey = RelationReader.foreignKey(M()[keyPath: relation].parentKey)
            let child = try await version.related(relation, on: database)
            let children = child.map { [$0] } ?? []
            try await RevertRelation.removeSurplus(of: To.self, foreignKey: foreignKey, parent: version, keeping: children, surplus: surplus, on: database, report: report)
            for child in children { try await child.revert(relations: nested, on: database, report: report) }
        }
    }

    /// The links through the pivot as they were at the version's transaction: links added
    /// since are removed, removed ones restored, and each linked entity restored as it was.
    public static func relation<To: Versioned, Through: Versioned>(
        _ relation: KeyPath<M, SiblingsProperty<M, To, Through>>,
        then nested: [RevertRelation<To>] = []
    ) -> Self {
        Self(phase: .after) { version, database, report in
            let property = M()[keyPath: relation]
            let foreignKey = Through()[keyPath: property.from].$id.key
            let pivots: [Version<Through>] = try await RelationReader.children(of: [version], foreignKey: foreignKey, on: database)[0]
            try await RevertRelation.removeSurplus(of: Through.self, foreignKey: foreignKey, parent: version, keeping: pivots, surplus: .delete, on: database, report: report)
            let targets = try await pivots.loadRelated(property.to, on: database)
            for target in targets.compactMap({ $0 }) { try await target.revert(relations: nested, on: database, report: report) }
            for pivot in pivots { try await pivot.revert(relations: [], on: database, report: report) }
        }
    }

    /// Deletes (or detaches) the live rows of `To` that reference `parent` and are not among
    /// `keeping`.
    static func removeSurplus<To: Versioned>(
        of model: To.Type,
        foreignKey: FieldKey,
        parent: Version<M>,
        keeping: [Version<To>],
        surplus: SurplusChildren,
        on database: any Database,
        report: RevertReport.Builder
    ) async throws {
        guard let reference = try History<M>.key(of: parent.model).first?.value else { return }
        let kept = Set(try keeping.map { try History<To>.identity(History<To>.key(of: $0.model)) })
        let live = To.query(on: database)
        live.query.filters.append(.value(.extendedPath([foreignKey], schema: To.schemaOrAlias, space: To.spaceIfNotAliased), .equal, reference))
        for row in try await live.all() {
            let key = try History<To>.key(of: row)
            guard !kept.contains(History<To>.identity(key)) else { continue }
            let target = To.query(on: database)
            for (field, value) in key {
                target.query.filters.append(.value(.extendedPath([field], schema: To.schemaOrAlias, space: To.spaceIfNotAliased), .equal, value))
            }
            try await RevertReport.Builder.colliding(To.schema) {
                switch surplus {
                case .delete:
                    try await target.delete(force: true)
                case .detach:
                    target.query.action = .update
                    target.query.input = [.dictionary([foreignKey: .null])]
                    try await target.run()
                }
            }
            report.record(surplus == .delete ? .deleted : .detached, To.schema)
        }
    }
}

/// What reverting with relations does with children that were added after the version.
public enum SurplusChildren: Sendable, Hashable {
    /// Delete them (SQLAlchemy-Continuum's behaviour).
    case delete
    /// Keep them, with their reference set to NULL (the foreign key must be optional).
    case detach
}

/// What a revert with relations did, per table.
public struct RevertReport: Sendable, Hashable, CustomStringConvertible {
    /// What happened to a row.
    public enum Action: String, Sendable, Hashable, CaseIterable {
        /// Written back as it was (updated, or inserted again with its key).
        case restored
        /// Deleted: a child or link added after the version.
        case deleted
        /// Kept, its reference set to NULL (``SurplusChildren/detach``).
        case detached
    }

    /// How many rows of each table each action touched.
    public var counts: [Action: [String: Int]]

    /// How many rows of `table` had `action`.
    public func count(_ action: Action, _ table: String) -> Int { self.counts[action]?[table] ?? 0 }

    public var description: String {
        Action.allCases.compactMap { action in
            guard let tables = self.counts[action], !tables.isEmpty else { return nil }
            return "\(action): " + tables.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }.joined(separator: "; ")
    }

    final class Builder: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [Action: [String: Int]] = [:]
        /// Rows already restored in this revert, by table and key: each is written once.
        private var restored: Set<[String]> = []

        func record(_ action: Action, _ table: String) {
            self.lock.withLock { self.counts[action, default: [:]][table, default: 0] += 1 }
        }

        /// Whether the row still has to be restored; marks it restored.
        func firstRestore(_ table: String, _ key: [FieldValue]) -> Bool {
            self.lock.withLock { self.restored.insert([table] + key.map(\.description)).inserted }
        }

        var report: RevertReport { self.lock.withLock { RevertReport(counts: self.counts) } }

        /// Runs a write of `table`; a constraint the database enforces turns into
        /// ``/ContinuumSQL/ContinuumError/revertCollision(table:)``.
        static func colliding(_ table: String, _ write: () async throws -> Void) async throws {
            do {
                try await write()
            } catch let error as any DatabaseError where error.isConstraintFailure {
                throw ContinuumError.revertCollision(table: table)
            }
        }
    }
}

extension Version {
    /// Writes this version back together with the named relations as they were at its
    /// transaction, in **one** transaction (joining the caller's `versioned` scope if any):
    /// referenced parents first, then the entity, then children and links. Children and links
    /// added since are deleted (or detached), deleted ones come back with their keys, changed
    /// ones get their values back; nested relations follow the same point in time.
    ///
    /// ```swift
    /// let report = try await version.revert(relations: [
    ///     .relation(\.$tags, then: [.relation(\.$comments)]),
    ///     .relation(\.$labels),
    ///     .relation(\.$author),
    /// ], on: db)
    /// ```
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/parentVersionMissing(model:parent:transaction:)``
    ///   when a referenced parent had no version at that point,
    ///   ``/ContinuumSQL/ContinuumError/deleteVersionHasNoValues(model:)`` for a DELETE version
    ///   (revert to the version before it);
    ///   ``/ContinuumSQL/ContinuumError/keyReused(table:deletedIn:reusedIn:)``;
    ///   ``/ContinuumSQL/ContinuumError/revertCollision(table:)`` when a row would break a
    ///   constraint now (a UNIQUE value another row took). Nothing is written when it throws.
    @discardableResult
    public func revert(relations: [RevertRelation<M>], on database: any Database) async throws -> RevertReport {
        guard self.operation != .delete else {
            throw ContinuumError.deleteVersionHasNoValues(model: M.entityName)
        }
        let version = self
        return try await database.versioned { db in
            let report = RevertReport.Builder()
            try await version.revert(relations: relations, on: db, report: report)
            return report.report
        }
    }

    /// Restores this version and its relations once per revert.
    func revert(relations: [RevertRelation<M>], on database: any Database, report: RevertReport.Builder) async throws {
        for relation in relations where relation.phase == .before { try await relation.run(self, database, report) }
        if report.firstRestore(M.schema, try History<M>.identity(History<M>.key(of: self.model))) {
            try await RevertReport.Builder.colliding(M.schema) { try await self.revert(on: database) }
            report.record(.restored, M.schema)
        }
        for relation in relations where relation.phase == .after { try await relation.run(self, database, report) }
    }
}
