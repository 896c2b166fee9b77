import ContinuumSQL
import FluentKit
import NIOCore

extension Databases {
    /// Sets the versioning configuration of the database `id` (the default database when
    /// `nil`): the names of the transaction log and its companion tables, SQLAlchemy-Continuum's
    /// optional indexes, and the PostgreSQL roles of ``/ContinuumSQL/VersioningConfiguration``.
    ///
    /// ```swift
    /// app.databases.use(.postgres(configuration: config), as: .psql)
    /// app.databases.configureVersioning(.init(transactionTable: "audit_transaction"), on: .psql)
    /// ```
    ///
    /// Call it once, after `use(_:as:)` and before the database's first handle is made. Every
    /// handle of the database then finds it: migrations, `versioned` scopes, history reads,
    /// revert, ``TransactionLog`` queries. A database configured with nothing uses
    /// SQLAlchemy-Continuum's names. Calling it again replaces the configuration for handles
    /// made afterwards.
    public func configureVersioning(_ configuration: VersioningConfiguration, on id: DatabaseID? = nil) {
        self.middleware.use(VersioningSettings(engine: VersioningEngine(configuration: configuration)), on: id)
    }
}

/// A database's versioning configuration, carried in its Fluent configuration's middleware
/// list so that every handle of the database finds it (``Continuum/engine(for:)``). As
/// middleware it passes every model event through unchanged.
struct VersioningSettings: AnyModelMiddleware {
    let engine: VersioningEngine

    func handle(
        _ event: ModelEvent,
        _ model: any AnyModel,
        on db: any Database,
        chainingTo next: any AnyModelResponder
    ) -> EventLoopFuture<Void> {
        next.handle(event, model, on: db)
    }
}
