import Fluent
import FluentContinuum
import Vapor
import VaporContinuum

/// The history pages: a post's revisions, one revision with its word diff, restore, deleted posts
/// and undelete, the activity feed and the transaction log.
struct HistoryController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let routes = routes.grouped(LoginRequired())
        routes.get("posts", ":id", "history", use: self.history)
        routes.get("posts", ":id", "revisions", ":transaction", use: self.revision)
        routes.get("posts", ":id", "revisions", ":transaction", "restore", use: self.confirmRestore)
        routes.post("posts", ":id", "revisions", ":transaction", "restore", use: self.restore)
        routes.get("deleted", use: self.deleted)
        routes.post("deleted", ":id", "undelete", use: self.undelete)
        routes.get("activity", use: self.activity)
        routes.get("log", use: self.log)
    }

    // MARK: - A post's history

    struct RevisionRow: Encodable {
        var number: Int
        var transaction: Int
        var action: Action
        var actionLabel: String
        var who: String
        var date: String
        var ago: String
        var iso: String
        var reason: String
        var address: String
        var changed: String
        var note: String
        var isLatest: Bool
        var isDelete: Bool
        var canRestore: Bool
    }

    struct HistoryPage: Encodable {
        var id: Int
        var title: String
        var isDeleted: Bool
        var revisions: [RevisionRow]
    }

    func history(req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        let versions = try await Post.versions(id: id, on: req.db)
        guard let last = versions.last else { throw Abort(.notFound) }
        let transactions = try await History.transactions(versions.map(\.transactionID), on: req.db)
        let rows = versions.reversed().map { Self.row($0, transactions[$0.transactionID], latest: last) }
        let page = HistoryPage(id: id, title: last.model.title, isDeleted: last.operation == .delete, revisions: rows)
        return try await req.render("history", title: "History of “\(last.model.title)”", nav: "posts", page)
    }

    static func row(_ version: Version<Post>, _ info: TransactionInfo?, latest: Version<Post>) -> RevisionRow {
        let meta = info?.meta ?? [:]
        let action = History.action(of: version, meta: meta)
        var note = ""
        if action == .restored, let from = meta["restored_revision"] { note = "to revision \(from)" }
        if action == .edited, let from = meta["based_on_revision"] { note = "from revision \(from)" }
        let isLatest = version.transactionID == latest.transactionID
        return RevisionRow(
            number: version.index + 1, transaction: version.transactionID, action: action, actionLabel: action.label,
            who: info?.userName ?? "unknown", date: Formatting.date(info?.date), ago: Formatting.relative(info?.date),
            iso: Formatting.iso(info?.date), reason: info?.reason ?? "", address: info?.address ?? "",
            changed: version.operation == .delete ? "" : History.changedFields(of: version).joined(separator: ", "),
            note: note, isLatest: isLatest, isDelete: version.operation == .delete,
            canRestore: !isLatest && version.operation != .delete && latest.operation != .delete)
    }

    // MARK: - One revision and its diff

    struct Choice: Encodable {
        var transaction: Int
        var label: String
        var selected: Bool
    }

    struct FieldDiff: Encodable {
        var name: String
        var changed: Bool
        var segments: [DiffSegment]
    }

    struct RevisionPage: Encodable {
        var id: Int
        var revision: RevisionRow
        var title: String
        var against: RevisionRow?
        var againstLabel: String
        var fields: [FieldDiff]
        var choices: [Choice]
        var unchanged: Bool
    }

    func revision(req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        let transaction = try req.parameters.require("transaction", as: Int.self)
        let versions = try await Post.versions(id: id, on: req.db)
        guard let last = versions.last, let version = versions.first(where: { $0.transactionID == transaction }) else {
            throw Abort(.notFound, reason: "This post has no such revision.")
        }
        // Compared with the previous revision, or with any other one chosen in the form.
        let other: Version<Post>?
        if let chosen = req.query[Int.self, at: "against"], chosen != transaction {
            guard let found = versions.first(where: { $0.transactionID == chosen }) else {
                throw Abort(.notFound, reason: "This post has no such revision to compare with.")
            }
            other = found
        } else {
            other = version.previous
        }
        let transactions = try await History.transactions(versions.map(\.transactionID), on: req.db)
        let row = Self.row(version, transactions[version.transactionID], latest: last)
        let otherRow = other.map { Self.row($0, transactions[$0.transactionID], latest: last) }
        // The older side on the left: a diff reads from old to new.
        let (old, new) = (other.map { $0.index < version.index } ?? true) ? (other, version) : (version, other!)
        let fields = [
            Self.diff("Title", old?.model.title ?? "", new.model.title),
            Self.diff("Body", old?.model.body ?? "", new.model.body),
        ]
        let label: String
        if let other {
            label = other.transactionID == version.previous?.transactionID ? "the previous revision (\(other.index + 1))" : "revision \(other.index + 1)"
        } else {
            label = "nothing: this revision created the post"
        }
        let choices = versions.reversed().filter { $0.transactionID != transaction }.map { v in
            let info = transactions[v.transactionID]
            let action = History.action(of: v, meta: info?.meta ?? [:])
            return Choice(
                transaction: v.transactionID,
                label: "Revision \(v.index + 1) · \(action.label) by \(info?.userName ?? "unknown") · \(Formatting.date(info?.date))",
                selected: v.transactionID == other?.transactionID)
        }
        let page = RevisionPage(
            id: id, revision: row, title: version.model.title, against: otherRow, againstLabel: label, fields: fields, choices: choices,
            unchanged: fields.allSatisfy { !$0.changed })
        return try await req.render("revision", title: "Revision \(row.number) of “\(version.model.title)”", nav: "posts", page)
    }

    static func diff(_ name: String, _ old: String, _ new: String) -> FieldDiff {
        FieldDiff(name: name, changed: old != new, segments: WordDiff.segments(from: old, to: new))
    }

    // MARK: - Restore

    struct RestorePage: Encodable {
        var id: Int
        var revision: RevisionRow
        var currentNumber: Int
        var fields: [FieldDiff]
        var reason: String
    }

    func confirmRestore(req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        let transaction = try req.parameters.require("transaction", as: Int.self)
        let versions = try await Post.versions(id: id, on: req.db)
        guard let last = versions.last, let version = versions.first(where: { $0.transactionID == transaction }), version.operation != .delete
        else { throw Abort(.notFound, reason: "This post has no such revision.") }
        guard last.operation != .delete else { throw Abort(.conflict, reason: "This post is deleted: undelete it first.") }
        let info = try await History.transactions([transaction], on: req.db)[transaction]
        // What restoring changes: from the current post to that revision.
        let fields = [
            Self.diff("Title", last.model.title, version.model.title),
            Self.diff("Body", last.model.body, version.model.body),
        ]
        let page = RestorePage(
            id: id, revision: Self.row(version, info, latest: last), currentNumber: last.index + 1, fields: fields,
            reason: "")
        return try await req.render("restore", title: "Restore revision \(version.index + 1)", nav: "posts", page)
    }

    struct ReasonForm: Content {
        var reason: String?
    }

    func restore(req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        let transaction = try req.parameters.require("transaction", as: Int.self)
        let form = try req.content.decode(ReasonForm.self)
        let versions = try await Post.versions(id: id, on: req.db)
        guard let version = versions.first(where: { $0.transactionID == transaction }), version.operation != .delete else {
            throw Abort(.notFound, reason: "This post has no such revision.")
        }
        let number = version.index + 1
        var meta = [
            "action": Action.restored.rawValue,
            "restored_revision": String(number),
        ]
        if let reason = PostController.reason(form.reason) { meta["reason"] = reason }
        // The revert writes the old values back as a new version, in this request's transaction:
        // recorded with the acting user and address like any edit.
        try await req.versioned(meta: meta) { [meta] db in
            guard try await Post.find(id, on: db) != nil else { throw Abort(.conflict, reason: "This post is deleted: undelete it first.") }
            try await version.revert(on: db)
            guard let post = try await Post.find(id, on: db) else { throw Abort(.notFound) }
            try await History.record(.restored, post, meta: meta, on: db)
        }
        req.flash("Restored revision \(number) as a new revision.")
        return req.redirect(to: "/posts/\(id)/history")
    }

    // MARK: - Deleted posts

    struct DeletedRow: Encodable {
        var id: Int
        var title: String
        var excerpt: String
        var who: String
        var date: String
        var ago: String
        var reason: String
        var revisions: Int
    }

    struct DeletedPage: Encodable {
        var posts: [DeletedRow]
        var isEmpty: Bool
    }

    func deleted(req: Request) async throws -> Response {
        let versions = try await Post.deletedVersions(on: req.db).sorted { $0.transactionID > $1.transactionID }
        let transactions = try await History.transactions(versions.map(\.transactionID), on: req.db)
        let rows = versions.compactMap { version -> DeletedRow? in
            guard let id = version.model.id else { return nil }
            let info = transactions[version.transactionID]
            return DeletedRow(
                id: id, title: version.model.title, excerpt: Formatting.excerpt(version.model.body, limit: 120),
                who: info?.userName ?? "unknown", date: Formatting.date(info?.date), ago: Formatting.relative(info?.date),
                reason: info?.reason ?? "", revisions: version.index + 1)
        }
        return try await req.render("deleted", title: "Deleted posts", nav: "deleted", DeletedPage(posts: rows, isEmpty: rows.isEmpty))
    }

    func undelete(req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        let form = try req.content.decode(ReasonForm.self)
        let versions = try await Post.versions(id: id, on: req.db)
        guard let last = versions.last else { throw Abort(.notFound) }
        guard last.operation == .delete, let before = last.previous else {
            throw Abort(.conflict, reason: "This post is not deleted.")
        }
        var meta = ["action": Action.undeleted.rawValue]
        if let reason = PostController.reason(form.reason) { meta["reason"] = reason }
        try await req.versioned(meta: meta) { [meta] db in
            try await before.revert(on: db)
            guard let post = try await Post.find(id, on: db) else { throw Abort(.notFound) }
            try await History.record(.undeleted, post, meta: meta, on: db)
        }
        req.flash("“\(before.model.title)” is back.")
        return req.redirect(to: "/posts/\(id)")
    }

    // MARK: - The activity feed and the transaction log

    struct LogPost: Encodable {
        var id: Int
        var title: String
        var transaction: Int
        var action: Action
        var actionLabel: String
        var number: Int
        var changed: String
        var note: String
    }

    struct LogEntry: Encodable {
        var transaction: Int
        var who: String
        var date: String
        var ago: String
        var iso: String
        var address: String
        var reason: String
        var posts: [LogPost]
        var other: String
    }

    /// The transaction log from `records` (newest first): who, when, from where, why, and the
    /// posts each transaction changed, linking to their revisions.
    static func entries(_ records: [Transaction], on db: any Database) async throws -> [LogEntry] {
        let infos = try await History.transactions(records.compactMap(\.id), on: db)
        var entries: [LogEntry] = []
        var histories: [Int: [Version<Post>]] = [:]
        for record in records {
            guard let id = record.id, let info = infos[id] else { continue }
            var posts: [LogPost] = []
            for version in try await record.versions(of: Post.self, on: db) {
                guard let postID = version.model.id else { continue }
                // The version as part of its post's history (its number, what it changed).
                if histories[postID] == nil { histories[postID] = try await Post.versions(id: postID, on: db) }
                let full = histories[postID]?.first { $0.transactionID == id } ?? version
                let action = History.action(of: full, meta: info.meta)
                var note = ""
                if action == .restored, let from = info.meta["restored_revision"] { note = "to revision \(from)" }
                if action == .edited, let from = info.meta["based_on_revision"] { note = "from revision \(from)" }
                posts.append(
                    LogPost(
                        id: postID, title: full.model.title, transaction: id, action: action, actionLabel: action.label, number: full.index + 1,
                        changed: full.operation == .delete ? "" : History.changedFields(of: full).joined(separator: ", "), note: note))
            }
            let others = try await record.changedEntities(on: db).keys.filter { $0 != Post.entityName }.sorted()
            entries.append(
                LogEntry(
                    transaction: id, who: info.userName, date: Formatting.date(info.date), ago: Formatting.relative(info.date),
                    iso: Formatting.iso(info.date), address: info.address, reason: info.reason, posts: posts, other: others.joined(separator: ", ")))
        }
        return entries
    }

    struct UserChoice: Encodable {
        var username: String
        var name: String
        var selected: Bool
    }

    struct LogPage: Encodable {
        var entries: [LogEntry]
        var isEmpty: Bool
        var users: [UserChoice]
        var filteredBy: String?
        var olderThan: Int?
        var newest: Bool
        var query: String
        /// The day range shown (`YYYY-MM-DD`, UTC), empty when not set.
        var from: String
        var to: String
        var period: String?
    }

    /// A day as the log's date fields send it (`YYYY-MM-DD`, read in UTC).
    static func day(_ text: String?, field: String) throws -> Date? {
        guard let text, !text.isEmpty else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        guard let date = formatter.date(from: text) else {
            throw Abort(.badRequest, reason: "The \(field) date \"\(text)\" is not a day like 2026-11-29.")
        }
        return date
    }

    func log(req: Request) async throws -> Response {
        let users = try await User.query(on: req.db).sort(\.$name).all()
        let username = req.query[String.self, at: "user"].flatMap { $0.isEmpty ? nil : $0 }
        let before = req.query[Int.self, at: "before"]
        let query = Transaction.query(on: req.db)
        var filteredBy: String?
        if let username {
            guard let user = users.first(where: { $0.username == username }), let id = user.id else {
                throw Abort(.notFound, reason: "There is no user \(username).")
            }
            query.filter(\.$userID == id.uuidString)
            filteredBy = user.name
        }
        if let before { query.filter(\.$id < before) }
        let fromText = req.query[String.self, at: "from"] ?? "", toText = req.query[String.self, at: "to"] ?? ""
        let from = try Self.day(fromText, field: "from"), to = try Self.day(toText, field: "to")
        if let from { query.issued(after: from) }
        // Through the end of the `to` day.
        if let to { query.issued(before: to.addingTimeInterval(86_400)) }
        var period: String?
        switch (from, to) {
        case (.some, .some): period = "from \(fromText) to \(toText)"
        case (.some, .none): period = "from \(fromText)"
        case (.none, .some): period = "until \(toText)"
        case (.none, .none): period = nil
        }
        var parameters: [String] = []
        if let username { parameters.append("user=\(username)") }
        if from != nil { parameters.append("from=\(fromText)") }
        if to != nil { parameters.append("to=\(toText)") }
        let pageSize = 25
        let records = try await query.sort(\.$id, .descending).limit(pageSize + 1).all()
        let entries = try await Self.entries(Array(records.prefix(pageSize)), on: req.db)
        let page = LogPage(
            entries: entries, isEmpty: entries.isEmpty,
            users: users.map { UserChoice(username: $0.username, name: $0.name, selected: $0.username == username) },
            filteredBy: filteredBy, olderThan: records.count > pageSize ? entries.last?.transaction : nil, newest: before == nil,
            query: parameters.map { $0 + "&" }.joined(), from: from == nil ? "" : fromText, to: to == nil ? "" : toText, period: period)
        return try await req.render("log", title: "Transaction log", nav: "log", page)
    }

    struct ActivityItem: Encodable {
        var action: String
        var actionLabel: String
        var who: String
        var postID: Int
        var title: String
        var transaction: Int
        var number: Int
        var note: String
        var reason: String
        var date: String
        var ago: String
        var iso: String
    }

    struct ActivityPage: Encodable {
        var items: [ActivityItem]
        var isEmpty: Bool
        var olderThan: Int?
    }

    /// The site's activity feed: the activities recorded with each write (`History.record`),
    /// newest first, each with the post as it was then.
    func activity(req: Request) async throws -> Response {
        let pageSize = 30
        let before = req.query[Int.self, at: "before"]
        let feed = try await Activity.feed(matching: .init(before: before), limit: pageSize + 1, on: req.db)
        let names = try await History.userNames(on: req.db)
        var histories: [Int: [Version<Post>]] = [:]
        var items: [ActivityItem] = []
        for activity in feed.prefix(pageSize) {
            guard let object = activity.object, object.type == Post.entityName else { continue }
            if histories[object.id] == nil { histories[object.id] = try await Post.versions(id: object.id, on: req.db) }
            // The post as it was at the activity (a deleted post keeps its last values).
            guard let version = histories[object.id]?.first(where: { $0.transactionID == activity.objectTransactionID }) else { continue }
            let data = (try? activity.data(as: [String: String].self)) ?? [:]
            let action = Action(rawValue: activity.verb) ?? History.action(of: version, meta: [:])
            var note = ""
            if action == .restored, let from = data["restored_revision"] { note = "to revision \(from)" }
            if action == .edited, let from = data["based_on_revision"] { note = "from revision \(from)" }
            items.append(
                ActivityItem(
                    action: action.rawValue, actionLabel: action.label,
                    who: activity.userID.map { names[$0] ?? "an unknown user" } ?? "someone outside the blog",
                    postID: object.id, title: version.model.title, transaction: version.transactionID, number: version.index + 1,
                    note: note, reason: data["reason"] ?? "", date: Formatting.date(activity.issuedAt),
                    ago: Formatting.relative(activity.issuedAt), iso: Formatting.iso(activity.issuedAt)))
        }
        let page = ActivityPage(items: items, isEmpty: items.isEmpty, olderThan: feed.count > pageSize ? feed[pageSize - 1].id : nil)
        return try await req.render("activity", title: "Activity", nav: "activity", page)
    }
}
