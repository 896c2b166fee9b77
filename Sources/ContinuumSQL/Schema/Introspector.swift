import SQLKit

/// Reads tables, columns and triggers from the live database, through its dialect
/// (``Dialect``'s introspection members).
struct Introspector: Sendable {
    let database: any SQLDatabase
    let dialect: SQLDialectKind

    init(_ database: any SQLDatabase) throws {
        self.database = database
        self.dialect = try SQLDialectKind(database)
    }

    private var implementation: any Dialect.Type { self.dialect.dialectType }

    /// The schema new objects go to on PostgreSQL (`current_schema()`); `nil` on SQLite.
    func currentSchema() async throws -> String? {
        try await self.implementation.currentSchema(on: self.database)
    }

    /// Whether a table named `table` exists: one catalog probe, far cheaper than ``describe(_:)``.
    func tableExists(_ table: String) async throws -> Bool {
        try SQLText.validate(table)
        return try await self.implementation.tableExists(table, on: self.database)
    }

    /// Describes `table`, or returns `nil` when it does not exist.
    func describe(_ table: String) async throws -> TableDescription? {
        try SQLText.validate(table)
        return try await self.implementation.describe(table, on: self.database)
    }

    /// What `name` is when it exists but is not a plain table ("view", "materialized view",
    /// "foreign table", "virtual table"); `nil` for a table or a missing name.
    func unsupportedRelationKind(_ name: String) async throws -> String? {
        try SQLText.validate(name)
        return try await self.implementation.unsupportedRelationKind(name, on: self.database)
    }

    /// Names of the triggers on `table`, excluding PostgreSQL's internal ones.
    func triggers(on table: String) async throws -> Set<String> {
        try await self.implementation.triggers(on: table, in: self.database)
    }
}
