import ContinuumSQL
import FluentKit
import SQLKit

/// The namespace of swift-continuum's Fluent integration.
///
/// Each Fluent database has its own versioning configuration (table names, indexes,
/// PostgreSQL roles), set once with ``FluentKit/Databases/configureVersioning(_:on:)`` and
/// found from any handle of that database (`app.db`, `req.db`, a transaction's `db`). A
/// database configured with nothing uses SQLAlchemy-Continuum's names.
public enum Continuum {
    /// An engine with SQLAlchemy-Continuum's table names.
    @available(*, deprecated, message: "each database has its own configuration: use Continuum.engine(for: database), configured with Databases.configureVersioning(_:on:)")
    public static var engine: VersioningEngine { VersioningEngine() }

    /// The engine of `database`: the one configured for it with
    /// ``FluentKit/Databases/configureVersioning(_:on:)``, or an engine with
    /// SQLAlchemy-Continuum's table names. Use it for the engine's raw-SQL operations
    /// (integrity checks, drift, backfill) on a Fluent database.
    ///
    /// ```swift
    /// let report = try await Continuum.engine(for: app.db).verify("article", on: app.db as! any SQLDatabase)
    /// ```
    public static func engine(for database: any Database) -> VersioningEngine {
        for middleware in database.context.configuration.middleware.reversed() {
            if let settings = middleware as? VersioningSettings { return settings.engine }
        }
        return VersioningEngine()
    }

    /// The configuration of `database` (see ``engine(for:)``).
    public static func configuration(of database: any Database) -> VersioningConfiguration {
        Self.engine(for: database).configuration
    }

    /// Installs the shared schema (the transaction log and its companions). Add it once,
    /// before the migrations of versioned models. Its `revert` leaves the log in place:
    /// history is never dropped by a migration rollback.
    public static var migration: any AsyncMigration { InstallMigration() }

    /// The SQL database behind a Fluent database.
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/unsupportedDatabase(_:)`` for a database that is not SQL-backed.
    static func sql(_ database: any Database) throws -> any SQLDatabase {
        guard let sql = database as? any SQLDatabase else { throw ContinuumError.unsupportedDatabase("\(type(of: database))") }
        return sql
    }

    /// Throws a typed error unless `M`'s table is versioned into the table `M` reads versions
    /// from: ``/ContinuumSQL/ContinuumError/tableNotVersioned(_:)``, or ``/ContinuumSQL/ContinuumError/versionTableMismatch(table:modelVersionTable:versionTable:)``
    /// when the model's `versionTableName` disagrees with the registry.
    static func requireVersioned<M: Versioned>(_ model: M.Type, on database: any Database) async throws {
        if let space = M.space { throw ContinuumError.modelInOtherSchema(model: M.entityName, schema: space) }
        let table = try await Continuum.engine(for: database).versionedTable(M.schema, on: Continuum.sql(database))
        guard table.versionTable == M.versionSchema else {
            throw ContinuumError.versionTableMismatch(table: M.schema, modelVersionTable: M.versionSchema, versionTable: table.versionTable)
        }
    }

    /// Runs a history read of `M`; when it fails because `M` is not versioned (its version
    /// table is missing), throws the typed error instead of the driver's. The happy path costs
    /// no extra query.
    static func readingHistory<M: Versioned, R>(of model: M.Type, on database: any Database, _ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch let error as ContinuumError {
            throw error
        } catch {
            // Only reached when the read failed: a disabled table's kept history reads fine.
            // Inside a failed PostgreSQL transaction the check cannot run; the driver's error stands.
            do {
                try await Self.requireVersioned(M.self, on: database)
            } catch let typed as ContinuumError {
                throw typed
            } catch {}
            throw error
        }
    }
}

struct InstallMigration: AsyncMigration {
    var name: String { "Continuum.Install" }

    func prepare(on database: any Database) async throws {
        try await Continuum.engine(for: database).install(on: Continuum.sql(database))
    }

    func revert(on database: any Database) async throws {}
}

/// Enables versioning of a model's table; its `revert` disables it, keeping the history.
struct EnableVersioningMigration<M: Versioned>: AsyncMigration {
    var name: String { "Continuum.Versioning.\(M.schema)" }

    func prepare(on database: any Database) async throws {
        if let space = M.space { throw ContinuumError.modelInOtherSchema(model: M.entityName, schema: space) }
        let sql = try Continuum.sql(database)
        try await Continuum.engine(for: database).enable(M.schema, options: M.tableOptions, on: sql)
        if M.versioningOptions.indexesParentKeys {
            for columns in M.parentKeyColumns {
                let name = "ix_\(M.versionSchema)_\(columns.joined(separator: "_"))_transaction_id"
                try await sql.raw(
                    """
                    CREATE INDEX IF NOT EXISTS \(ident: name) ON \(ident: M.versionSchema) (\(idents: columns + ["transaction_id"], joinedBy: ", "))
                    """
                ).run()
            }
        }
    }

    func revert(on database: any Database) async throws {
        try await Continuum.engine(for: database).disable(M.schema, keepHistory: true, on: Continuum.sql(database))
    }
}

extension Versioned {
    /// A migration that starts versioning this model's table (create the table first) and
    /// backfills an INSERT version of every row the table already holds, in one recorded
    /// transaction (see ``/ContinuumSQL/VersioningEngine/enable(_:options:backfill:on:progress:)``). Its
    /// `revert` stops versioning and keeps the version table.
    public static var versioning: any AsyncMigration { EnableVersioningMigration<Self>() }

    /// Brings versioning up to date after a migration that added, dropped or renamed fields
    /// of this model's table. Pass renamed fields (old key to new key) to keep their history
    /// under the new name.
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/tableNotVersioned(_:)`` and the errors of
    ///   ``/ContinuumSQL/VersioningEngine/sync(_:renamedColumns:on:)``.
    public static func syncVersioning(renamedFields: [String: String] = [:], on database: any Database) async throws {
        if let space = Self.space { throw ContinuumError.modelInOtherSchema(model: Self.entityName, schema: space) }
        try await Continuum.engine(for: database).sync(Self.schema, renamedColumns: renamedFields, on: Continuum.sql(database))
    }
}
