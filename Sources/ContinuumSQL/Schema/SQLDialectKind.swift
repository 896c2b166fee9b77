import SQLKit

/// The two databases the engine generates SQL for.
public enum SQLDialectKind: String, Sendable, CaseIterable {
    case sqlite
    case postgresql

    /// Recognises the dialect of a live database connection.
    ///
    /// - Throws: ``ContinuumError/unsupportedDatabase(_:)`` for any other database.
    public init(_ database: any SQLDatabase) throws {
        switch database.dialect.name {
        case "sqlite": self = .sqlite
        case "postgresql": self = .postgresql
        case let other: throw ContinuumError.unsupportedDatabase(other)
        }
    }
}
