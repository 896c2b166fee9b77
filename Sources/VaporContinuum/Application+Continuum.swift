#if Vapor
    import FluentContinuum
    import NIOConcurrencyHelpers
    import Vapor

    extension Application {
        /// swift-continuum's Vapor integration: who and where a request's changes are recorded as,
        /// each database's versioning configuration, and the drift check at boot.
        ///
        /// ```swift
        /// app.continuum.userID = { req in req.auth.get(User.self)?.id.map(String.init) }
        /// app.continuum.trustedProxies = [try IPNetwork("10.0.0.0/8")]   // a load balancer
        /// app.continuum.driftCheck = .refuseToStart
        /// ```
        public var continuum: Continuum { .init(application: self) }

        /// The facade behind ``Vapor/Application/continuum``; its settings live in the
        /// application's storage and are read by every request.
        public struct Continuum: Sendable {
            /// The application whose settings this facade reads and writes.
            public let application: Application

            /// Maps a request to the acting user's id, recorded as `transaction.user_id` by
            /// ``Vapor/Request/versioned(on:meta:_:)``. Default: `nil` (no user).
            ///
            /// Authentication in Vapor is keyed by type, so the app says where its user is:
            /// ```swift
            /// app.continuum.userID = { req in try req.auth.get(User.self)?.requireID().uuidString }
            /// ```
            /// The id must fit SQLAlchemy-Continuum's column (255 bytes).
            public var userID: @Sendable (Request) async throws -> String? {
                get { self.settings.withLockedValue { $0.userID } }
                nonmutating set { self.settings.withLockedValue { $0.userID = newValue } }
            }

            /// Maps a request to the client address recorded as `transaction.remote_addr`.
            /// Default: ``Vapor/Request/Continuum/clientAddress`` (the socket peer, or the client
            /// named by `X-Forwarded-For` when the peer is one of ``trustedProxies``).
            /// The address must fit the column (50 bytes).
            public var remoteAddress: @Sendable (Request) async throws -> String? {
                get { self.settings.withLockedValue { $0.remoteAddress } }
                nonmutating set { self.settings.withLockedValue { $0.remoteAddress = newValue } }
            }

            /// The networks of the reverse proxies whose `X-Forwarded-For` header is believed.
            /// Default: none, so the header is ignored and the socket peer is recorded (any
            /// client can send the header; Vapor's `req.peerAddress` believes it from anyone).
            ///
            /// The header is read right to left while each hop is in these networks; the first
            /// hop that is not is the client.
            public var trustedProxies: [IPNetwork] {
                get { self.settings.withLockedValue { $0.trustedProxies } }
                nonmutating set { self.settings.withLockedValue { $0.trustedProxies = newValue } }
            }

            /// What the application does at boot about versioned tables whose triggers or version
            /// tables no longer match them (``ContinuumSQL/VersioningEngine/checkDrift(on:)``).
            /// Default: ``DriftCheck/off``. Setting it registers the check once; it runs after
            /// the application boots (after `autoMigrate()` called in `configure`), on each
            /// database of ``driftCheckDatabases``.
            public var driftCheck: DriftCheck {
                get { self.settings.withLockedValue { $0.driftCheck } }
                nonmutating set {
                    let register = self.settings.withLockedValue { settings in
                        settings.driftCheck = newValue
                        defer { settings.driftCheckRegistered = true }
                        return !settings.driftCheckRegistered && newValue != .off
                    }
                    if register { self.application.lifecycle.use(DriftCheckHandler()) }
                }
            }

            /// The databases the drift check reads. Default: `[nil]`, the default database.
            public var driftCheckDatabases: [DatabaseID?] {
                get { self.settings.withLockedValue { $0.driftCheckDatabases } }
                nonmutating set { self.settings.withLockedValue { $0.driftCheckDatabases = newValue } }
            }

            /// Sets the versioning configuration of the database `id` (the default database when
            /// `nil`); the same as ``FluentKit/Databases/configureVersioning(_:on:)`` on
            /// `app.databases`. Call it after `app.databases.use(_:as:)`.
            ///
            /// ```swift
            /// app.databases.use(.postgres(configuration: config), as: .psql)
            /// app.continuum.configureVersioning(.init(transactionTable: "audit_transaction"), on: .psql)
            /// ```
            public func configureVersioning(_ configuration: VersioningConfiguration, on id: DatabaseID? = nil) {
                self.application.databases.configureVersioning(configuration, on: id)
            }

            /// The versioning engine of the database `id` (the default database when `nil`), for
            /// the engine's raw-SQL operations (integrity checks, drift, backfill).
            public func engine(for id: DatabaseID? = nil) -> VersioningEngine {
                FluentContinuum.Continuum.engine(for: self.application.db(id))
            }

            private struct Key: StorageKey, LockKey {
                typealias Value = NIOLockedValueBox<Settings>
            }

            var settings: NIOLockedValueBox<Settings> {
                if let existing = self.application.storage[Key.self] { return existing }
                return self.application.locks.lock(for: Key.self).withLock {
                    if let existing = self.application.storage[Key.self] { return existing }
                    let created = NIOLockedValueBox(Settings())
                    self.application.storage[Key.self] = created
                    return created
                }
            }

            struct Settings: Sendable {
                var userID: @Sendable (Request) async throws -> String? = { _ in nil }
                var remoteAddress: @Sendable (Request) async throws -> String? = { $0.continuum.clientAddress }
                var trustedProxies: [IPNetwork] = []
                var driftCheck: DriftCheck = .off
                var driftCheckRegistered = false
                var driftCheckDatabases: [DatabaseID?] = [nil]
            }
        }
    }
#endif
