import SQLKit

extension VersioningEngine {
    /// The temporary table holding the literals sealed history had before a type change.
    static let retypeTable = "_continuum_retype"

    /// PostgreSQL, when history has been sealed: locks the seal table for the rest of the
    /// migration's transaction, so that no seal reads a version table between the migration's
    /// lock on it and the record of what its type change did to sealed values (and a seal
    /// already running finishes first). Returns whether the seal table exists.
    func lockSealForMigration(on connection: any SQLDatabase) async throws -> Bool {
        guard try SQLDialectKind(connection) == .postgresql else { return false }
        let exists =
            try await connection.rows(
                generated: "SELECT pg_catalog.to_regclass(\(SQLText.literal(SQLText.identifier(Self.sealTable)))) IS NOT NULL AS \"e\""
            ).first?.decode(column: "e", as: Bool.self) ?? false
        if exists {
            // Patches are written into it as the migrating role: never into another role's table.
            try await self.checkSealOwnership(creating: false, on: connection)
            try await connection.run(generated: "LOCK TABLE \(SQLText.identifier(Self.sealTable)) IN EXCLUSIVE MODE")
        }
        return exists
    }

    /// Before `sync` converts version columns to a new type (PostgreSQL): keeps the sealed
    /// literals of `columns` in a temporary table, with each row's transaction and key. Returns
    /// the columns captured, `nil` when there is nothing sealed to capture.
    func captureSealedLiterals(_ plan: VersioningPlan, columns: [String], on connection: any SQLDatabase) async throws -> [String]? {
        guard !columns.isEmpty, try await self.lockSealForMigration(on: connection) else { return nil }
        let literals = columns.enumerated().map { "\(SQLDialectKind.postgresql.sealLiteral("v." + SQLText.identifier($1))) AS \"c\($0)\"" }
        try await self.withSealSettings(on: connection) {
            try await connection.run(generated: "DROP TABLE IF EXISTS pg_temp.\(SQLText.identifier(Self.retypeTable))")
            try await connection.run(
                generated: """
                    CREATE TEMPORARY TABLE \(SQLText.identifier(Self.retypeTable)) ON COMMIT DROP AS
                    SELECT CAST(v."transaction_id" AS BIGINT) AS "t", \(Self.rowKeyLiteral(plan)) AS "k", \(literals.joined(separator: ", "))
                    FROM \(Self.qualifiedVersionTable(plan)) AS v
                    WHERE v."transaction_id" <= (SELECT max(s."transaction_id") FROM \(SQLText.identifier(Self.sealTable)) AS s)
                    """)
        }
        return columns
    }

    /// After `sync` converted the `captured` columns: records, for every sealed field whose
    /// literal the conversion changed (`numeric(10,2)` to `numeric(10,4)` turns `1.50` into
    /// `1.5000`), the digest it was sealed with and a check of its new literal, as an event
    /// transaction of its own (`continuum.event = retype`, the table and its columns as
    /// `table.column` in its metadata). Returns the event's id, or `nil` when no sealed literal changed.
    func recordRetype(_ captured: [String], _ plan: VersioningPlan, on connection: any SQLDatabase) async throws -> Int? {
        let dialect = SQLDialectKind.postgresql
        let pairs = captured.enumerated().map {
            (before: "r.\"c\($0)\"", after: dialect.sealLiteral("v." + SQLText.identifier($1)))
        }
        let rows = try await self.withSealSettings(on: connection) {
            try await connection.rows(
                generated: """
                    SELECT r."t" AS "t", r."k" AS "k", \(pairs.enumerated().map { "\($1.before) AS \"b\($0)\", \($1.after) AS \"a\($0)\"" }.joined(separator: ", "))
                    FROM pg_temp.\(SQLText.identifier(Self.retypeTable)) AS r
                    JOIN \(Self.qualifiedVersionTable(plan)) AS v ON CAST(v."transaction_id" AS BIGINT) = r."t" AND \(Self.rowKeyLiteral(plan)) = r."k"
                    WHERE \(pairs.map { "\($0.before) IS DISTINCT FROM \($0.after)" }.joined(separator: " OR "))
                    """)
        }
        try await connection.run(generated: "DROP TABLE IF EXISTS pg_temp.\(SQLText.identifier(Self.retypeTable))")
        guard !rows.isEmpty else { return nil }
        let touched = Set(try rows.map { try $0.decode(column: "t", as: Int.self) }).sorted()
        let salts = try await self.sealSalts(touched, on: connection)
        let known = PatchIndex(try await self.sealPatches(concerning: touched, table: plan.versionTable, on: connection))
        let coverage = try await self.sealCoverage(on: connection)
        let event = try await self.eventTransactionID(dialect: dialect, on: connection)
        var patches: [SealPatch] = []
        for row in rows {
            let tx = try row.decode(column: "t", as: Int.self)
            let rowKey = try row.decode(column: "k", as: String.self)
            guard let salt = salts[tx] else { continue }
            for (position, column) in captured.enumerated() {
                let before = try row.decode(column: "b\(position)", as: String.self)
                let after = try row.decode(column: "a\(position)", as: String.self)
                guard before != after else { continue }
                // The name the field was sealed under (a column renamed since keeps its old one).
                let name = coverage.sealedName(plan.versionTable, column, transactionID: tx) ?? column
                // A field that no longer matched its seal stays reported: only a sealed value
                // the conversion rewrote is vouched for.
                let digest = known.fieldDigest(tx, plan.versionTable, rowKey, name, before, salt: salt)
                guard digest != "changed" else { continue }
                patches.append(
                    SealPatch(
                        event: event, transactionID: tx, table: plan.versionTable, rowKey: rowKey, field: name, digest: digest,
                        value: "=" + SealEncoding.field(name, after, salt: salt)))
            }
        }
        // Several tables retyped in one transaction share its event: their names and columns
        // are appended.
        let meta = SQLText.identifier(self.configuration.transactionMetaTable)
        let fields = captured.map { plan.table.name + "." + $0 }.joined(separator: ",")
        for (key, value) in [(Self.eventMetaKey, "retype"), ("continuum.table", plan.table.name), ("continuum.fields", fields)] {
            try await connection.raw(
                """
                INSERT INTO \(unsafeRaw: meta) AS m ("transaction_id", "key", "value") VALUES (\(bind: event), \(bind: key), \(bind: value))
                ON CONFLICT ("transaction_id", "key") DO UPDATE SET "value" = CASE WHEN m."value" = excluded."value" THEN m."value" ELSE m."value" || ',' || excluded."value" END
                """
            ).run()
        }
        try await self.insert(patches, on: connection)
        return event
    }

    /// Runs `body` with the seal's canonical text settings, then gives the transaction back the
    /// settings it had (a type conversion after it must see the session's own time zone).
    private func withSealSettings<R>(on connection: any SQLDatabase, _ body: () async throws -> R) async throws -> R {
        let names = ["TimeZone", "DateStyle", "IntervalStyle", "extra_float_digits", "bytea_output"]
        let saved = try await connection.rows(
            generated: "SELECT " + names.enumerated().map { "current_setting(\(SQLText.literal($1))) AS \"s\($0)\"" }.joined(separator: ", ")
        ).first!
        for statement in SQLDialectKind.postgresql.sealSettings { try await connection.run(generated: statement) }
        let result = try await body()
        for (position, name) in names.enumerated() {
            try await connection.raw("SELECT set_config(\(bind: name), \(bind: try saved.decode(column: "s\(position)", as: String.self)), true)").run()
        }
        return result
    }

    /// A version row's key as the seal writes it: the key columns' literals joined by `,`.
    private static func rowKeyLiteral(_ plan: VersioningPlan) -> String {
        plan.primaryKey.map { SQLDialectKind.postgresql.sealLiteral("v." + SQLText.identifier($0.name)) }.joined(separator: " || ',' || ")
    }

    private static func qualifiedVersionTable(_ plan: VersioningPlan) -> String {
        (plan.table.schema.map { SQLText.identifier($0) + "." } ?? "") + SQLText.identifier(plan.versionTable)
    }
}
