#if Vapor
    import FluentContinuum
    import Testing
    import VaporContinuum
    import VaporTesting

    @Suite("Vapor: drift check at boot")
    struct DriftCheckTests {
        @Test("a drifted table is logged, or refuses the boot when asked; a clean database boots", arguments: TestDatabase.allCases)
        func driftAtBoot(_ database: TestDatabase) async throws {
            try await database.withApp { app, db in
                app.continuum.driftCheck = .refuseToStart
                try await app.asyncBoot()  // nothing has drifted
            }
            try await database.withApp { app, db in
                // A column added without Article.syncVersioning: its changes would not be versioned.
                try await db.exec("ALTER TABLE article ADD COLUMN summary TEXT")
                app.continuum.driftCheck = .log
                try await app.asyncBoot()
            }
            try await database.withApp { app, db in
                try await db.exec("ALTER TABLE article ADD COLUMN summary TEXT")
                app.continuum.driftCheck = .refuseToStart
                await #expect(throws: VaporContinuumError.drift(tables: ["article"])) { try await app.asyncBoot() }
            }
        }

        @Test("the drift check skips a database before its first migration")
        func beforeMigrations() async throws {
            try await TestDatabase.sqlite.withApp(fixtures: false) { app, _ in
                app.continuum.driftCheck = .refuseToStart
                try await app.asyncBoot()
            }
        }

        @Test("app.continuum reaches the per-database configuration of FluentContinuum")
        func configuration() async throws {
            try await TestDatabase.sqlite.withApp(fixtures: false) { app, _ in
                app.continuum.configureVersioning(.init(transactionTable: "audit_transaction"))
                #expect(app.continuum.engine().configuration.transactionTable == "audit_transaction")
                #expect(Continuum.configuration(of: app.db).transactionTable == "audit_transaction")
            }
        }
    }
#endif
