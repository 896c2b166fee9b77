import Foundation
import SQLKit

extension VersioningEngine {
    // MARK: Install

    /// Creates the activity feed's table if it is missing: SQLAlchemy-Continuum's ActivityPlugin
    /// table (`id`, `verb`, `data` JSON, `transaction_id`, `object_type`, `object_id`,
    /// `object_tx_id`, `target_type`, `target_id`, `target_tx_id`), named
    /// ``VersioningConfiguration/activityTable``, with indexes on the transaction, the object
    /// and the target. On PostgreSQL it also installs the owner-run function through which
    /// activities are recorded, so the application role needs no rights on the table (grant
    /// reading with ``VersioningConfiguration/readerRole``). Running it again changes nothing;
    /// a table SQLAlchemy-Continuum created is kept. ``install(on:)`` runs it too when
    /// ``VersioningConfiguration/createsActivityTable`` is set.
    ///
    /// - Throws: ``ContinuumError/schemaNotInstalled`` before ``install(on:)``;
    ///   ``ContinuumError/notAnActivityTable(table:)`` when a table of that name is something else.
    public func installActivity(on database: any SQLDatabase) async throws {
        try self.configuration.validate()
        let dialect = try SQLDialectKind(database)
        try await database.continuumAtomically(dialect) { connection in
            let introspector = try Introspector(connection)
            guard try await introspector.tableExists(VersioningConfiguration.registryTable) else { throw ContinuumError.schemaNotInstalled }
            try await self.installActivityInTransaction(on: connection)
        }
    }

    /// ``installActivity(on:)`` in the transaction `install` runs.
    func installActivityInTransaction(on connection: any SQLDatabase) async throws {
        let introspector = try Introspector(connection)
        let table = self.configuration.activityTable
        if let existing = try await introspector.describe(table) {
            let columns = Set(existing.columns.map(\.name))
            let required: Set = ["id", "verb", "data", "transaction_id", "object_type", "object_id", "object_tx_id", "target_type", "target_id", "target_tx_id"]
            guard required.isSubset(of: columns), existing.primaryKey.map(\.name) == ["id"] else {
                throw ContinuumError.notAnActivityTable(table: table)
            }
        }
        let statements: [String]
        switch introspector.dialect {
        case .sqlite: statements = SQLiteDialect(configuration: self.configuration).activitySchema()
        case .postgresql:
            let schema = try await introspector.currentSchema()
            // The shared functions too: renumbering a transaction must renumber its activities,
            // also in a database installed by a release that had no activity table.
            let generator = PostgreSQLDialect(configuration: self.configuration, schema: schema ?? "public")
            statements = generator.sharedFunctions() + generator.activitySchema()
        }
        for statement in statements { try await connection.run(generated: statement) }
    }

    // MARK: Record

    /// Records an activity in the `versioned` scope running on `database`: it belongs to the
    /// scope's transaction (the one of the writes it describes; created now if the scope has
    /// written nothing yet), whose actor is the activity's actor. The object's and target's
    /// versions at the activity (the latest written at or before that transaction) are looked
    /// up once, here, so the feed can show each entity as it was even after later edits.
    ///
    /// ```swift
    /// try await engine.versioned(on: sql, userID: "42") { sql in
    ///     try await sql.raw("UPDATE article SET name = 'Fixed' WHERE id = 1").run()
    ///     try await engine.recordActivity(verb: "update", object: .init(type: "article", id: 1), data: #"{"reason":"typo"}"#, on: sql)
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - verb: What happened (1 to 255 bytes).
    ///   - object: The entity the activity is about, by the entity name of its versioned table.
    ///   - target: The entity the activity was done to or in.
    ///   - data: JSON text stored in `data`.
    ///   - database: The database the scope passed to its body.
    /// - Returns: The activity as recorded (without the actor and time, which the feed reads
    ///   from the transaction log). On PostgreSQL its ``ActivityRecord/objectTransactionID`` and
    ///   ``ActivityRecord/targetTransactionID`` are `nil` for a login that may not read the
    ///   version table (they are history); the stored activity has them.
    /// - Throws: ``ContinuumError/activityOutsideScope`` outside a scope or on another handle;
    ///   ``ContinuumError/invalidActivityVerb``; ``ContinuumError/activityTableMissing(table:)``;
    ///   ``ContinuumError/activityEntityNotVersioned(type:)`` or
    ///   ``ContinuumError/activityKeyUnsupported(type:)`` for an object or target that is not
    ///   versioned or has no single integer key; ``ContinuumError/invalidActivityData`` for `data`
    ///   that is not JSON.
    public func recordActivity(
        verb: String,
        object: ActivityEntity? = nil,
        target: ActivityEntity? = nil,
        data: String? = nil,
        on database: any SQLDatabase
    ) async throws -> ActivityRecord {
        try await self.recordActivity(verb: verb, object: object, target: target, data: data, inTransaction: nil, on: database)
    }

    /// ``recordActivity(verb:object:target:data:on:)``; `inTransaction` is what a Fluent handle
    /// reports (a Fluent scope's own handle is always in its transaction).
    package func recordActivity(
        verb: String,
        object: ActivityEntity?,
        target: ActivityEntity?,
        data: String?,
        inTransaction: Bool?,
        on database: any SQLDatabase
    ) async throws -> ActivityRecord {
        guard !verb.isEmpty, verb.utf8.count <= 255 else { throw ContinuumError.invalidActivityVerb }
        if let data, (try? JSONSerialization.jsonObject(with: Data(data.utf8), options: .fragmentsAllowed)) == nil {
            throw ContinuumError.invalidActivityData
        }
        guard let scope = ScopeState.current else { throw ContinuumError.activityOutsideScope }
        do {
            try await scope.requireOwnConnection(database, inTransaction: inTransaction)
        } catch let error as ContinuumError where error == .scopeOnAnotherConnection {
            throw ContinuumError.activityOutsideScope
        }
        let dialect = try SQLDialectKind(database)
        let introspector = try Introspector(database)
        guard try await introspector.tableExists(self.configuration.activityTable) else {
            throw ContinuumError.activityTableMissing(table: self.configuration.activityTable)
        }
        var record = ActivityRecord(id: 0, verb: verb, data: data, transactionID: 0, object: object, target: target)
        switch dialect {
        case .postgresql:
            // The function checks the entities against the registry (the application role may
            // not read it) and reports what it refused without writing anything.
            let row = try await database.raw(
                """
                SELECT "o_id", "o_transaction_id", "o_object_tx_id", "o_target_tx_id", "o_error" FROM \
                \(ident: VersioningConfiguration.activityFunction)(CAST(\(bind: verb) AS TEXT), CAST(\(bind: data) AS TEXT), \
                CAST(\(bind: object?.type) AS TEXT), CAST(\(bind: object?.id) AS BIGINT), \
                CAST(\(bind: target?.type) AS TEXT), CAST(\(bind: target?.id) AS BIGINT))
                """
            ).first()
            guard let row else { throw ContinuumError.activityOutsideScope }
            if let error = try row.decode(column: "o_error", as: String?.self) {
                let type = (error.hasPrefix("target") ? target?.type : object?.type) ?? ""
                throw error.hasSuffix(":key") ? ContinuumError.activityKeyUnsupported(type: type) : ContinuumError.activityEntityNotVersioned(type: type)
            }
            record.id = try row.decode(column: "o_id", as: Int.self)
            record.transactionID = try row.decode(column: "o_transaction_id", as: Int.self)
            record.objectTransactionID = try row.decode(column: "o_object_tx_id", as: Int?.self)
            record.targetTransactionID = try row.decode(column: "o_target_tx_id", as: Int?.self)
        case .sqlite:
            let entries = (object == nil && target == nil) ? [] : try await RegistryEntry.all(from: database)
            let objectEntry = try object.map { try Self.activityEntry($0, in: entries) }
            let targetEntry = try target.map { try Self.activityEntry($0, in: entries) }
            guard let transactionID = try await SQLiteDialect.currentTransactionID(on: database, configuration: self.configuration) else {
                throw ContinuumError.activityOutsideScope
            }
            func version(_ entity: ActivityEntity?, _ entry: RegistryEntry?) -> SQLQueryString {
                guard let entity, let entry, let key = entry.keyColumns.first else { return "NULL" }
                return """
                    (SELECT max(v."transaction_id") FROM \(ident: entry.versionTable) AS v \
                    WHERE v.\(ident: key.name) = \(bind: entity.id) AND v."transaction_id" <= \(bind: transactionID))
                    """
            }
            let objectVersion = version(object, objectEntry)
            let targetVersion = version(target, targetEntry)
            let row = try await database.raw(
                """
                INSERT INTO \(ident: self.configuration.activityTable) ("verb", "data", "transaction_id", "object_type", "object_id", \
                "object_tx_id", "target_type", "target_id", "target_tx_id") VALUES (\(bind: verb), \(bind: data), \(bind: transactionID), \
                \(bind: objectEntry?.entityName), \(bind: object?.id), \(objectVersion), \
                \(bind: targetEntry?.entityName), \(bind: target?.id), \(targetVersion)) \
                RETURNING "id", "object_tx_id", "target_tx_id"
                """
            ).first()
            guard let row else { throw ContinuumError.activityOutsideScope }
            record.id = try row.decode(column: "id", as: Int.self)
            record.transactionID = transactionID
            record.objectTransactionID = try row.decode(column: "object_tx_id", as: Int?.self)
            record.targetTransactionID = try row.decode(column: "target_tx_id", as: Int?.self)
        }
        return record
    }

    /// SQLite: the versioned table recording `entity`'s type (the first by table name when
    /// several share it), which must have one key column of INTEGER affinity.
    private static func activityEntry(_ entity: ActivityEntity, in entries: [RegistryEntry]) throws -> RegistryEntry {
        guard let entry = entries.sorted(by: { $0.table < $1.table }).first(where: { $0.entityName == entity.type }) else {
            throw ContinuumError.activityEntityNotVersioned(type: entity.type)
        }
        let keys = entry.keyColumns
        guard keys.count == 1 else { throw ContinuumError.activityKeyUnsupported(type: entity.type) }
        // SQLite's rule for INTEGER affinity.
        guard keys[0].type.lowercased().contains("int") else { throw ContinuumError.activityKeyUnsupported(type: entity.type) }
        return entry
    }

    /// The id of the transaction row of the `versioned` scope running on `database`, created
    /// now (with the scope's actor) if the scope has written nothing yet. The id comes from the
    /// database: on SQLite the state row the scope holds under the write lock, on PostgreSQL the
    /// row of the current database transaction (`pg_current_xact_id()`), never from a setting a
    /// session could forge. PostgreSQL needs ``installActivity(on:)`` (its function).
    ///
    /// - Throws: ``ContinuumError/activityOutsideScope`` outside a scope or on another handle.
    package func currentTransactionID(on database: any SQLDatabase) async throws -> Int {
        guard let scope = ScopeState.current else { throw ContinuumError.activityOutsideScope }
        try await scope.requireOwnConnection(database)
        switch try SQLDialectKind(database) {
        case .sqlite:
            guard let id = try await SQLiteDialect.currentTransactionID(on: database, configuration: self.configuration) else {
                throw ContinuumError.activityOutsideScope
            }
            return id
        case .postgresql:
            let row = try await database.raw("SELECT \(ident: VersioningConfiguration.currentTransactionFunction)() AS \"id\"").first()
            return try row!.decode(column: "id", as: Int.self)
        }
    }

    // MARK: Read

    /// The activities that match `filter`, newest first, each with its actor and time from the
    /// transaction log; at most `limit` of them. One query.
    ///
    /// ```swift
    /// let feed = try await engine.activities(matching: .init(involving: .init(type: "Article", id: 1)), limit: 20, on: sql)
    /// ```
    ///
    /// - Throws: ``ContinuumError/activityTableMissing(table:)``; the driver's errors.
    public func activities(matching filter: ActivityFilter = .init(), limit: Int = 50, on database: any SQLDatabase) async throws -> [ActivityRecord] {
        guard try await Introspector(database).tableExists(self.configuration.activityTable) else {
            throw ContinuumError.activityTableMissing(table: self.configuration.activityTable)
        }
        var query: SQLQueryString = """
            SELECT a."id", a."verb", CAST(a."data" AS TEXT) AS "data", a."transaction_id", a."object_type", a."object_id", \
            a."object_tx_id", a."target_type", a."target_id", a."target_tx_id", t."user_id", t."issued_at" \
            FROM \(ident: self.configuration.activityTable) AS a \
            LEFT JOIN \(ident: self.configuration.transactionTable) AS t ON t."id" = a."transaction_id" WHERE 1 = 1
            """
        func matches(_ side: String, _ entity: ActivityEntity) -> SQLQueryString {
            "(a.\(ident: side + "_type") = \(bind: entity.type) AND a.\(ident: side + "_id") = \(bind: entity.id))"
        }
        if let userID = filter.userID { query = query + " AND t.\"user_id\" = \(bind: userID)" }
        if let verb = filter.verb { query = query + " AND a.\"verb\" = \(bind: verb)" }
        if let object = filter.object { query = query + " AND " + matches("object", object) }
        if let target = filter.target { query = query + " AND " + matches("target", target) }
        if let entity = filter.involving { query = query + " AND (" + matches("object", entity) + " OR " + matches("target", entity) + ")" }
        if let before = filter.before { query = query + " AND a.\"id\" < \(bind: before)" }
        query = query + " ORDER BY a.\"id\" DESC LIMIT \(bind: max(0, limit))"
        return try await database.raw(query).all().map { row in
            func entity(_ side: String) throws -> ActivityEntity? {
                guard let type = try row.decode(column: side + "_type", as: String?.self),
                    let id = try row.decode(column: side + "_id", as: Int?.self)
                else { return nil }
                return ActivityEntity(type: type, id: id)
            }
            return ActivityRecord(
                id: try row.decode(column: "id", as: Int.self),
                verb: try row.decode(column: "verb", as: String?.self),
                data: try row.decode(column: "data", as: String?.self),
                transactionID: try row.decode(column: "transaction_id", as: Int.self),
                userID: try row.decode(column: "user_id", as: String?.self),
                issuedAt: try Self.decodeTimestamp(row, column: "issued_at"),
                object: try entity("object"),
                objectTransactionID: try row.decode(column: "object_tx_id", as: Int?.self),
                target: try entity("target"),
                targetTransactionID: try row.decode(column: "target_tx_id", as: Int?.self)
            )
        }
    }

    /// One activity, or `nil` when there is none with this id.
    ///
    /// - Throws: ``ContinuumError/activityTableMissing(table:)``; the driver's errors.
    public func activity(id: Int, on database: any SQLDatabase) async throws -> ActivityRecord? {
        try await self.activities(matching: .init(before: id + 1), limit: 1, on: database).first { $0.id == id }
    }
}
