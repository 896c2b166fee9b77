import Foundation

/// An error raised by the versioning engine.
///
/// Each error says what went wrong and what to do about it. Errors never carry row values,
/// because history can hold sensitive data; they name tables and columns only. Errors raised
/// by the database driver are rethrown unchanged, never wrapped.
///
/// Compare errors with `==` against the static constructors, or match their ``code``:
/// ```swift
/// do { try await engine.enable("log", on: db) }
/// catch let error as ContinuumError where error == .noPrimaryKey(table: "log") { ... }
///
/// catch let error as ContinuumError {
///     switch error.code {
///     case .tableNotFound, .noPrimaryKey: ...
///     default: throw error
///     }
/// }
/// ```
public struct ContinuumError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Reason: Sendable, Equatable {
        case unsupportedDatabase(String)
        case tableNotFound(String)
        case noPrimaryKey(String)
        case tableNotVersioned(String)
        case alreadyVersioned(String)
        case schemaNotInstalled
        case invalidIdentifier(String)
        case invalidOption(String)
        case invalidPrimaryKey(table: String, expected: [String])
        case unknownColumn(table: String, column: String)
        case versionTableConflict(table: String, versionTable: String, column: String)
        case unexpectedSchema(String)
        case unsupportedTable(table: String, kind: String)
        case keyReused(table: String, deletedIn: Int, reusedIn: Int)
        case scopeOnAnotherConnection
        case userIDTooLong
        case remoteAddressTooLong
        case invalidMetaKey
        case primaryKeyExcluded(table: String, column: String)
        case versionTableSameAsTable(String)
        case invalidEntityName(table: String)
        case primaryKeyChanged(table: String)
        case versionTableNameTooLong(table: String, versionTable: String)
        case modifiedFlagNameTooLong(table: String, column: String)
        case tooManyColumns(table: String, columns: Int, limit: Int)
        case invalidBatchSize(Int)
        case versionTableMismatch(table: String, modelVersionTable: String, versionTable: String)
        case idRequired(model: String)
        case unsupportedNestedValue
        case versionsQueryHasJoins(table: String)
        case fieldNotVersioned(table: String, field: String)
        case modifiedFieldsNotTracked(table: String)
        case unknownOperation(table: String, operationType: Int)
        case noCurrentSchema
        case notATransactionLog(table: String)
        case versionTableMissing(table: String, versionTable: String)
        case versionTableNotOwned(table: String, versionTable: String, owner: String)
        case notAVersionTable(table: String, versionTable: String, primaryKey: [String])
        case transactionIDMissing(transactionTable: String)
        case transactionNotFound(Int)
        case asOfQueryIsReadOnly
        case unsupportedAsOfJoin
        case asOfTableInOtherSchema(table: String, schema: String)
        case modelInOtherSchema(model: String, schema: String)
        case foreignKeyMismatch(child: String, parent: String, columns: Int, keyColumns: Int)
        case revertConflicts(transaction: Int, conflicts: Int)
        case revertCollision(table: String)
        case parentVersionMissing(model: String, parent: String, transaction: Int)
        case deleteVersionHasNoValues(model: String)
        case activityOutsideScope
        case activityTableMissing(table: String)
        case activityEntityNotVersioned(type: String)
        case activityKeyUnsupported(type: String)
        case invalidActivityVerb
        case notAnActivityTable(table: String)
        case invalidActivityData
        case sealBlockedByWriters(seconds: Int)
        case sealTableNotOwned(table: String, owner: String, logOwner: String)
        case cannotRedactColumn(table: String, column: String, reason: String)
        case pruneRuleMissing
        case invalidKeepLast(Int)
        case redactionKeyNotFound(table: String)
        case redactionFieldsMissing(table: String)
    }

    private let reason: Reason

    private init(_ reason: Reason) { self.reason = reason }

    // MARK: Databases and tables

    /// The database is neither SQLite nor PostgreSQL.
    public static func unsupportedDatabase(_ dialect: String) -> Self { .init(.unsupportedDatabase(dialect)) }
    /// The table does not exist in the database.
    public static func tableNotFound(_ table: String) -> Self { .init(.tableNotFound(table)) }
    /// The table has no primary key, so its rows have no identity to version.
    public static func noPrimaryKey(table: String) -> Self { .init(.noPrimaryKey(table)) }
    /// The table has not been enabled for versioning.
    public static func tableNotVersioned(_ table: String) -> Self { .init(.tableNotVersioned(table)) }
    /// The table is already versioned; `enable` was called twice.
    public static func alreadyVersioned(_ table: String) -> Self { .init(.alreadyVersioned(table)) }
    /// The shared schema (transaction table and friends) is missing.
    public static var schemaNotInstalled: Self { .init(.schemaNotInstalled) }
    /// A table or column name that no database accepts (empty, or holding a NUL character).
    public static func invalidIdentifier(_ name: String) -> Self { .init(.invalidIdentifier(name)) }
    /// The relation is not a plain table (a view, a materialized view, a foreign table or an
    /// SQLite virtual table): only plain tables are versioned.
    public static func unsupportedTable(_ table: String, kind: String) -> Self { .init(.unsupportedTable(table: table, kind: kind)) }
    /// PostgreSQL reports no current schema (`current_schema()` is NULL): the `search_path`
    /// names no existing schema, so the engine does not know where its tables go.
    public static var noCurrentSchema: Self { .init(.noCurrentSchema) }

    // MARK: Options

    /// A column named in an option or a rename does not exist (for a model: the model has no
    /// such field).
    public static func unknownColumn(table: String, column: String) -> Self { .init(.unknownColumn(table: table, column: column)) }
    /// A live column's name collides with a column the version table reserves.
    public static func versionTableConflict(table: String, versionTable: String, column: String) -> Self {
        .init(.versionTableConflict(table: table, versionTable: versionTable, column: column))
    }
    /// A primary-key column was listed in `excludedColumns`: versions are keyed by the primary
    /// key, so every key column is versioned.
    public static func primaryKeyExcluded(table: String, column: String) -> Self { .init(.primaryKeyExcluded(table: table, column: column)) }
    /// The chosen `versionTableName` is the versioned table's own name.
    public static func versionTableSameAsTable(_ table: String) -> Self { .init(.versionTableSameAsTable(table)) }
    /// The entity name recorded in `transaction_changes` is empty or longer than 255 bytes.
    public static func invalidEntityName(table: String) -> Self { .init(.invalidEntityName(table: table)) }
    /// PostgreSQL: the version table's name would be longer than the 63 bytes PostgreSQL keeps
    /// of a name (it would silently cut it).
    public static func versionTableNameTooLong(table: String, versionTable: String) -> Self {
        .init(.versionTableNameTooLong(table: table, versionTable: versionTable))
    }
    /// PostgreSQL: the modified flag (`<column>_mod`) of a column would be longer than the 63
    /// bytes PostgreSQL keeps of a name.
    public static func modifiedFlagNameTooLong(table: String, column: String) -> Self {
        .init(.modifiedFlagNameTooLong(table: table, column: column))
    }
    /// The version table would have more columns (`columns`, counting the bookkeeping columns and
    /// modified flags) than the database allows in a table (`limit`: PostgreSQL 1,600, SQLite 2,000).
    public static func tooManyColumns(table: String, columns: Int, limit: Int) -> Self {
        .init(.tooManyColumns(table: table, columns: columns, limit: limit))
    }
    /// A backfill batch size below 1.
    public static func invalidBatchSize(_ batchSize: Int) -> Self { .init(.invalidBatchSize(batchSize)) }

    // MARK: Schema changes

    /// `sync` found that the table's primary key changed since versioning was enabled; history
    /// is keyed by it, so it cannot follow.
    public static func primaryKeyChanged(table: String) -> Self { .init(.primaryKeyChanged(table: table)) }
    /// `sync` found the table registered as versioned but its version table gone.
    public static func versionTableMissing(table: String, versionTable: String) -> Self {
        .init(.versionTableMissing(table: table, versionTable: versionTable))
    }
    /// A table with the version table's name exists but is not a version table of `table`: it
    /// lacks the key (`primaryKey` followed by `transaction_id`) or the bookkeeping columns.
    public static func notAVersionTable(table: String, versionTable: String, primaryKey: [String]) -> Self {
        .init(.notAVersionTable(table: table, versionTable: versionTable, primaryKey: primaryKey))
    }
    /// PostgreSQL: the version table exists but belongs to another role (`owner`), which would
    /// keep every right on history; `enable` refuses to adopt it.
    public static func versionTableNotOwned(table: String, versionTable: String, owner: String) -> Self {
        .init(.versionTableNotOwned(table: table, versionTable: versionTable, owner: owner))
    }
    /// A table with the transaction log's name exists but is not a transaction log (it lacks
    /// the primary key `id` or the column `issued_at`).
    public static func notATransactionLog(table: String) -> Self { .init(.notATransactionLog(table: table)) }

    // MARK: Scopes

    /// A `versioned` scope was opened inside another one on a different database handle (the
    /// outer `db` or `req.db` instead of the one the outer scope passed to its body). Its writes
    /// would run on another connection, outside the outer scope's transaction, so nothing ran.
    public static var scopeOnAnotherConnection: Self { .init(.scopeOnAnotherConnection) }
    /// A scope's user id is longer than the 255 bytes the `user_id` column holds.
    public static var userIDTooLong: Self { .init(.userIDTooLong) }
    /// A scope's remote address is longer than the 50 bytes the `remote_addr` column holds.
    public static var remoteAddressTooLong: Self { .init(.remoteAddressTooLong) }
    /// A scope's meta key is empty or longer than the 255 bytes a `transaction_meta` key holds.
    public static var invalidMetaKey: Self { .init(.invalidMetaKey) }
    /// The transaction log returned no id for the transaction a backfill records.
    public static func transactionIDMissing(transactionTable: String) -> Self { .init(.transactionIDMissing(transactionTable: transactionTable)) }

    // MARK: History reads and revert

    /// A primary key given to a history read does not name exactly the table's key columns.
    public static func invalidPrimaryKey(table: String, expected: [String]) -> Self {
        .init(.invalidPrimaryKey(table: table, expected: expected))
    }
    /// A version row holds an `operation_type` other than 0 (INSERT), 1 (UPDATE) or 2 (DELETE).
    public static func unknownOperation(table: String, operationType: Int) -> Self {
        .init(.unknownOperation(table: table, operationType: operationType))
    }
    /// The transaction a version names is missing from the transaction log.
    public static func transactionNotFound(_ transactionID: Int) -> Self { .init(.transactionNotFound(transactionID)) }
    /// The version to revert belongs to a row that was deleted (in transaction `deletedIn`) and
    /// whose key the database then gave to a new, unrelated row (inserted in `reusedIn`): SQLite
    /// reuses the largest deleted key of an `INTEGER PRIMARY KEY` declared without
    /// `AUTOINCREMENT`. Writing the version back would overwrite that row.
    public static func keyReused(table: String, deletedIn: Int, reusedIn: Int) -> Self {
        .init(.keyReused(table: table, deletedIn: deletedIn, reusedIn: reusedIn))
    }

    /// Reverting transaction `transaction` under ``RevertConflictPolicy/fail`` found `conflicts`
    /// rows that later transactions changed again; nothing was reverted.
    public static func revertConflicts(transaction: Int, conflicts: Int) -> Self {
        .init(.revertConflicts(transaction: transaction, conflicts: conflicts))
    }
    /// Reverting with relations would write a row of `table` that a constraint refuses now: a
    /// UNIQUE value another row has taken, a reference to a row that is gone. Nothing was written.
    public static func revertCollision(table: String) -> Self { .init(.revertCollision(table: table)) }
    /// Reverting an entity (`model`, an entity name) with its parent (`parent`) found no version
    /// of the parent valid at `transaction`, the version's point: there is nothing to restore it
    /// to. Nothing was written.
    public static func parentVersionMissing(model: String, parent: String, transaction: Int) -> Self {
        .init(.parentVersionMissing(model: model, parent: parent, transaction: transaction))
    }
    /// Reverting a DELETE version of `model` (an entity name) with its relations: a deletion has
    /// no values to restore; revert to the version before it.
    public static func deleteVersionHasNoValues(model: String) -> Self { .init(.deleteVersionHasNoValues(model: model)) }

    // MARK: Activities

    /// An activity was recorded outside a `versioned` scope (or on another handle than the
    /// scope's): it has no transaction to belong to.
    public static var activityOutsideScope: Self { .init(.activityOutsideScope) }
    /// The activity table `table` does not exist in this database.
    public static func activityTableMissing(table: String) -> Self { .init(.activityTableMissing(table: table)) }
    /// An activity's object or target of entity name `type` belongs to no versioned table, so
    /// its version at the activity could never be read.
    public static func activityEntityNotVersioned(type: String) -> Self { .init(.activityEntityNotVersioned(type: type)) }
    /// An activity's object or target of entity name `type` has a composite or non-integer
    /// primary key: the activity table stores one integer id (`object_id BIGINT`), as
    /// SQLAlchemy-Continuum does.
    public static func activityKeyUnsupported(type: String) -> Self { .init(.activityKeyUnsupported(type: type)) }
    /// An activity's verb is empty or longer than 255 bytes (`verb VARCHAR(255)`).
    public static var invalidActivityVerb: Self { .init(.invalidActivityVerb) }
    /// A table named like the activity table exists but lacks the ActivityPlugin's columns or
    /// its `id` primary key: it is the application's own table.
    public static func notAnActivityTable(table: String) -> Self { .init(.notAnActivityTable(table: table)) }
    /// An activity's data is not JSON text.
    public static var invalidActivityData: Self { .init(.invalidActivityData) }
    // MARK: Seal, redact, prune

    /// PostgreSQL: a database transaction that was running when the seal began was still running
    /// after `seconds`, so the transactions it may yet commit cannot be ordered: nothing new was sealed.
    public static func sealBlockedByWriters(seconds: Int) -> Self { .init(.sealBlockedByWriters(seconds: seconds)) }
    /// PostgreSQL: a seal table belongs (or, created by this call, would belong) to `owner`, not
    /// to `logOwner`, the owner of the transaction log: a role that created it beforehand would
    /// keep every right on the seals, and its triggers on them would run as the sealing role.
    public static func sealTableNotOwned(table: String, owner: String, logOwner: String) -> Self {
        .init(.sealTableNotOwned(table: table, owner: owner, logOwner: logOwner))
    }
    /// A column cannot be redacted: it is part of the primary key, not versioned, or NOT NULL in the live table.
    public static func cannotRedactColumn(table: String, column: String, reason: String) -> Self {
        .init(.cannotRedactColumn(table: table, column: column, reason: reason))
    }
    /// A prune was asked for without a rule: give an age, a number of versions to keep, or both.
    public static var pruneRuleMissing: Self { .init(.pruneRuleMissing) }
    /// A prune was asked to keep fewer than one version per row.
    public static func invalidKeepLast(_ count: Int) -> Self { .init(.invalidKeepLast(count)) }
    /// A redaction by key found no live row and no version with that key: nothing was redacted.
    public static func redactionKeyNotFound(table: String) -> Self { .init(.redactionKeyNotFound(table: table)) }
    /// A redaction was asked for without a field to erase.
    public static func redactionFieldsMissing(table: String) -> Self { .init(.redactionFieldsMissing(table: table)) }

    // MARK: Models

    /// A model reads versions from `modelVersionTable` (its `versionTableName`), but its table
    /// is versioned into `versionTable`.
    public static func versionTableMismatch(table: String, modelVersionTable: String, versionTable: String) -> Self {
        .init(.versionTableMismatch(table: table, modelVersionTable: modelVersionTable, versionTable: versionTable))
    }
    /// The model has no id yet (it was never saved), so it has no history.
    public static func idRequired(model: String) -> Self { .init(.idRequired(model: model)) }
    /// A field value that is a nested array or dictionary input, which cannot be written to or
    /// compared in a column.
    public static var unsupportedNestedValue: Self { .init(.unsupportedNestedValue) }
    /// A `versions()` query with joins: versions are read from the model's version table alone.
    public static func versionsQueryHasJoins(table: String) -> Self { .init(.versionsQueryHasJoins(table: table)) }
    /// A field named in a history read (a filter, a sort, a changeset or modified-field lookup)
    /// is excluded from versioning, so its version table has no such column.
    public static func fieldNotVersioned(table: String, field: String) -> Self { .init(.fieldNotVersioned(table: table, field: field)) }
    /// A modified-field lookup on a model whose `versioningOptions` do not track modified
    /// fields (`tracksModifiedFields` is off), so there are no `_mod` flags to read.
    public static func modifiedFieldsNotTracked(table: String) -> Self { .init(.modifiedFieldsNotTracked(table: table)) }

    // MARK: Reads at a point in time

    /// A write (or a schema change) through an as-of query builder, which only reads history.
    public static var asOfQueryIsReadOnly: Self { .init(.asOfQueryIsReadOnly) }
    /// An as-of query with a custom join, whose tables cannot be read at the point.
    public static var unsupportedAsOfJoin: Self { .init(.unsupportedAsOfJoin) }
    /// An as-of query reading a table of another schema (a model with a `space`).
    public static func asOfTableInOtherSchema(table: String, schema: String) -> Self {
        .init(.asOfTableInOtherSchema(table: table, schema: schema))
    }
    /// A model with a `space` (a PostgreSQL schema): history lives in the schema the
    /// database's connections work in.
    public static func modelInOtherSchema(model: String, schema: String) -> Self {
        .init(.modelInOtherSchema(model: model, schema: schema))
    }
    /// A relation read whose child model (`child`) references `parent` through `columns`
    /// foreign-key columns while `parent`'s key has `keyColumns`: use the composite relation
    /// property wrappers for a composite key.
    public static func foreignKeyMismatch(child: String, parent: String, columns: Int, keyColumns: Int) -> Self {
        .init(.foreignKeyMismatch(child: child, parent: parent, columns: columns, keyColumns: keyColumns))
    }

    // MARK: Deprecated

    /// An option that cannot be honoured; the message says which and why.
    @available(*, deprecated, message: "match the specific case (its `code`) instead; the engine no longer throws this one")
    public static func invalidOption(_ message: String) -> Self { .init(.invalidOption(message)) }
    /// A table the engine owns exists with a shape it cannot work with.
    @available(*, deprecated, message: "match the specific case (its `code`) instead; the engine no longer throws this one")
    public static func unexpectedSchema(_ message: String) -> Self { .init(.unexpectedSchema(message)) }

    // MARK: Codes

    /// What kind of failure an error is, stable across releases: match it to handle a kind of
    /// failure whatever its parameters.
    ///
    /// ```swift
    /// catch let error as ContinuumError where error.code == .tableNotVersioned { ... }
    /// ```
    /// The raw value is the name of the static constructor (`"tableNotVersioned"`).
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The code's name, the name of the error's static constructor.
        public let rawValue: String

        /// A code with the given name.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The code's name.
        public var description: String { self.rawValue }

        /// ``ContinuumError/unsupportedDatabase(_:)``.
        public static let unsupportedDatabase = Code(rawValue: "unsupportedDatabase")
        /// ``ContinuumError/tableNotFound(_:)``.
        public static let tableNotFound = Code(rawValue: "tableNotFound")
        /// ``ContinuumError/noPrimaryKey(table:)``.
        public static let noPrimaryKey = Code(rawValue: "noPrimaryKey")
        /// ``ContinuumError/tableNotVersioned(_:)``.
        public static let tableNotVersioned = Code(rawValue: "tableNotVersioned")
        /// ``ContinuumError/alreadyVersioned(_:)``.
        public static let alreadyVersioned = Code(rawValue: "alreadyVersioned")
        /// ``ContinuumError/schemaNotInstalled``.
        public static let schemaNotInstalled = Code(rawValue: "schemaNotInstalled")
        /// ``ContinuumError/invalidIdentifier(_:)``.
        public static let invalidIdentifier = Code(rawValue: "invalidIdentifier")
        /// ``ContinuumError/unsupportedTable(_:kind:)``.
        public static let unsupportedTable = Code(rawValue: "unsupportedTable")
        /// ``ContinuumError/noCurrentSchema``.
        public static let noCurrentSchema = Code(rawValue: "noCurrentSchema")
        /// ``ContinuumError/unknownColumn(table:column:)``.
        public static let unknownColumn = Code(rawValue: "unknownColumn")
        /// ``ContinuumError/versionTableConflict(table:versionTable:column:)``.
        public static let versionTableConflict = Code(rawValue: "versionTableConflict")
        /// ``ContinuumError/primaryKeyExcluded(table:column:)``.
        public static let primaryKeyExcluded = Code(rawValue: "primaryKeyExcluded")
        /// ``ContinuumError/versionTableSameAsTable(_:)``.
        public static let versionTableSameAsTable = Code(rawValue: "versionTableSameAsTable")
        /// ``ContinuumError/invalidEntityName(table:)``.
        public static let invalidEntityName = Code(rawValue: "invalidEntityName")
        /// ``ContinuumError/versionTableNameTooLong(table:versionTable:)``.
        public static let versionTableNameTooLong = Code(rawValue: "versionTableNameTooLong")
        /// ``ContinuumError/modifiedFlagNameTooLong(table:column:)``.
        public static let modifiedFlagNameTooLong = Code(rawValue: "modifiedFlagNameTooLong")
        /// ``ContinuumError/tooManyColumns(table:columns:limit:)``.
        public static let tooManyColumns = Code(rawValue: "tooManyColumns")
        /// ``ContinuumError/invalidBatchSize(_:)``.
        public static let invalidBatchSize = Code(rawValue: "invalidBatchSize")
        /// ``ContinuumError/primaryKeyChanged(table:)``.
        public static let primaryKeyChanged = Code(rawValue: "primaryKeyChanged")
        /// ``ContinuumError/versionTableMissing(table:versionTable:)``.
        public static let versionTableMissing = Code(rawValue: "versionTableMissing")
        /// ``ContinuumError/notAVersionTable(table:versionTable:primaryKey:)``.
        public static let notAVersionTable = Code(rawValue: "notAVersionTable")
        /// ``ContinuumError/versionTableNotOwned(table:versionTable:owner:)``.
        public static let versionTableNotOwned = Code(rawValue: "versionTableNotOwned")
        /// ``ContinuumError/notATransactionLog(table:)``.
        public static let notATransactionLog = Code(rawValue: "notATransactionLog")
        /// ``ContinuumError/scopeOnAnotherConnection``.
        public static let scopeOnAnotherConnection = Code(rawValue: "scopeOnAnotherConnection")
        /// ``ContinuumError/userIDTooLong``.
        public static let userIDTooLong = Code(rawValue: "userIDTooLong")
        /// ``ContinuumError/remoteAddressTooLong``.
        public static let remoteAddressTooLong = Code(rawValue: "remoteAddressTooLong")
        /// ``ContinuumError/invalidMetaKey``.
        public static let invalidMetaKey = Code(rawValue: "invalidMetaKey")
        /// ``ContinuumError/transactionIDMissing(transactionTable:)``.
        public static let transactionIDMissing = Code(rawValue: "transactionIDMissing")
        /// ``ContinuumError/invalidPrimaryKey(table:expected:)``.
        public static let invalidPrimaryKey = Code(rawValue: "invalidPrimaryKey")
        /// ``ContinuumError/unknownOperation(table:operationType:)``.
        public static let unknownOperation = Code(rawValue: "unknownOperation")
        /// ``ContinuumError/transactionNotFound(_:)``.
        public static let transactionNotFound = Code(rawValue: "transactionNotFound")
        /// ``ContinuumError/keyReused(table:deletedIn:reusedIn:)``.
        public static let keyReused = Code(rawValue: "keyReused")
        /// ``ContinuumError/versionTableMismatch(table:modelVersionTable:versionTable:)``.
        public static let versionTableMismatch = Code(rawValue: "versionTableMismatch")
        /// ``ContinuumError/idRequired(model:)``.
        public static let idRequired = Code(rawValue: "idRequired")
        /// ``ContinuumError/unsupportedNestedValue``.
        public static let unsupportedNestedValue = Code(rawValue: "unsupportedNestedValue")
        /// ``ContinuumError/versionsQueryHasJoins(table:)``.
        public static let versionsQueryHasJoins = Code(rawValue: "versionsQueryHasJoins")
        /// ``ContinuumError/fieldNotVersioned(table:field:)``.
        public static let fieldNotVersioned = Code(rawValue: "fieldNotVersioned")
        /// ``ContinuumError/modifiedFieldsNotTracked(table:)``.
        public static let modifiedFieldsNotTracked = Code(rawValue: "modifiedFieldsNotTracked")
        /// ``ContinuumError/asOfQueryIsReadOnly``.
        public static let asOfQueryIsReadOnly = Code(rawValue: "asOfQueryIsReadOnly")
        /// ``ContinuumError/unsupportedAsOfJoin``.
        public static let unsupportedAsOfJoin = Code(rawValue: "unsupportedAsOfJoin")
        /// ``ContinuumError/asOfTableInOtherSchema(table:schema:)``.
        public static let asOfTableInOtherSchema = Code(rawValue: "asOfTableInOtherSchema")
        /// ``ContinuumError/modelInOtherSchema(model:schema:)``.
        public static let modelInOtherSchema = Code(rawValue: "modelInOtherSchema")
        /// ``ContinuumError/foreignKeyMismatch(child:parent:columns:keyColumns:)``.
        public static let foreignKeyMismatch = Code(rawValue: "foreignKeyMismatch")
        /// ``ContinuumError/revertConflicts(transaction:conflicts:)``.
        public static let revertConflicts = Code(rawValue: "revertConflicts")
        /// ``ContinuumError/revertCollision(table:)``.
        public static let revertCollision = Code(rawValue: "revertCollision")
        /// ``ContinuumError/parentVersionMissing(model:parent:transaction:)``.
        public static let parentVersionMissing = Code(rawValue: "parentVersionMissing")
        /// ``ContinuumError/deleteVersionHasNoValues(model:)``.
        public static let deleteVersionHasNoValues = Code(rawValue: "deleteVersionHasNoValues")
        /// ``ContinuumError/activityOutsideScope``.
        public static let activityOutsideScope = Code(rawValue: "activityOutsideScope")
        /// ``ContinuumError/activityTableMissing(table:)``.
        public static let activityTableMissing = Code(rawValue: "activityTableMissing")
        /// ``ContinuumError/activityEntityNotVersioned(type:)``.
        public static let activityEntityNotVersioned = Code(rawValue: "activityEntityNotVersioned")
        /// ``ContinuumError/activityKeyUnsupported(type:)``.
        public static let activityKeyUnsupported = Code(rawValue: "activityKeyUnsupported")
        /// ``ContinuumError/invalidActivityVerb``.
        public static let invalidActivityVerb = Code(rawValue: "invalidActivityVerb")
        /// ``ContinuumError/notAnActivityTable(table:)``.
        public static let notAnActivityTable = Code(rawValue: "notAnActivityTable")
        /// ``ContinuumError/invalidActivityData``.
        public static let invalidActivityData = Code(rawValue: "invalidActivityData")
        /// ``ContinuumError/sealBlockedByWriters(seconds:)``.
        public static let sealBlockedByWriters = Code(rawValue: "sealBlockedByWriters")
        /// ``ContinuumError/sealTableNotOwned(table:owner:logOwner:)``.
        public static let sealTableNotOwned = Code(rawValue: "sealTableNotOwned")
        /// ``ContinuumError/cannotRedactColumn(table:column:reason:)``.
        public static let cannotRedactColumn = Code(rawValue: "cannotRedactColumn")
        /// ``ContinuumError/pruneRuleMissing``.
        public static let pruneRuleMissing = Code(rawValue: "pruneRuleMissing")
        /// ``ContinuumError/invalidKeepLast(_:)``.
        public static let invalidKeepLast = Code(rawValue: "invalidKeepLast")
        /// ``ContinuumError/redactionKeyNotFound(table:)``.
        public static let redactionKeyNotFound = Code(rawValue: "redactionKeyNotFound")
        /// ``ContinuumError/redactionFieldsMissing(table:)``.
        public static let redactionFieldsMissing = Code(rawValue: "redactionFieldsMissing")
        /// The deprecated ``ContinuumError/invalidOption(_:)``, which the engine no longer throws.
        public static let invalidOption = Code(rawValue: "invalidOption")
        /// The deprecated ``ContinuumError/unexpectedSchema(_:)``, which the engine no longer throws.
        public static let unexpectedSchema = Code(rawValue: "unexpectedSchema")
    }

    /// What kind of failure this is, to match whatever the error's parameters.
    public var code: Code {
        switch self.reason {
        case .unsupportedDatabase: .unsupportedDatabase
        case .tableNotFound: .tableNotFound
        case .noPrimaryKey: .noPrimaryKey
        case .tableNotVersioned: .tableNotVersioned
        case .alreadyVersioned: .alreadyVersioned
        case .schemaNotInstalled: .schemaNotInstalled
        case .invalidIdentifier: .invalidIdentifier
        case .invalidOption: .invalidOption
        case .invalidPrimaryKey: .invalidPrimaryKey
        case .unknownColumn: .unknownColumn
        case .versionTableConflict: .versionTableConflict
        case .unexpectedSchema: .unexpectedSchema
        case .unsupportedTable: .unsupportedTable
        case .keyReused: .keyReused
        case .scopeOnAnotherConnection: .scopeOnAnotherConnection
        case .userIDTooLong: .userIDTooLong
        case .remoteAddressTooLong: .remoteAddressTooLong
        case .invalidMetaKey: .invalidMetaKey
        case .primaryKeyExcluded: .primaryKeyExcluded
        case .versionTableSameAsTable: .versionTableSameAsTable
        case .invalidEntityName: .invalidEntityName
        case .primaryKeyChanged: .primaryKeyChanged
        case .versionTableNameTooLong: .versionTableNameTooLong
        case .modifiedFlagNameTooLong: .modifiedFlagNameTooLong
        case .tooManyColumns: .tooManyColumns
        case .invalidBatchSize: .invalidBatchSize
        case .versionTableMismatch: .versionTableMismatch
        case .idRequired: .idRequired
        case .unsupportedNestedValue: .unsupportedNestedValue
        case .versionsQueryHasJoins: .versionsQueryHasJoins
        case .fieldNotVersioned: .fieldNotVersioned
        case .modifiedFieldsNotTracked: .modifiedFieldsNotTracked
        case .unknownOperation: .unknownOperation
        case .noCurrentSchema: .noCurrentSchema
        case .notATransactionLog: .notATransactionLog
        case .versionTableMissing: .versionTableMissing
        case .versionTableNotOwned: .versionTableNotOwned
        case .notAVersionTable: .notAVersionTable
        case .transactionIDMissing: .transactionIDMissing
        case .transactionNotFound: .transactionNotFound
        case .asOfQueryIsReadOnly: .asOfQueryIsReadOnly
        case .unsupportedAsOfJoin: .unsupportedAsOfJoin
        case .asOfTableInOtherSchema: .asOfTableInOtherSchema
        case .modelInOtherSchema: .modelInOtherSchema
        case .foreignKeyMismatch: .foreignKeyMismatch
        case .revertConflicts: .revertConflicts
        case .revertCollision: .revertCollision
        case .parentVersionMissing: .parentVersionMissing
        case .deleteVersionHasNoValues: .deleteVersionHasNoValues
        case .activityOutsideScope: .activityOutsideScope
        case .activityTableMissing: .activityTableMissing
        case .activityEntityNotVersioned: .activityEntityNotVersioned
        case .activityKeyUnsupported: .activityKeyUnsupported
        case .invalidActivityVerb: .invalidActivityVerb
        case .notAnActivityTable: .notAnActivityTable
        case .invalidActivityData: .invalidActivityData
        case .sealBlockedByWriters: .sealBlockedByWriters
        case .sealTableNotOwned: .sealTableNotOwned
        case .cannotRedactColumn: .cannotRedactColumn
        case .pruneRuleMissing: .pruneRuleMissing
        case .invalidKeepLast: .invalidKeepLast
        case .redactionKeyNotFound: .redactionKeyNotFound
        case .redactionFieldsMissing: .redactionFieldsMissing
        }
    }

    /// What happened and what to do about it. Names tables and columns, never row values.
    public var description: String {
        switch self.reason {
        case .unsupportedDatabase(let name):
            "swift-continuum supports SQLite and PostgreSQL; this database's SQL dialect is \"\(name)\""
        case .tableNotFound(let table):
            "table \"\(table)\" does not exist: create it (run its migration) before enabling versioning"
        case .noPrimaryKey(let table):
            "table \"\(table)\" has no primary key: versions are keyed by primary key, so add one before enabling versioning"
        case .tableNotVersioned(let table):
            "table \"\(table)\" is not versioned: enable versioning for it first (Model.versioning migration, or engine.enable)"
        case .alreadyVersioned(let table):
            "table \"\(table)\" is already versioned: call sync after a schema change, or disable it before enabling it again"
        case .schemaNotInstalled:
            "the versioning schema is not installed: run Continuum.migration (or engine.install) before enabling tables"
        case .invalidIdentifier(let name):
            "\"\(name.replacingOccurrences(of: "\u{0}", with: "\\0"))\" cannot be used as an SQL name: names must be non-empty and hold no NUL character"
        case .invalidOption(let message):
            message
        case .invalidPrimaryKey(let table, let expected):
            "a primary key of table \"\(table)\" must give exactly the columns \(Self.quoted(expected))"
        case .unknownColumn(let table, let column):
            "table \"\(table)\" has no column \"\(column)\""
        case .versionTableConflict(let table, let versionTable, let column):
            "column \"\(column)\" of table \"\(table)\" clashes with a bookkeeping column of \"\(versionTable)\": rename the column or exclude it from versioning"
        case .unexpectedSchema(let message):
            message
        case .keyReused(let table, let deletedIn, let reusedIn):
            "this version of a row of table \"\(table)\" belongs to a row deleted in transaction \(deletedIn); SQLite gave its key to another row, inserted in transaction \(reusedIn), which reverting would overwrite. Insert the old values as a new row instead, and declare the key INTEGER PRIMARY KEY AUTOINCREMENT so that keys are never reused"
        case .scopeOnAnotherConnection:
            "a versioned scope is already open on another connection: inside `versioned { db in ... }`, pass that `db` (the scope's own handle) to nested calls and writes, not the outer database or req.db, whose writes would run outside the scope's transaction"
        case .unsupportedTable(let table, let kind):
            "\"\(table)\" is a \(kind), not a table: swift-continuum versions plain tables only; version the tables it is built from"
        case .userIDTooLong:
            "a user id holds at most 255 bytes; store longer identities in meta"
        case .remoteAddressTooLong:
            "a remote address holds at most 50 bytes (the column is VARCHAR(50), as in SQLAlchemy-Continuum)"
        case .invalidMetaKey:
            "transaction meta keys hold 1 to 255 bytes: use a shorter key, and put long text in the value"
        case .primaryKeyExcluded(let table, let column):
            "column \"\(column)\" of table \"\(table)\" is part of the primary key and cannot be excluded from versioning: versions are keyed by it"
        case .versionTableSameAsTable(let table):
            "the version table of \"\(table)\" cannot have the table's own name: choose another versionTableName, or leave the default \"\(table)_version\""
        case .invalidEntityName(let table):
            "the entity name of table \"\(table)\" must hold 1 to 255 bytes: choose a shorter entityName, or leave the default"
        case .primaryKeyChanged(let table):
            "the primary key of table \"\(table)\" changed: history is keyed by it, so disable versioning (keepHistory: false drops the old history; or rename the old version table first) and enable it again"
        case .versionTableNameTooLong(let table, let versionTable):
            "the version table of \"\(table)\" would be named \"\(versionTable)\", \(versionTable.utf8.count) bytes, and PostgreSQL cuts names to 63 bytes: choose a shorter versionTableName"
        case .modifiedFlagNameTooLong(let table, let column):
            "the modified-column flag \"\(column)_mod\" of table \"\(table)\" would be longer than PostgreSQL's 63 bytes: rename the column to at most 59 bytes, exclude it, or turn tracksModifiedColumns off"
        case .tooManyColumns(let table, let columns, let limit):
            "the version table of \"\(table)\" would have \(columns) columns and the database allows \(Self.grouped(limit)) per table: exclude columns with excludedColumns, or turn tracksModifiedColumns off if it is on"
        case .invalidBatchSize(let size):
            "a backfill batch holds at least 1 row, not \(size): pass a batch size of 1 or more"
        case .versionTableMismatch(let table, let modelVersionTable, let versionTable):
            "a model of table \"\(table)\" reads versions from \"\(modelVersionTable)\", but the table is versioned into \"\(versionTable)\": set the model's versionTableName to \"\(versionTable)\""
        case .idRequired(let model):
            "a \(model) without an id has no history: save it first"
        case .unsupportedNestedValue:
            "a nested field value (array or dictionary input) cannot be used by swift-continuum: store it in a JSON field instead"
        case .versionsQueryHasJoins(let table):
            "versions() reads the version table of \"\(table)\" alone: remove the joins and filter on the model's own fields"
        case .fieldNotVersioned(let table, let field):
            "field \"\(field)\" of table \"\(table)\" is excluded from versioning, so its history holds no such column: remove it from the read, or stop excluding it (excludedFields) and sync"
        case .modifiedFieldsNotTracked(let table):
            "table \"\(table)\" does not track modified fields, so versions have no modified flags to read: set tracksModifiedFields in the model's versioningOptions and sync"
        case .unknownOperation(let table, let operationType):
            "a version of table \"\(table)\" has operation_type \(operationType); expected 0 (INSERT), 1 (UPDATE) or 2 (DELETE): the version table was written by something other than swift-continuum or SQLAlchemy-Continuum"
        case .noCurrentSchema:
            "PostgreSQL reports no current schema: set a search_path that names an existing schema"
        case .notATransactionLog(let table):
            "table \"\(table)\" exists but is not a transaction log (it needs the primary key \"id\" and a column \"issued_at\"): rename that table, or choose another name with VersioningConfiguration(transactionTable:)"
        case .versionTableMissing(let table, let versionTable):
            "version table \"\(versionTable)\" of \"\(table)\" is missing: disable versioning of \"\(table)\" and enable it again"
        case .versionTableNotOwned(_, let versionTable, let owner):
            "table \"\(versionTable)\" exists but belongs to role \"\(owner)\", not to the role enabling versioning: drop it, or have its owner hand it over (ALTER TABLE ... OWNER TO)"
        case .notAVersionTable(let table, let versionTable, let primaryKey):
            "table \"\(versionTable)\" exists but is not a version table of \"\(table)\" (it needs the primary key (\(Self.quoted(primaryKey + ["transaction_id"])))"
                + " and the columns \"end_transaction_id\" and \"operation_type\"): rename it, or choose another versionTableName"
        case .transactionIDMissing(let transactionTable):
            "the transaction log \"\(transactionTable)\" returned no id for the backfill's transaction: check that its \"id\" column generates values (run install on a fresh database to compare)"
        case .transactionNotFound(let transactionID):
            "transaction \(transactionID) is missing from the transaction log: its row was deleted while versions still name it"
        case .asOfQueryIsReadOnly:
            "an as-of query only reads history: write, and change the schema, through the database itself"
        case .unsupportedAsOfJoin:
            "an as-of query cannot read a custom join: join models with Fluent's join(_:on:)"
        case .asOfTableInOtherSchema(let table, let schema):
            "table \"\(table)\" lives in schema \"\(schema)\": as-of queries read models without a `space` only"
        case .modelInOtherSchema(let model, let schema):
            "model \(model) has the space \"\(schema)\": history lives in the schema the database's connections work in, so version it through a database whose search path starts with \"\(schema)\" (SQLPostgresConfiguration.searchPath) and give the model no space"
        case .foreignKeyMismatch(let child, let parent, let columns, let keyColumns):
            "\(child) references \(parent) through \(columns) column\(columns == 1 ? "" : "s"), but its key has \(keyColumns): declare the relation with the property wrapper for \(parent)'s key (@CompositeParent, @CompositeChildren for a composite key)"
        case .revertConflicts(let transaction, let conflicts):
            "\(conflicts) row\(conflicts == 1 ? "" : "s") that transaction \(transaction) changed \(conflicts == 1 ? "was" : "were") changed again by later transactions, so nothing was reverted: list them with revertPlan, then revert with conflicts: .skip (leave them) or .overwrite (discard the later changes)"
        case .revertCollision(let table):
            "reverting with relations would write a row of table \"\(table)\" that a constraint now refuses (a UNIQUE value another row has taken, or a reference to a row that is gone), so nothing was reverted: change or remove the row in the way first, or revert fewer relations"
        case .parentVersionMissing(let model, let parent, let transaction):
            "cannot revert \(model) with its \(parent): no version of it was valid at transaction \(transaction), so nothing was reverted: revert without that relation"
        case .deleteVersionHasNoValues(let model):
            "a DELETE version of \(model) has no values to restore with its relations: revert to the version before it"
        case .activityOutsideScope:
            "an activity belongs to the transaction of the writes it describes, so it can only be recorded inside a versioned scope, through the database the scope passed to its body: record it in db.versioned { db in ... } (req.versioned in Vapor)"
        case .activityTableMissing(let table):
            "the activity table \"\(table)\" does not exist: create it with installActivity (Continuum.activityMigration in Fluent), or set VersioningConfiguration.createsActivityTable before install"
        case .activityEntityNotVersioned(let type):
            "no versioned table records the entity name \"\(type)\", so an activity about it could never show its version: enable versioning of that table (Fluent: migrations.add(Model.versioning)) before recording activities about it"
        case .activityKeyUnsupported(let type):
            "\(type) has a composite or non-integer primary key, but an activity records its object and target by one integer id (object_id BIGINT, as SQLAlchemy-Continuum's ActivityPlugin): give the model an integer id, or name the entity in the activity's data instead"
        case .invalidActivityVerb:
            "an activity's verb must be 1 to 255 bytes long (verb VARCHAR(255)): use a short word such as \"update\""
        case .notAnActivityTable(let table):
            "table \"\(table)\" exists but is not an activity table (it needs the primary key \"id\" and SQLAlchemy-Continuum's activity columns): rename that table, or choose another name with VersioningConfiguration(activityTable:)"
        case .invalidActivityData:
            "an activity's data must be JSON text (it is stored in a JSON column): encode it with JSONEncoder, or pass an Encodable value to Activity.record"
        case .sealBlockedByWriters(let seconds):
            "a database transaction that was running when the seal began is still running after \(seconds) s, so nothing new was sealed: run seal again when it has ended (pg_stat_activity shows it), or wait longer"
        case .sealTableNotOwned(let table, let owner, let logOwner):
            "table \"\(table)\" belongs, or would belong, to role \"\(owner)\", not to \"\(logOwner)\", which owns the transaction log: seal as that role, "
                + "and drop the table if another role created it (its owner could forge seals, and its triggers would run as the sealing role)"
        case .cannotRedactColumn(let table, let column, let reason):
            "cannot redact column \"\(column)\" of table \"\(table)\": \(reason); nothing was changed"
        case .pruneRuleMissing:
            "prune needs a rule: give an age (olderThan), a number of versions to keep per row (keepLast), or both"
        case .invalidKeepLast(let count):
            "keepLast must keep at least one version per row, not \(count): a row's latest version is its chain's end"
        case .redactionKeyNotFound(let table):
            "no row of table \"\(table)\" has that key, live or in history, so nothing was redacted: check the key's values (the history of the row lists them)"
        case .redactionFieldsMissing(let table):
            "a redaction of table \"\(table)\" needs at least one field to erase: name the fields (continuum redact --field F)"
        }
    }

    /// `1600` as `1,600`.
    private static func grouped(_ number: Int) -> String {
        let digits = String(number)
        guard digits.count > 3, number > 0 else { return digits }
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return result
    }

    private static func quoted(_ names: [String]) -> String { names.map { "\"\($0)\"" }.joined(separator: ", ") }
}
