#if Vapor
    import FluentContinuum
    import SQLKit
    import Vapor

    /// What the application does at boot about versioning drift: a versioned table altered
    /// without ``FluentContinuum/Versioned/syncVersioning(renamedFields:on:)``, whose triggers no
    /// longer copy every column (``ContinuumSQL/DriftReport``).
    public enum DriftCheck: Sendable, Hashable {
        /// No check (the default).
        case off
        /// Logs each drifted table at `error`, with its fix, and starts.
        case log
        /// Logs each drifted table and refuses to start, throwing
        /// ``VaporContinuumError/drift(tables:)`` from the boot.
        case refuseToStart
    }

    /// Runs the drift check once the application has booted.
    struct DriftCheckHandler: LifecycleHandler {
        func didBootAsync(_ application: Application) async throws {
            try await Self.check(application)
        }

        static func check(_ application: Application) async throws {
            let mode = application.continuum.driftCheck
            guard mode != .off else { return }
            var drifted: [String] = []
            for id in application.continuum.driftCheckDatabases {
                let database = application.db(id)
                guard let sql = database as? any SQLDatabase else { continue }
                let engine = FluentContinuum.Continuum.engine(for: database)
                let reports: [DriftReport]
                do {
                    reports = try await engine.checkDrift(on: sql)
                } catch {
                    // Before the first migration there is no registry to read: nothing has drifted.
                    database.logger.debug("continuum: drift check skipped (\(String(reflecting: error)))")
                    continue
                }
                for report in reports {
                    database.logger.error("continuum: \(report.description)")
                    drifted.append(report.table)
                }
            }
            if !drifted.isEmpty, mode == .refuseToStart {
                throw VaporContinuumError.drift(tables: drifted)
            }
        }
    }
#endif
