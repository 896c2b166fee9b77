import ContinuumSQL
import FluentKit

extension TransactionLog {
    /// What reverting this transaction would do, without changing anything: every row it
    /// changed, how each would be put back, and the rows later transactions changed again
    /// (see ``/ContinuumSQL/VersioningEngine/revertPlan(transaction:on:)``).
    public func revertPlan(on database: any Database) async throws -> TransactionRevertPlan {
        try await Continuum.engine(for: database).revertPlan(transaction: self.requireID(), on: Continuum.sql(database))
    }

    /// Undoes everything this transaction did to versioned tables, as one new transaction
    /// recording `continuum.reverted_transaction` in its meta: inserted rows deleted, updated
    /// rows given back the values it replaced, deleted rows inserted again with their keys, in
    /// foreign-key order. Rows a later transaction changed again are conflicts, handled by
    /// `conflicts` (default: revert nothing and throw).
    ///
    /// ```swift
    /// let plan = try await transaction.revertPlan(on: db)          // dry run
    /// try await db.versioned(userID: "admin") { db in
    ///     try await transaction.revert(on: db, conflicts: .skip)
    /// }
    /// ```
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/revertConflicts(transaction:conflicts:)`` under
    ///   `.fail`; the database's error when an old row breaks a constraint now. Either way
    ///   nothing is written.
    @discardableResult
    public func revert(on database: any Database, conflicts: RevertConflictPolicy = .fail) async throws -> TransactionRevertPlan {
        let id = try self.requireID()
        let engine = Continuum.engine(for: database)
        return try await database.versioned { db in
            try await engine.revert(transaction: id, conflicts: conflicts, on: Continuum.sql(db))
        }
    }
}
