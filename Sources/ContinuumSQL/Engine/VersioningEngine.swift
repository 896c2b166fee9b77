import SQLKit

/// The versioning engine: installs the shared schema, enables versioning on tables, follows
/// their schema changes, groups writes into transactions and reads raw history back.
///
/// It works on any SQLKit database backed by SQLite or PostgreSQL and knows nothing of Fluent
/// models (FluentContinuum builds the typed API on top of it).
///
/// ```swift
/// let engine = VersioningEngine()
/// try await engine.install(on: sql)
/// try await engine.enable("article", on: sql)
/// try await engine.versioned(on: sql, userID: "42") { sql in
///     try await sql.raw("UPDATE article SET name = \(bind: "Updated") WHERE id = 1").run()
/// }
/// let history = try await engine.versions(of: "article", key: ["id": 1], on: sql)
/// ```
///
/// Every operation that changes the schema runs atomically on one connection; it may be called
/// inside or outside a transaction the caller opened.
public struct VersioningEngine: Sendable {
    /// Names of the shared tables.
    public let configuration: VersioningConfiguration

    /// The registry entries this engine has read (see ``versions(of:key:on:)``). Shared by
    /// copies of the engine; use one engine per database.
    let registryCache = RegistryCache()

    /// Creates an engine for databases using `configuration`'s table names.
    ///
    /// An engine remembers which tables are versioned and how, so that history reads cost one
    /// query: create one engine per database (FluentContinuum keeps one per configured Fluent
    /// database) rather than one for many databases.
    public init(configuration: VersioningConfiguration = .init()) {
        self.configuration = configuration
    }

    // MARK: Install

    /// Creates the shared schema if it is missing: the `transaction`, `transaction_changes` and
    /// `transaction_meta` tables, the registry of versioned tables, and the per-dialect
    /// machinery (PostgreSQL: the transaction-id function; SQLite: the state row).
    /// Running it again changes nothing. A `transaction` table made by SQLAlchemy-Continuum is
    /// kept and gains the columns the engine needs. With
    /// ``VersioningConfiguration/createsActivityTable`` it also runs ``installActivity(on:)``.
    ///
    /// - Throws: ``ContinuumError/unsupportedDatabase(_:)``, ``ContinuumError/notAnActivityTable(table:)``,
    ///   or the driver's error.
    public func install(on database: any SQLDatabase) async throws {
        try self.configuration.validate()
        let introspector = try Introspector(database)
        try await database.continuumAtomically(introspector.dialect) { connection in
            let introspector = try Introspector(connection)
            let generator = introspector.dialect.dialect(self.configuration, schema: try await introspector.currentSchema())
            var statements = generator.sharedSchema()
            if let existing = try await introspector.describe(self.configuration.transactionTable) {
                // Adopt a transaction log made by SQLAlchemy-Continuum; refuse anything else.
                try self.checkTransactionTable(existing)
                statements.insert(contentsOf: generator.missingTransactionColumns(existing: Set(existing.columns.map(\.name))), at: 1)
            }
            for statement in statements { try await connection.run(generated: statement) }
            // The trigger functions of tables already versioned follow this configuration's
            // rule for actor claims (they create transactions' rows themselves); tables whose
            // triggers an older version generated are left to `sync` (drift reports them).
            let registered = introspector.dialect == .postgresql ? try await RegistryEntry.all(from: connection) : []
            for entry in registered where entry.formatVersion == RegistryEntry.formatVersion {
                let (plan, generator) = try await self.registeredPlan(entry, on: connection)
                for statement in generator.triggerFunctions(plan) { try await connection.run(generated: statement) }
            }
            if self.configuration.createsActivityTable { try await self.installActivityInTransaction(on: connection) }
        }
    }

    /// Whether ``install(on:)`` has run on this database.
    public func isInstalled(on database: any SQLDatabase) async throws -> Bool {
        try await Introspector(database).tableExists(VersioningConfiguration.registryTable)
    }

    private func checkTransactionTable(_ table: TableDescription) throws {
        guard table.primaryKey.map(\.name) == ["id"], table.column(named: "issued_at") != nil else {
            throw ContinuumError.notATransactionLog(table: self.configuration.transactionTable)
        }
    }

    // MARK: Enable, sync, disable

    /// Starts versioning `table`: creates its version table (or adopts an existing one, such as
    /// one SQLAlchemy-Continuum created) with SQLAlchemy-Continuum's shape, installs the
    /// triggers generated from the live table's columns and, unless `backfill` is false, writes
    /// an INSERT version for every row the table already holds (``backfill(_:batchSize:on:progress:)``),
    /// so that history starts from the rows as they were when versioning began. All in one
    /// transaction: no write can slip in between, and an interrupted `enable` leaves nothing
    /// behind (run it again).
    ///
    /// - Parameters:
    ///   - table: The live table. It must exist and have a primary key.
    ///   - options: Excluded columns, version table name, modified-column tracking, entity name.
    ///   - backfill: Whether to version the rows already in the table (default `true`). Without
    ///     it, the first change of an existing row is recorded as an UPDATE whose previous state
    ///     is nowhere, and ``verify(_:on:)`` reports every such row until it is backfilled.
    ///   - progress: Called after each backfill batch of ``defaultBackfillBatchSize`` rows.
    /// - Throws: ``ContinuumError/schemaNotInstalled``, ``ContinuumError/tableNotFound(_:)``,
    ///   ``ContinuumError/noPrimaryKey(table:)``, ``ContinuumError/alreadyVersioned(_:)``,
    ///   ``ContinuumError/unsupportedTable(_:kind:)`` for views and virtual tables,
    ///   ``ContinuumError/unknownColumn(table:column:)``, ``ContinuumError/primaryKeyExcluded(table:column:)``,
    ///   ``ContinuumError/versionTableConflict(table:versionTable:column:)``, and for a plan the
    ///   database cannot hold ``ContinuumError/versionTableNameTooLong(table:versionTable:)``,
    ///   ``ContinuumError/modifiedFlagNameTooLong(table:column:)`` or
    ///   ``ContinuumError/tooManyColumns(table:columns:limit:)``; for an existing table of the
    ///   version table's name, ``ContinuumError/notAVersionTable(table:versionTable:primaryKey:)``
    ///   or ``ContinuumError/versionTableNotOwned(table:versionTable:owner:)``.
    public func enable(
        _ table: String,
        options: TableVersioningOptions = .init(),
        backfill: Bool = true,
        on database: any SQLDatabase,
        progress: (@Sendable (BackfillProgress) async throws -> Void)? = nil
    ) async throws {
        try SQLText.validate(table)
        let dialect = try SQLDialectKind(database)
        defer { self.registryCache.invalidate(table) }
        try await database.continuumAtomically(dialect) { connection in
            let introspector = try Introspector(connection)
            guard try await introspector.describe(VersioningConfiguration.registryTable) != nil else {
                throw ContinuumError.schemaNotInstalled
            }
            if let kind = try await introspector.unsupportedRelationKind(table) { throw ContinuumError.unsupportedTable(table, kind: kind) }
            guard let live = try await introspector.describe(table) else { throw ContinuumError.tableNotFound(table) }
            if try await RegistryEntry.load(table, from: connection) != nil { throw ContinuumError.alreadyVersioned(table) }
            var plan = try VersioningPlan(table: live, options: options, configuration: self.configuration)
            let generator = dialect.dialect(self.configuration, schema: live.schema)
            try generator.validate(plan)
            if let existing = try await introspector.describe(plan.versionTable) {
                try self.checkAdoptable(existing, plan: plan)
                plan.versionTableHasRowid = try await Self.hasRowid(plan.versionTable, on: connection)
                try await self.checkOwnership(plan, on: connection)
                for statement in generator.addMissingColumns(plan, to: existing) + generator.indexes(plan)
                    + [plan.repairChainsStatement(qualifiedVersionTable: generator.qualified(plan.versionTable), dialect: dialect)]
                {
                    try await connection.run(generated: statement)
                }
            } else {
                for statement in generator.createVersionTable(plan) { try await connection.run(generated: statement) }
            }
            for statement in generator.createTriggers(plan) { try await connection.run(generated: statement) }
            try await self.copyRowSecurity(plan, on: connection)
            try await RegistryEntry(plan: plan).save(to: connection)
            if backfill {
                try await self.backfillInTransaction(table, batchSize: Self.defaultBackfillBatchSize, on: connection, progress: progress)
            }
            let large = plan.modifiableColumns.filter { ["BYTEA", "BLOB"].contains($0.type.uppercased()) }.map(\.name)
            if !large.isEmpty {
                connection.logger.warning(
                    "swift-continuum: every version of a row of \"\(table)\" copies the whole row, binary columns \(large.map { "\"\($0)\"" }.joined(separator: ", ")) included: if they hold large values, exclude them (TableVersioningOptions.excludedColumns)"
                )
            }
            if live.reusesKeys {
                connection.logger.warning(
                    "swift-continuum: table \"\(table)\" has an INTEGER PRIMARY KEY without AUTOINCREMENT, so SQLite may reuse a deleted row's key; a row that gets a reused key continues the deleted row's history as a new INSERT version. Declare the key AUTOINCREMENT to keep keys unique."
                )
            }
        }
    }

    /// Brings versioning up to date after a migration changed `table`: new columns are added
    /// to the version table, dropped columns stay there as history (new versions leave them
    /// NULL), renamed columns keep their history under the new name when listed in
    /// `renamedColumns`, and the triggers are regenerated. All in one transaction.
    ///
    /// - Parameters:
    ///   - renamedColumns: Old column name to new column name, for columns the migration renamed.
    ///     Without an entry a renamed column is treated as dropped plus added.
    /// - Throws: ``ContinuumError/tableNotVersioned(_:)``, ``ContinuumError/tableNotFound(_:)``,
    ///   ``ContinuumError/unknownColumn(table:column:)``, ``ContinuumError/primaryKeyChanged(table:)``
    ///   when the primary key changed, ``ContinuumError/versionTableMissing(table:versionTable:)``.
    public func sync(_ table: String, renamedColumns: [String: String] = [:], on database: any SQLDatabase) async throws {
        try SQLText.validate(table)
        let dialect = try SQLDialectKind(database)
        defer { self.registryCache.invalidate(table) }
        let retyped = try await database.continuumAtomically(dialect) { connection in
            try await self.syncInTransaction(table, renamedColumns: renamedColumns, on: connection)
        }
        try await self.sealRetype(retyped, on: database)
    }

    /// Runs a migration that alters a versioned table, then ``sync(_:renamedColumns:on:)``,
    /// in one transaction. Use it for changes both databases refuse while the triggers name a
    /// column (`DROP COLUMN`, and on PostgreSQL `ALTER COLUMN ... TYPE`): the triggers are
    /// dropped before `migration` runs and regenerated after.
    ///
    /// ```swift
    /// try await engine.alter("article", on: sql) { sql in
    ///     try await sql.alter(table: "article").dropColumn("legacy").run()
    /// }
    /// ```
    public func alter(
        _ table: String,
        renamedColumns: [String: String] = [:],
        on database: any SQLDatabase,
        _ migration: @escaping @Sendable (any SQLDatabase) async throws -> Void
    ) async throws {
        let retyped = try await self.alterRecordingRetype(table, renamedColumns: renamedColumns, on: database, migration)
        try await self.sealRetype(retyped, on: database)
    }

    /// ``alter(_:renamedColumns:on:_:)`` without the seal after it: returns the event recording
    /// what a type change did to sealed values, for the caller to seal once its own transaction
    /// (if any) commits.
    package func alterRecordingRetype(
        _ table: String,
        renamedColumns: [String: String],
        on database: any SQLDatabase,
        _ migration: @escaping @Sendable (any SQLDatabase) async throws -> Void
    ) async throws -> Int? {
        try SQLText.validate(table)
        let dialect = try SQLDialectKind(database)
        defer { self.registryCache.invalidate(table) }
        return try await database.continuumAtomically(dialect) { connection in
            guard let entry = try await RegistryEntry.load(table, from: connection) else { throw ContinuumError.tableNotVersioned(table) }
            let (plan, generator) = try await self.registeredPlan(entry, on: connection)
            _ = try await self.lockSealForMigration(on: connection)
            for statement in generator.dropTriggers(plan) { try await connection.run(generated: statement) }
            try await migration(connection)
            return try await self.syncInTransaction(table, renamedColumns: renamedColumns, on: connection)
        }
    }

    /// Stops versioning `table`: drops its triggers and forgets it. With `keepHistory` (the
    /// default) the version table stays, readable with SQL and adopted by a later `enable`
    /// (whose new versions continue each chain), and history already sealed stays sealed:
    /// ``verifySeal(expectedDigest:on:)`` still reads and checks it. Without `keepHistory` the
    /// version table is dropped too; when it held sealed history, the drop is recorded like a
    /// prune (every sealed version row's digest, in a sealed `continuum.event = disable`
    /// transaction), so `verifySeal` stays green.
    ///
    /// - Throws: ``ContinuumError/tableNotVersioned(_:)``.
    public func disable(_ table: String, keepHistory: Bool = true, on database: any SQLDatabase) async throws {
        try SQLText.validate(table)
        let dialect = try SQLDialectKind(database)
        defer { self.registryCache.invalidate(table) }
        if !keepHistory, try await self.holdsSealedHistory(table, on: database) {
            try await self.dropSealedHistory(table, dialect: dialect, on: database)
            return
        }
        try await database.continuumAtomically(dialect) { connection in
            guard let entry = try await RegistryEntry.load(table, from: connection) else { throw ContinuumError.tableNotVersioned(table) }
            try await self.disable(entry, keepHistory: keepHistory, on: connection)
        }
    }

    /// Drops the triggers of `entry` (and its version table unless `keepHistory`) and forgets it.
    func disable(_ entry: RegistryEntry, keepHistory: Bool, on connection: any SQLDatabase) async throws {
        let introspector = try Introspector(connection)
        let (plan, generator) = try await self.registeredPlan(entry, on: connection)
        var statements: [String] = []
        if try await introspector.describe(entry.table) != nil {
            statements += generator.dropTriggers(plan)
        } else {
            statements += generator.dropOrphanedObjects(plan)
        }
        if !keepHistory {
            statements.append(generator.dropVersionTable(plan))
        }
        for statement in statements { try await connection.run(generated: statement) }
        try await RegistryEntry.delete(entry.table, from: connection)
    }

    /// `table` as the database describes it: its columns, primary key and, on SQLite, whether
    /// the database may give a deleted row's key to a new row (``TableDescription/reusesKeys``);
    /// `nil` when it does not exist.
    public func describe(_ table: String, on database: any SQLDatabase) async throws -> TableDescription? {
        try SQLText.validate(table)
        return try await Introspector(database).describe(table)
    }

    /// The tables versioned in this database, with their options.
    public func versionedTables(on database: any SQLDatabase) async throws -> [VersionedTable] {
        guard try await self.isInstalled(on: database) else { return [] }
        return try await RegistryEntry.all(from: database).map {
            VersionedTable(table: $0.table, versionTable: $0.versionTable, entityName: $0.entityName, options: $0.options)
        }
    }

    /// The version table and entity name of a versioned table.
    ///
    /// - Throws: ``ContinuumError/tableNotVersioned(_:)``.
    public func versionedTable(_ table: String, on database: any SQLDatabase) async throws -> VersionedTable {
        let entry = try await RegistryEntry.require(table, from: database)
        return VersionedTable(table: entry.table, versionTable: entry.versionTable, entityName: entry.entityName, options: entry.options)
    }

    // MARK: Internals

    /// Returns the event transaction recording what a type change did to sealed values, if any
    /// (``recordRetype(_:_:on:)``).
    @discardableResult
    func syncInTransaction(_ table: String, renamedColumns: [String: String], on connection: any SQLDatabase) async throws -> Int? {
        let introspector = try Introspector(connection)
        guard let entry = try await RegistryEntry.load(table, from: connection) else { throw ContinuumError.tableNotVersioned(table) }
        guard let live = try await introspector.describe(table) else { throw ContinuumError.tableNotFound(table) }
        // Before any lock on the version table, so that a seal never waits on this migration
        // while holding what the migration then waits for.
        _ = try await self.lockSealForMigration(on: connection)
        for (old, new) in renamedColumns.sorted(by: { $0.key < $1.key }) {
            try SQLText.validate(old)
            guard live.column(named: new) != nil else { throw ContinuumError.unknownColumn(table: table, column: new) }
        }
        let oldKey = entry.keyColumns.map(\.name)
        let newKey = live.primaryKey.map { name in renamedColumns.first { $0.value == name.name }?.key ?? name.name }
        guard oldKey == newKey else {
            throw ContinuumError.primaryKeyChanged(table: table)
        }
        var options = entry.options
        options.excludedColumns = Set(options.excludedColumns.map { renamedColumns[$0] ?? $0 }.filter { live.column(named: $0) != nil })
        var plan = try VersioningPlan(table: live, options: options, configuration: self.configuration)
        let generator = introspector.dialect.dialect(self.configuration, schema: live.schema)
        try generator.validate(plan)
        guard var versionTable = try await introspector.describe(plan.versionTable) else {
            throw ContinuumError.versionTableMissing(table: table, versionTable: plan.versionTable)
        }
        plan.versionTableHasRowid = try await Self.hasRowid(plan.versionTable, on: connection)
        var statements = generator.sharedFunctions() + generator.dropTriggers(plan)
        var renames: [(old: String, new: String)] = []
        for (old, new) in renamedColumns.sorted(by: { $0.key < $1.key }) where versionTable.column(named: old) != nil && versionTable.column(named: new) == nil {
            statements.append(generator.renameVersionColumn(plan, from: old, to: new))
            renames.append((old, new))
            if versionTable.column(named: old + VersioningPlan.modSuffix) != nil && versionTable.column(named: new + VersioningPlan.modSuffix) == nil {
                statements.append(generator.renameVersionColumn(plan, from: old + VersioningPlan.modSuffix, to: new + VersioningPlan.modSuffix))
                renames.append((old + VersioningPlan.modSuffix, new + VersioningPlan.modSuffix))
            }
        }
        // Sealed history keeps the names it was sealed under.
        try await self.recordSealRenames(renames, of: plan.versionTable, on: connection)
        for statement in statements { try await connection.run(generated: statement) }
        versionTable = try await introspector.describe(plan.versionTable) ?? versionTable
        // A column whose type the migration changed (widened, most often): the version column
        // follows, so every value the table now accepts fits its history. When the history
        // cannot be converted (a narrowing the old values do not fit), the version column keeps
        // its type and the values it holds; checkDrift goes on reporting it. Sealed values whose
        // text the conversion changes are recorded, so that verifySeal stays green.
        let retyped = plan.columns.filter {
            guard let stored = versionTable.column(named: $0.name) else { return false }
            return stored.type != $0.type && generator.alterVersionColumnType(plan, $0) != nil
        }
        let captured = try await self.captureSealedLiterals(plan, columns: retyped.map(\.name), on: connection)
        for column in plan.columns {
            guard let stored = versionTable.column(named: column.name), stored.type != column.type,
                let statement = generator.alterVersionColumnType(plan, column)
            else { continue }
            try await connection.run(generated: "SAVEPOINT \"_continuum_type\"")
            do {
                try await connection.run(generated: statement)
                try await connection.run(generated: "RELEASE SAVEPOINT \"_continuum_type\"")
            } catch {
                try await connection.run(generated: "ROLLBACK TO SAVEPOINT \"_continuum_type\"")
                try await connection.run(generated: "RELEASE SAVEPOINT \"_continuum_type\"")
                connection.logger.warning(
                    "swift-continuum: version column \"\(column.name)\" of \"\(plan.versionTable)\" keeps type \(stored.type): its history does not convert to \(column.type)"
                )
            }
        }
        for statement in generator.addMissingColumns(plan, to: versionTable) + generator.createTriggers(plan) {
            try await connection.run(generated: statement)
        }
        try await self.copyRowSecurity(plan, on: connection)
        try await RegistryEntry(plan: plan).save(to: connection)
        guard let captured else { return nil }
        return try await self.recordRetype(captured, plan, on: connection)
    }

    /// Seals the record of a type change right after its migration committed, so that
    /// verifySeal vouches for the rewritten values at once. Inside a transaction of the
    /// caller's (which may record more, or roll back) and when running writers hold the seal
    /// back, the record is left to the next seal; until then verifySeal reports the rewritten
    /// transactions as edited.
    package func sealRetype(_ event: Int?, on database: any SQLDatabase) async throws {
        guard event != nil else { return }
        if try await database.withSession({ try await $0.inTransactionBlock() }) {
            database.logger.notice("swift-continuum: the record of a type change (transaction \(event!)) is sealed by the next seal after this transaction commits")
            return
        }
        do {
            try await self.seal(on: database)
        } catch {
            // The migration has committed: whatever held this seal back, the next one takes it.
            database.logger.warning("swift-continuum: the record of a type change (transaction \(event!)) waits for the next seal: \(String(reflecting: error))")
        }
    }

    /// PostgreSQL: gives the version table the live table's row-level security, so that a role
    /// reading history sees the versions of the rows it may see and no others: RLS enabled as on
    /// the table (never forced), and each policy that governs reads (`FOR SELECT` or `FOR ALL`)
    /// copied as a `FOR SELECT` policy of the same name, roles and `USING` expression. A policy
    /// naming a column the version table lacks (an excluded one) cannot be copied: `enable` and
    /// `sync` then fail with PostgreSQL's error rather than leave history readable past it. The
    /// triggers write as the owner, whom row-level security does not restrict (unless forced).
    func copyRowSecurity(_ plan: VersioningPlan, on connection: any SQLDatabase) async throws {
        guard try SQLDialectKind(connection) == .postgresql, let schema = plan.table.schema else { return }
        let live = SQLText.identifier(schema) + "." + SQLText.identifier(plan.table.name)
        let versionTable = SQLText.identifier(schema) + "." + SQLText.identifier(plan.versionTable)
        guard
            let table = try await connection.raw(
                """
                SELECT c.relrowsecurity AS "enabled" FROM pg_class c WHERE c.oid = CAST(pg_catalog.to_regclass(\(bind: live)) AS oid)
                """
            ).first()
        else { return }
        let enabled = try table.decode(column: "enabled", as: Bool.self)
        let policies = try await connection.raw(
            """
            SELECT p.polname::text AS "name", p.polpermissive AS "permissive", pg_get_expr(p.polqual, p.polrelid) AS "qual",
                   ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)::text) END FROM unnest(p.polroles) AS r)::text[] AS "roles"
            FROM pg_policy p WHERE p.polrelid = CAST(pg_catalog.to_regclass(\(bind: live)) AS oid) AND p.polcmd IN ('r', '*') ORDER BY p.polname
            """
        ).all()
        let existing = try await connection.raw(
            """
            SELECT p.polname::text AS "name" FROM pg_policy p WHERE p.polrelid = CAST(pg_catalog.to_regclass(\(bind: versionTable)) AS oid)
            """
        ).all().map { try $0.decode(column: "name", as: String.self) }
        var statements = existing.map { "DROP POLICY IF EXISTS \(SQLText.identifier($0)) ON \(versionTable)" }
        for policy in policies {
            let name = SQLText.identifier(try policy.decode(column: "name", as: String.self))
            let qual = try policy.decode(column: "qual", as: String?.self) ?? "true"
            let roles = try policy.decode(column: "roles", as: [String].self).joined(separator: ", ")
            let kind = try policy.decode(column: "permissive", as: Bool.self) ? "PERMISSIVE" : "RESTRICTIVE"
            statements.append("CREATE POLICY \(name) ON \(versionTable) AS \(kind) FOR SELECT TO \(roles) USING (\(qual))")
        }
        statements.append("ALTER TABLE \(versionTable) \(enabled ? "ENABLE" : "DISABLE") ROW LEVEL SECURITY")
        // Never forced: the triggers write history as the owner, which a forced policy for
        // reads only would forbid to insert.
        statements.append("ALTER TABLE \(versionTable) NO FORCE ROW LEVEL SECURITY")
        for statement in statements { try await connection.run(generated: statement) }
    }

    /// The plan the registry describes, for dropping what it created.
    func registeredPlan(_ entry: RegistryEntry, on connection: any SQLDatabase) async throws -> (VersioningPlan, any Dialect) {
        let introspector = try Introspector(connection)
        let live = try await introspector.describe(entry.table)
        let schema: String? = if let live { live.schema } else { try await introspector.currentSchema() }
        var table = TableDescription(schema: schema, name: entry.table, columns: entry.columns)
        if let live {
            // What the triggers are generated for besides the columns.
            table.reusesKeys = live.reusesKeys
            table.keyIsRowid = live.keyIsRowid
            table.versionsUpdatesPerStatement = live.versionsUpdatesPerStatement
            table.isPartitioned = live.isPartitioned
        }
        var options = entry.options
        options.excludedColumns = []
        let plan = try VersioningPlan(table: table, options: options, configuration: self.configuration)
        return (plan, introspector.dialect.dialect(self.configuration, schema: schema))
    }

    /// PostgreSQL: refuses to adopt a version table the enabling role does not own (or is not a
    /// direct member of the owner role of; a superuser is no exception): another role that
    /// created it beforehand would keep every right on history.
    private func checkOwnership(_ plan: VersioningPlan, on connection: any SQLDatabase) async throws {
        guard try SQLDialectKind(connection) == .postgresql, let schema = plan.table.schema else { return }
        let name = SQLText.identifier(schema) + "." + SQLText.identifier(plan.versionTable)
        guard
            let row = try await connection.raw(
                """
                SELECT pg_get_userbyid(c.relowner)::text AS "owner",
                       c.relowner = r.oid OR EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid AND m.roleid = c.relowner) AS "owned"
                FROM pg_class c, pg_roles r WHERE c.oid = CAST(pg_catalog.to_regclass(\(bind: name)) AS oid) AND r.rolname = current_user
                """
            ).first(), try !row.decode(column: "owned", as: Bool.self)
        else { return }
        let owner = try row.decode(column: "owner", as: String.self)
        throw ContinuumError.versionTableNotOwned(table: plan.table.name, versionTable: plan.versionTable, owner: owner)
    }

    /// SQLite: whether `table` has a rowid (`WITHOUT ROWID` tables have none); always true on
    /// PostgreSQL, whose triggers do not use it.
    static func hasRowid(_ table: String, on connection: any SQLDatabase) async throws -> Bool {
        guard try SQLDialectKind(connection) == .sqlite else { return true }
        let row = try await connection.raw(
            "SELECT \"wr\" FROM pragma_table_list WHERE \"schema\" = 'main' AND \"name\" = \(bind: table)"
        ).first()
        return try row?.decode(column: "wr", as: Int.self) != 1
    }

    private func checkAdoptable(_ versionTable: TableDescription, plan: VersioningPlan) throws {
        let names = Set(versionTable.columns.map(\.name))
        let needed = plan.primaryKey.map(\.name) + [VersioningPlan.transactionColumn, VersioningPlan.endTransactionColumn, VersioningPlan.operationColumn]
        let key = versionTable.primaryKey.map(\.name)
        guard needed.allSatisfy(names.contains), key == plan.primaryKey.map(\.name) + [VersioningPlan.transactionColumn] else {
            throw ContinuumError.notAVersionTable(table: plan.table.name, versionTable: plan.versionTable, primaryKey: plan.primaryKey.map(\.name))
        }
    }
}

/// A table the engine versions, as the registry records it.
public struct VersionedTable: Sendable, Hashable {
    /// The live table.
    public var table: String
    /// Its version table.
    public var versionTable: String
    /// The name recorded in `transaction_changes`.
    public var entityName: String
    /// The options it was enabled with.
    public var options: TableVersioningOptions
}

extension VersioningEngine {
    /// The SQL ``install(on:)`` runs for a database of `dialect`, without touching a database.
    /// PostgreSQL objects are qualified with `schema`.
    public func sharedSchemaSQL(dialect: SQLDialectKind, schema: String = "public") -> [String] {
        dialect.dialect(self.configuration, schema: schema).sharedSchema()
    }

    /// The SQL ``enable(_:options:backfill:on:progress:)`` runs for `table` (version table, indexes, triggers),
    /// without touching a database, for review. It does not register the table in
    /// `_continuum_tables`: to version a table, call `enable`.
    ///
    /// - Throws: the errors `enable` raises for the same table and options.
    public func versioningSQL(for table: TableDescription, options: TableVersioningOptions = .init(), dialect: SQLDialectKind) throws -> [String] {
        let plan = try VersioningPlan(table: table, options: options, configuration: self.configuration)
        let generator = dialect.dialect(self.configuration, schema: table.schema)
        try generator.validate(plan)
        return generator.createVersionTable(plan) + generator.createTriggers(plan)
    }
}
