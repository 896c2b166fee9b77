import Foundation

/// An entity an activity is about: its entity name (a versioned table's
/// ``VersionedTable/entityName``, which SQLAlchemy-Continuum records as the model's class name)
/// and its integer primary key.
///
/// ```swift
/// let article = ActivityEntity(type: "Article", id: 1)
/// ```
public struct ActivityEntity: Sendable, Hashable, Codable {
    /// The entity name of the object's versioned table (`activity.object_type`).
    public var type: String
    /// The object's primary key (`activity.object_id`).
    public var id: Int

    /// The entity of type `type` whose key is `id`.
    public init(type: String, id: Int) {
        self.type = type
        self.id = id
    }
}

/// One row of the activity feed, with the actor and time of its transaction.
///
/// The ``objectTransactionID`` and ``targetTransactionID`` name the version each entity had
/// when the activity was recorded (the latest version written at or before the activity's
/// transaction), so the feed can show an object as it was even after later edits or a delete.
public struct ActivityRecord: Sendable, Hashable {
    /// The activity's id; newer activities have larger ids.
    public var id: Int
    /// What happened: `create`, `update`, `publish`, ...
    public var verb: String?
    /// The activity's JSON data, as text; `nil` when it has none.
    public var data: String?
    /// The transaction the activity belongs to: the one of the writes it describes.
    public var transactionID: Int
    /// The actor: the transaction's `user_id`.
    public var userID: String?
    /// When the transaction began writing, from the transaction log.
    public var issuedAt: Date?
    /// The entity the activity is about.
    public var object: ActivityEntity?
    /// The transaction of the version ``object`` had at this activity; `nil` when it had none.
    public var objectTransactionID: Int?
    /// The entity the activity was done to or in (the article a comment was added to).
    public var target: ActivityEntity?
    /// The transaction of the version ``target`` had at this activity; `nil` when it had none.
    public var targetTransactionID: Int?

    /// A record with these values (the engine reads them from the activity table).
    public init(
        id: Int,
        verb: String?,
        data: String?,
        transactionID: Int,
        userID: String? = nil,
        issuedAt: Date? = nil,
        object: ActivityEntity? = nil,
        objectTransactionID: Int? = nil,
        target: ActivityEntity? = nil,
        targetTransactionID: Int? = nil
    ) {
        self.id = id
        self.verb = verb
        self.data = data
        self.transactionID = transactionID
        self.userID = userID
        self.issuedAt = issuedAt
        self.object = object
        self.objectTransactionID = objectTransactionID
        self.target = target
        self.targetTransactionID = targetTransactionID
    }
}

/// Which activities to read with ``VersioningEngine/activities(matching:limit:on:)``. Every
/// criterion is optional; the ones given must all hold.
///
/// ```swift
/// let page = try await engine.activities(matching: .init(userID: "42", verb: "update"), limit: 20, on: sql)
/// let next = try await engine.activities(matching: .init(userID: "42", verb: "update", before: page.last?.id), limit: 20, on: sql)
/// ```
public struct ActivityFilter: Sendable, Hashable {
    /// Only activities of this actor (the transaction's `user_id`).
    public var userID: String?
    /// Only activities with this verb.
    public var verb: String?
    /// Only activities about this object.
    public var object: ActivityEntity?
    /// Only activities with this target.
    public var target: ActivityEntity?
    /// Only activities whose object or target is this entity: everything that happened to it
    /// (SQLAlchemy-Continuum's "local version histories using targets").
    public var involving: ActivityEntity?
    /// Only activities with a smaller id (for paging: pass the last id seen).
    public var before: Int?

    /// A filter with these criteria; `nil` ones do not filter.
    public init(
        userID: String? = nil,
        verb: String? = nil,
        object: ActivityEntity? = nil,
        target: ActivityEntity? = nil,
        involving: ActivityEntity? = nil,
        before: Int? = nil
    ) {
        self.userID = userID
        self.verb = verb
        self.object = object
        self.target = target
        self.involving = involving
        self.before = before
    }
}
