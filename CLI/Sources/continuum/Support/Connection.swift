import ArgumentParser
import ContinuumSQL
import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Logging
import NIOPosix
import SQLKit

/// `--database` and `--schema`, shared by every command that opens a database.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: [.customShort("d"), .long],
        help: ArgumentHelp(
            "The database: sqlite:PATH, or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE. Default: $DATABASE_URL.",
            valueName: "url"
        )
    )
    var database: String?

    @Option(help: "PostgreSQL: the schema holding the tables and their history (the search_path). Default: the server's.")
    var schema: String?
}

/// A database URL, parsed.
enum DatabaseURL: Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    /// Parses `sqlite:PATH`, `sqlite:///PATH` (SQLAlchemy's form: three slashes then a relative
    /// path, four for an absolute one), `postgres://...` and `postgresql://...`.
    init(_ text: String) throws {
        if text.hasPrefix("sqlite://") {
            var path = String(text.dropFirst("sqlite://".count))
            if path.hasPrefix("/") { path.removeFirst() }
            guard !path.isEmpty else { throw Self.invalid(text) }
            self = .sqlite(path: path)
        } else if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw Self.invalid(text) }
            self = .sqlite(path: path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else {
            throw Self.invalid(text)
        }
    }

    private static func invalid(_ text: String) -> ValidationError {
        let scheme = text.split(separator: ":", maxSplits: 1).first.map(String.init) ?? text
        return ValidationError(
            "unrecognised database URL (scheme \"\(scheme)\"): give --database sqlite:PATH (for example sqlite:app.sqlite) or postgres://USER@HOST:PORT/DATABASE, or set DATABASE_URL"
        )
    }

    /// The URL for messages, without its password.
    var display: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let url):
            guard var components = URLComponents(string: url) else { return "postgres://..." }
            if components.password != nil { components.password = "***" }
            return components.string ?? "postgres://..."
        }
    }
}

/// An open database and the engine working on it.
struct Session: Sendable {
    var sql: any SQLDatabase
    var engine: VersioningEngine
    var url: DatabaseURL
    var dialect: SQLDialectKind
}

extension DatabaseOptions {
    /// The URL from `--database` or `DATABASE_URL`.
    func url() throws -> DatabaseURL {
        guard let text = self.database ?? ProcessInfo.processInfo.environment["DATABASE_URL"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw ValidationError("no database given: pass --database sqlite:PATH or --database postgres://USER@HOST/DATABASE, or set DATABASE_URL")
        }
        return try DatabaseURL(text)
    }

    /// Splits `schema.table` names: a PostgreSQL schema becomes the session's search path.
    /// Every name given must name the same schema (or none), and it must agree with `--schema`.
    func resolve(_ names: [String]) throws -> (schema: String?, tables: [String]) {
        var schema = self.schema
        var tables: [String] = []
        for name in names {
            let parts = name.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else {
                tables.append(name)
                continue
            }
            guard !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("\"\(name)\" is not a table name: write TABLE or SCHEMA.TABLE")
            }
            if let schema, schema != parts[0] {
                throw ValidationError(
                    "\"\(name)\" is in schema \"\(parts[0])\", but this command works in schema \"\(schema)\": history lives in one schema at a time, so run one command per schema"
                )
            }
            schema = parts[0]
            tables.append(parts[1])
        }
        return (schema, tables)
    }

    /// Opens the database, checks that it answers, runs `body` and closes it on every path.
    ///
    /// - Parameters:
    ///   - tables: Table names as given, `schema.table` allowed.
    ///   - creating: Whether a missing SQLite file may be created (`init` only).
    func withSession<R: Sendable>(
        tables: [String] = [],
        creating: Bool = false,
        _ body: (Session, [String]) async throws -> R
    ) async throws -> R {
        let url = try self.url()
        let (schema, resolved) = try self.resolve(tables)
        var logger = Logger(label: "continuum")
        logger.logLevel = .error
        let databases = Databases(threadPool: NIOThreadPool.singleton, on: MultiThreadedEventLoopGroup.singleton)
        let id = DatabaseID(string: "cli")
        switch url {
        case .sqlite(let path):
            if schema != nil {
                throw ValidationError("SQLite databases have no schemas: drop --schema and the \"schema.\" prefix of table names")
            }
            if !creating && !FileManager.default.fileExists(atPath: path) {
                throw CLIError(
                    "the SQLite file \(path) does not exist: check the path, or create the database and run `continuum init` in it"
                )
            }
            databases.use(.sqlite(.file(path)), as: id)
        case .postgres(let text):
            var configuration: SQLPostgresConfiguration
            do {
                configuration = try SQLPostgresConfiguration(url: text)
            } catch {
                throw ValidationError(
                    "cannot read the PostgreSQL URL \(url.display): write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (optionally ?sslmode=disable|prefer|require)"
                )
            }
            if configuration.coreConfiguration.password == nil, let password = ProcessInfo.processInfo.environment["PGPASSWORD"] {
                configuration.coreConfiguration.password = password
            }
            if let schema { configuration.searchPath = [schema] }
            databases.use(.postgres(configuration: configuration, maxConnectionsPerEventLoop: 2), as: id)
        }
        let fluent = databases.database(id, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())!
        let sql = fluent as! any SQLDatabase
        do {
            try await Self.probe(sql, url: url, schema: schema)
            let session = Session(sql: sql, engine: VersioningEngine(), url: url, dialect: try SQLDialectKind(sql))
            let result = try await body(session, resolved)
            await databases.shutdownAsync()
            return result
        } catch {
            await databases.shutdownAsync()
            throw error
        }
    }

    /// Runs one query, turning a connection failure into advice; on PostgreSQL, checks that
    /// the schema asked for exists.
    private static func probe(_ sql: any SQLDatabase, url: DatabaseURL, schema: String?) async throws {
        do {
            _ = try await sql.raw("SELECT 1 AS \"ok\"").first()
        } catch {
            throw CLIError.cannotConnect(url, error)
        }
        if let schema, case .postgres = url {
            let found = try await sql.raw("SELECT 1 AS \"found\" FROM pg_namespace WHERE nspname = \(bind: schema)").first()
            if found == nil {
                throw CLIError("PostgreSQL schema \"\(schema)\" does not exist in \(url.display): check --schema or the SCHEMA. prefix of the table names")
            }
        }
    }
}
