import ContinuumSQL
import FluentKit
import Foundation
import SQLKit

extension Version {
    /// Writes this version's values back to the live row, as a new change (and so a new
    /// version). Reverting to a DELETE version deletes the row; reverting a deleted entity to
    /// an earlier version inserts it again with its original primary key.
    ///
    /// Run it inside `db.versioned(userID:...)` to attribute the revert.
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/tableNotVersioned(_:)`` when the model's table is no longer
    ///   versioned (the revert would leave no history), ``/ContinuumSQL/ContinuumError/keyReused(table:deletedIn:reusedIn:)``
    ///   when this version's row was deleted and SQLite gave its key to an unrelated row (an
    ///   `INTEGER PRIMARY KEY` without `AUTOINCREMENT`),
    ///   ``/ContinuumSQL/ContinuumError/versionTableMismatch(table:modelVersionTable:versionTable:)`` when the
    ///   model reads another version table than its table is versioned into,
    ///   ``/ContinuumSQL/ContinuumError/unsupportedNestedValue`` for field values that cannot be written back.
    public func revert(on database: any Database) async throws {
        let sql = try Continuum.sql(database)
        // Only a key deleted since this version can have been reused: one indexed probe first.
        if sql.dialect.name == "sqlite", try await self.deletedSince(on: sql),
            try await Continuum.engine(for: database).describe(M.schema, on: sql)?.reusesKeys == true,
            let life = try await self.reloaded(on: database)?.laterLife
        {
            // The key was deleted and inserted again (since this version was read, perhaps); on
            // a table whose keys SQLite reuses, the new row is another entity, not this one restored.
            throw ContinuumError.keyReused(table: M.schema, deletedIn: life.deletedIn, reusedIn: life.reinsertedIn)
        }
        // Each write below runs only while the table is versioned into the model's version
        // table: the registry is asked inside the write itself, so the common case costs one
        // statement. When nothing was written, the registry is asked again to tell "not
        // versioned" (a typed error) from "the row is gone" (insert it again).
        let guarded = SQLQueryString(
            """
            EXISTS (SELECT 1 FROM \(ident: "_continuum_tables") WHERE \(ident: "table_name") = \(bind: M.schema) AND \(ident: "version_table") = \(bind: M.versionSchema))
            """)
        let key = try self.key.map { (SQLIdentifier($0.key.description), try ValueConverter.expression($0.value)) }
        func whereKey<B: SQLPredicateBuilder>(_ builder: B) -> B {
            for (column, value) in key { _ = builder.where(column, .equal, value) }
            return builder.where(guarded)
        }
        let marker = SQLAlias(SQLLiteral.numeric("1"), as: SQLIdentifier("x"))
        if self.operation == .delete {
            if try await whereKey(sql.delete(from: M.schema)).returning(marker).first() == nil {
                try await Continuum.requireVersioned(M.self, on: database)
            }
            return
        }
        // Columns the database computes (PostgreSQL): generated ones are never written, identity
        // columns GENERATED ALWAYS are never updated and inserted with OVERRIDING SYSTEM VALUE.
        let computed = try await History<M>.computedColumns(on: database, sql)
        let values = self.inputs.filter { !computed.generated.contains($0.key.description) }.sorted { $0.key.description < $1.key.description }
        let assignments = values.filter { self.key[$0.key] == nil && !computed.identityAlways.contains($0.key.description) }
        // One statement in the common case: update the live row; only when no row came back
        // (the entity was deleted) insert it again with its original key.
        let updated: Bool
        if assignments.isEmpty {
            updated = try await whereKey(sql.select().column(marker).from(M.schema)).first() != nil
        } else {
            let update = sql.update(M.schema)
            for (field, value) in assignments {
                _ = update.set(SQLIdentifier(field.description), to: try ValueConverter.expression(value))
            }
            updated = try await whereKey(update).returning(marker).first() != nil
        }
        if !updated {
            try await Continuum.requireVersioned(M.self, on: database)
            let columns = SQLList(values.map { SQLIdentifier($0.key.description) })
            let row = SQLList(try values.map { try ValueConverter.expression($0.value) })
            let overriding: SQLQueryString = values.contains { computed.identityAlways.contains($0.key.description) } ? " OVERRIDING SYSTEM VALUE" : ""
            try await sql.raw("INSERT INTO \(ident: M.schema) (\(columns))" + overriding + " VALUES (\(row))").run()
        }
    }

    /// Whether the key has a DELETE version from this version's transaction on.
    private func deletedSince(on sql: any SQLDatabase) async throws -> Bool {
        var query = sql.select().column(SQLLiteral.numeric("1"), as: "x").from(M.versionSchema)
            .where("operation_type", .equal, SQLBind(VersionOperation.delete.rawValue))
            .where("transaction_id", .greaterThanOrEqual, SQLBind(self.transactionID))
        for (field, value) in self.key {
            query = query.where(SQLIdentifier(field.description), .equal, try ValueConverter.expression(value))
        }
        return try await query.limit(1).first() != nil
    }
}

extension History {
    /// The columns of `M`'s table whose values the database computes (PostgreSQL generated and
    /// identity `GENERATED ALWAYS` columns), read once per model type: a revert must not write
    /// them as it writes the others. None on SQLite, which does not version generated columns.
    static func computedColumns(on database: any Database, _ sql: any SQLDatabase) async throws -> ComputedColumns {
        guard sql.dialect.name != "sqlite" else { return .none }
        if let known = ComputedColumnCache.columns(of: M.self) { return known }
        let columns = try await Continuum.engine(for: database).computedColumns(of: M.schema, on: sql)
        ComputedColumnCache.store(columns, for: M.self)
        return columns
    }
}

/// ``History/computedColumns(on:_:)`` by model type.
private enum ComputedColumnCache {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [ObjectIdentifier: ComputedColumns] = [:]

    static func columns<M: Model>(of model: M.Type) -> ComputedColumns? {
        self.lock.withLock { self.cache[ObjectIdentifier(model)] }
    }

    static func store<M: Model>(_ columns: ComputedColumns, for model: M.Type) {
        self.lock.withLock { self.cache[ObjectIdentifier(model)] = columns }
    }
}
