import ContinuumSQL
import FluentKit
import Foundation

/// One entry of the activity feed: a verb, the object it is about and an optional target, each
/// with the version it had at that moment, and JSON data; recorded in a `versioned` scope, so
/// its actor and time are its transaction's (SQLAlchemy-Continuum's ActivityPlugin).
///
/// ```swift
/// try await db.versioned(userID: "42") { db in
///     post.title = "Fixed"
///     try await post.save(on: db)
///     try await Activity.record(verb: "update", object: post, data: ["reason": "typo"], on: db)
/// }
/// for activity in try await Activity.feed(limit: 20, on: db) {
///     let then = try await activity.objectVersion(Post.self, on: db)   // the post as it was
///     print(activity.userID ?? "-", activity.verb, then?.model.title ?? "")
/// }
/// ```
///
/// Objects and targets are versioned models with an integer id: the activity table stores one
/// `BIGINT` id per entity, as SQLAlchemy-Continuum does, so a model with a UUID or composite
/// id throws ``/ContinuumSQL/ContinuumError/activityKeyUnsupported(type:)`` (name it in the
/// activity's data instead). Create the table with ``Continuum/activityMigration``.
public struct Activity: Sendable, Hashable {
    /// The activity's id; newer activities have larger ids.
    public var id: Int
    /// What happened: `create`, `update`, `publish`, ...
    public var verb: String
    /// The transaction the activity belongs to: the one of the writes it describes.
    public var transactionID: Int
    /// The actor: the transaction's user id.
    public var userID: String?
    /// When the transaction began writing.
    public var issuedAt: Date?
    /// The entity the activity is about: its entity name (``Versioned/entityName``) and id.
    public var object: ActivityEntity?
    /// The transaction of the version ``object`` had at this activity.
    public var objectTransactionID: Int?
    /// The entity the activity was done to or in.
    public var target: ActivityEntity?
    /// The transaction of the version ``target`` had at this activity.
    public var targetTransactionID: Int?
    /// The activity's data as JSON text; read it typed with ``data(as:)``.
    public var json: String?

    /// The activity of an engine record.
    public init(_ record: ActivityRecord) {
        self.id = record.id
        self.verb = record.verb ?? ""
        self.transactionID = record.transactionID
        self.userID = record.userID
        self.issuedAt = record.issuedAt
        self.object = record.object
        self.objectTransactionID = record.objectTransactionID
        self.target = record.target
        self.targetTransactionID = record.targetTransactionID
        self.json = record.data
    }

    // MARK: Record

    /// Records an activity in the `versioned` scope running on `database`: it joins the scope's
    /// transaction (its actor and time are the activity's), and remembers the version `object`
    /// and `target` have at that transaction, so the feed can show them as they were.
    ///
    /// ```swift
    /// try await db.versioned(userID: "42") { db in
    ///     try await comment.save(on: db)
    ///     try await Activity.record(verb: "comment", object: comment, target: post, on: db)
    /// }
    /// ```
    ///
    /// Save the object first: its version is the latest one written at or before this point of
    /// the transaction (for a delete, the DELETE version, which keeps the row's last values).
    ///
    /// - Parameters:
    ///   - verb: What happened (1 to 255 bytes).
    ///   - object: The versioned model the activity is about.
    ///   - target: The versioned model the activity was done to or in.
    ///   - data: Any `Encodable` value, stored as JSON (`activity.data`).
    ///   - database: The `db` the scope passed to its body.
    /// - Returns: The recorded activity (its ``userID`` and ``issuedAt`` are read by the feed).
    /// - Throws: ``/ContinuumSQL/ContinuumError/activityOutsideScope`` outside `db.versioned`
    ///   or on another handle than the scope's; ``/ContinuumSQL/ContinuumError/idRequired(model:)``
    ///   for an unsaved model; ``/ContinuumSQL/ContinuumError/activityKeyUnsupported(type:)`` for a
    ///   UUID or composite id; ``/ContinuumSQL/ContinuumError/activityEntityNotVersioned(type:)``;
    ///   ``/ContinuumSQL/ContinuumError/activityTableMissing(table:)``;
    ///   ``/ContinuumSQL/ContinuumError/invalidActivityVerb``; `data`'s encoding errors.
    @discardableResult
    public static func record(
        verb: String,
        object: (any Versioned)? = nil,
        target: (any Versioned)? = nil,
        data: (any Encodable & Sendable)? = nil,
        on database: any Database
    ) async throws -> Activity {
        let json = try data.map { value in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        }
        let record = try await Continuum.engine(for: database).recordActivity(
            verb: verb,
            object: try object.map { try ActivityEntity($0) },
            target: try target.map { try ActivityEntity($0) },
            data: json,
            inTransaction: database.inTransaction,
            on: Continuum.sql(database)
        )
        return Activity(record)
    }

    // MARK: Read

    /// The activities matching `filter`, newest first, at most `limit` (one query). Page with
    /// ``/ContinuumSQL/ActivityFilter/before``: the last id of the previous page.
    ///
    /// ```swift
    /// let mine = try await Activity.feed(matching: .init(userID: "42", verb: "update"), on: db)
    /// let aboutPost = try await Activity.feed(matching: .init(involving: try .init(Post.self, id: 5)), on: db)
    /// ```
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/activityTableMissing(table:)``; the driver's errors.
    public static func feed(matching filter: ActivityFilter = .init(), limit: Int = 50, on database: any Database) async throws -> [Activity] {
        try await Continuum.engine(for: database).activities(matching: filter, limit: limit, on: Continuum.sql(database)).map(Activity.init)
    }

    /// The activity with `id`, or `nil`.
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/activityTableMissing(table:)``; the driver's errors.
    public static func find(_ id: Int, on database: any Database) async throws -> Activity? {
        try await Continuum.engine(for: database).activity(id: id, on: Continuum.sql(database)).map(Activity.init)
    }

    /// The activity's data decoded as `type`, or `nil` when it has none.
    ///
    /// - Throws: `DecodingError` when the data is not a `type`.
    public func data<T: Decodable>(as type: T.Type) throws -> T? {
        guard let json = self.json else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(json.utf8))
    }

    /// The object as it was at this activity: the version of `model` it had then (for a delete,
    /// the DELETE version with the row's last values). `nil` when the object is not a `model`
    /// (a feed mixes types: ask for each) or had no version then.
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/activityKeyUnsupported(type:)`` when `model`'s
    ///   id is not an integer; the errors of history reads.
    public func objectVersion<M: Versioned>(_ model: M.Type, on database: any Database) async throws -> Version<M>? {
        try await Self.version(M.self, self.object, self.objectTransactionID, on: database)
    }

    /// The target as it was at this activity (see ``objectVersion(_:on:)``).
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/activityKeyUnsupported(type:)`` when `model`'s
    ///   id is not an integer; the errors of history reads.
    public func targetVersion<M: Versioned>(_ model: M.Type, on database: any Database) async throws -> Version<M>? {
        try await Self.version(M.self, self.target, self.targetTransactionID, on: database)
    }

    /// The transaction the activity belongs to, with its actor, address and time.
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/transactionNotFound(_:)``.
    public func transaction(on database: any Database) async throws -> Transaction {
        guard let transaction = try await Transaction.find(id: self.transactionID, in: database) else {
            throw ContinuumError.transactionNotFound(self.transactionID)
        }
        return transaction
    }

    private static func version<M: Versioned>(_ model: M.Type, _ entity: ActivityEntity?, _ transactionID: Int?, on database: any Database) async throws -> Version<M>? {
        guard let entity, entity.type == M.entityName, let transactionID else { return nil }
        return try await M.version(id: ActivityEntity.modelID(entity.id, of: M.self), at: transactionID, on: database)
    }
}

extension ActivityEntity {
    /// The entity of a saved versioned model.
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/idRequired(model:)`` for an unsaved model;
    ///   ``/ContinuumSQL/ContinuumError/activityKeyUnsupported(type:)`` for a UUID or composite id.
    public init<M: Versioned>(_ model: M) throws {
        guard let id = model.id else { throw ContinuumError.idRequired(model: M.entityName) }
        try self.init(M.self, id: id)
    }

    /// The entity of `model` with `id`, to filter the feed by (a deleted entity included).
    ///
    /// - Throws: ``/ContinuumSQL/ContinuumError/activityKeyUnsupported(type:)`` for a UUID or composite id.
    public init<M: Versioned>(_ model: M.Type, id: M.IDValue) throws {
        guard let integer = id as? any BinaryInteger, let value = Int(exactly: integer) else {
            throw ContinuumError.activityKeyUnsupported(type: M.entityName)
        }
        self.init(type: M.entityName, id: value)
    }

    /// `id` as `M`'s id type.
    static func modelID<M: Versioned>(_ id: Int, of model: M.Type) throws -> M.IDValue {
        guard let type = M.IDValue.self as? any BinaryInteger.Type, let value = type.init(exactly: id) as? M.IDValue else {
            throw ContinuumError.activityKeyUnsupported(type: M.entityName)
        }
        return value
    }
}

extension Continuum {
    /// Creates the activity feed's table (``/ContinuumSQL/VersioningEngine/installActivity(on:)``).
    /// Add it after ``migration``. Its `revert` leaves the table in place: history is never
    /// dropped by a migration rollback.
    public static var activityMigration: any AsyncMigration { InstallActivityMigration() }
}

struct InstallActivityMigration: AsyncMigration {
    var name: String { "Continuum.Activity" }

    func prepare(on database: any Database) async throws {
        try await Continuum.engine(for: database).installActivity(on: Continuum.sql(database))
    }

    func revert(on database: any Database) async throws {}
}
