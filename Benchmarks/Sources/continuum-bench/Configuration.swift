/// The stacks compared. Each versioned configuration has an unversioned twin on the same stack;
/// their throughput ratio, taken within one round, is the cost of versioning.
enum Configuration: String, CaseIterable, Codable, Sendable {
    /// Fluent models, no versioning.
    case fluent
    /// The same Fluent code in `db.versioned` scopes, tables enabled, history read through `Version<M>`.
    case fluentVersioned = "fluent-versioned"
    /// Raw SQL through SQLKit, no ORM: the floor.
    case sql
    /// The same SQL in `VersioningEngine.versioned` scopes; history read with `versions(of:key:)`.
    case sqlVersioned = "sql-versioned"
    /// SQLAlchemy 2.1 ORM (Python worker).
    case sqlalchemy
    /// SQLAlchemy-Continuum 2.0.0 on the same models (Python worker).
    case continuum
    /// ``fluent`` on SQLiteNIO/SQLiteKit with the statement cache of `patches/sqlite-statement-cache`
    /// enabled: run by the build of `scripts/bench.sh --patched-sqlite` (SQLite only).
    case fluentCached = "fluent-cached"
    /// ``fluentVersioned`` on the patched driver with the statement cache enabled.
    case fluentVersionedCached = "fluent-versioned-cached"

    var isVersioned: Bool { [.fluentVersioned, .sqlVersioned, .continuum, .fluentVersionedCached].contains(self) }
    /// Runs on the patched SQLite driver with its statement cache (the build given by `--patched-bin`).
    var usesStatementCache: Bool { self == .fluentCached || self == .fluentVersionedCached }
    var isPython: Bool { self == .sqlalchemy || self == .continuum }

    /// The unversioned twin of a versioned configuration.
    var baseline: Configuration? {
        switch self {
        case .fluentVersioned: .fluent
        case .sqlVersioned: .sql
        case .continuum: .sqlalchemy
        case .fluentVersionedCached: .fluentCached
        default: nil
        }
    }

    var title: String {
        switch self {
        case .fluent: "Fluent"
        case .fluentVersioned: "Fluent + continuum"
        case .sql: "raw SQL"
        case .sqlVersioned: "raw SQL + continuum"
        case .sqlalchemy: "SQLAlchemy"
        case .continuum: "SQLAlchemy-Continuum"
        case .fluentCached: "Fluent, statement cache"
        case .fluentVersionedCached: "Fluent + continuum, statement cache"
        }
    }
}
