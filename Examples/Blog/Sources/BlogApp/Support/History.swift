import Fluent
import FluentContinuum
import SQLKit
import Vapor

/// One transaction of the log as the pages show it: names, not ids; formatted dates.
struct TransactionInfo: Sendable {
    var id: Int
    var userID: String?
    var userName: String
    var date: Date?
    var address: String
    var meta: [String: String]

    var reason: String { self.meta["reason"] ?? "" }
}

/// What happened to a post in one revision, as the pages name it.
enum Action: String, Encodable {
    case created, edited, restored, deleted, undeleted

    var label: String { self.rawValue.prefix(1).uppercased() + self.rawValue.dropFirst() }
}

/// Reads the history the pages show: who (by name), when, from where, why.
enum History {
    /// Every user by the id recorded in the transaction log (`app.continuum.userID`).
    static func userNames(on db: any Database) async throws -> [String: String] {
        var names: [String: String] = [:]
        for user in try await User.query(on: db).all() {
            if let id = user.id { names[id.uuidString] = user.name }
        }
        return names
    }

    /// The transactions `ids` with their meta, by id: two queries.
    static func transactions(_ ids: [Int], on db: any Database) async throws -> [Int: TransactionInfo] {
        let ids = Array(Set(ids))
        guard !ids.isEmpty else { return [:] }
        let names = try await self.userNames(on: db)
        let rows = try await Transaction.query(on: db).filter(\.$id ~~ ids).all()
        let sql = db as! any SQLDatabase
        let metaRows = try await sql.select()
            .columns("transaction_id", "key", "value")
            .from(Continuum.configuration(of: db).transactionMetaTable)
            .where(SQLColumn("transaction_id"), .in, SQLBind.group(ids))
            .all()
        var meta: [Int: [String: String]] = [:]
        for row in metaRows {
            let id = try row.decode(column: "transaction_id", as: Int.self)
            meta[id, default: [:]][try row.decode(column: "key", as: String.self)] = try row.decode(column: "value", as: String?.self) ?? ""
        }
        var result: [Int: TransactionInfo] = [:]
        for row in rows {
            guard let id = row.id else { continue }
            result[id] = TransactionInfo(
                id: id,
                userID: row.userID,
                userName: row.userID.map { names[$0] ?? "an unknown user" } ?? "someone outside the blog",
                date: row.issuedAt,
                address: row.remoteAddress ?? "",
                meta: meta[id] ?? [:]
            )
        }
        return result
    }

    /// The action a version stands for: the one the blog recorded in its transaction's meta,
    /// else what the operation says (a write made outside the blog, by `psql` say).
    static func action(of version: Version<Post>, meta: [String: String]) -> Action {
        if let recorded = meta["action"].flatMap(Action.init(rawValue:)) { return recorded }
        switch version.operation {
        case .insert: return version.previous?.operation == .delete ? .undeleted : .created
        case .update: return .edited
        case .delete: return .deleted
        }
    }

    /// Records the activity of a write, in its `req.versioned` scope (`db`), after the write: its
    /// actor and time are the scope's; the activity remembers the version `post` has now. Its
    /// data is the scope's meta without the action (the reason, the revision restored).
    static func record(_ action: Action, _ post: Post, meta: [String: String], on db: any Database) async throws {
        var data = meta
        data["action"] = nil
        try await Activity.record(verb: action.rawValue, object: post, data: data.isEmpty ? nil : data, on: db)
    }

    /// The fields a version changed, by name ("title, body"), in the form's order.
    static func changedFields(of version: Version<Post>) -> [String] {
        let changed = Set(version.changeset.keys)
        return [("title", "title"), ("body", "body"), ("author_id", "author")].compactMap { changed.contains($0.0) ? $0.1 : nil }
    }
}
