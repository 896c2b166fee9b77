#if Vapor
    import FluentPostgresDriver
    import FluentSQLiteDriver
    import VaporContinuum
    import VaporTesting

    extension TestDatabase {
        /// Runs `body` with a Vapor application whose default database is a fresh test database
        /// (the one ``run(connectionsPerEventLoop:versioning:_:)`` makes), holding the fixtures of
        /// `Models.swift`, versioned. The application is shut down on every path.
        func withApp<R: Sendable>(
            fixtures: Bool = true,
            _ body: @Sendable (Application, TestContext) async throws -> R
        ) async throws -> R {
            try await self.run { db in
                let app = try await Application.make(.testing)
                app.logger.logLevel = ProcessInfo.processInfo.environment["CONTINUUM_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
                do {
                    switch self {
                    case .sqlite:
                        app.databases.use(.sqlite(.file(db.file!)), as: .sqlite)
                    case .postgres:
                        var configuration = Self.postgresConfiguration
                        configuration.searchPath = [db.schema!]
                        app.databases.use(.postgres(configuration: configuration), as: .psql)
                    }
                    if fixtures { try await CreateFixtures().prepare(on: app.db) }
                    let result = try await body(app, db)
                    try await app.asyncShutdown()
                    return result
                } catch {
                    try? await app.asyncShutdown()
                    throw error
                }
            }
        }
    }

    extension Application {
        /// Records the user named by the request's `X-User` header, as an app would from `req.auth`.
        func recordUserFromHeader() {
            self.continuum.userID = { req in req.headers.first(name: "X-User") }
        }
    }
#endif
