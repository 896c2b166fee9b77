import Fluent
import FluentContinuum
import SQLKit
import Vapor
import VaporContinuum

/// The posts: list, read, write, edit (from the latest or any older revision), delete.
/// Every write goes through `req.versioned(meta:)`: one transaction of the history per request,
/// with the user, the client's address, the action and the reason typed in the form.
struct PostController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let routes = routes.grouped(LoginRequired())
        routes.get(use: self.index)
        routes.get("posts", "new", use: self.new)
        routes.post("posts", use: self.create)
        routes.get("posts", ":id", use: self.show)
        routes.get("posts", ":id", "edit", use: self.edit)
        routes.post("posts", ":id", "edit", use: self.update)
        routes.get("posts", ":id", "delete", use: self.confirmDelete)
        routes.post("posts", ":id", "delete", use: self.delete)
    }

    // MARK: - Pages

    struct PostSummary: Encodable {
        var id: Int
        var title: String
        var excerpt: String
        var author: String
        var revisions: Int
        var editedBy: String
        var editedAt: String
        var editedAgo: String
        var editedISO: String
    }

    struct IndexPage: Encodable {
        var posts: [PostSummary]
        var isEmpty: Bool
        var deletedCount: Int
    }

    func index(req: Request) async throws -> Response {
        let posts = try await Post.query(on: req.db).with(\.$author).sort(\.$id, .descending).all()
        // The latest transaction and the number of versions of every post, in one query.
        let sql = req.db as! any SQLDatabase
        let rows = try await sql.select()
            .column("id")
            .column(SQLFunction("max", args: SQLColumn("transaction_id")), as: "last")
            .column(SQLFunction("count", args: SQLLiteral.all), as: "revisions")
            .from(Post.versionSchema)
            .groupBy("id")
            .all()
        var latest: [Int: (transaction: Int, count: Int)] = [:]
        for row in rows {
            latest[try row.decode(column: "id", as: Int.self)] = (try row.decode(column: "last", as: Int.self), try row.decode(column: "revisions", as: Int.self))
        }
        let transactions = try await History.transactions(latest.values.map(\.transaction), on: req.db)
        let summaries = posts.compactMap { post -> PostSummary? in
            guard let id = post.id else { return nil }
            let last = latest[id].flatMap { transactions[$0.transaction] }
            return PostSummary(
                id: id, title: post.title, excerpt: Formatting.excerpt(post.body), author: post.author.name,
                revisions: latest[id]?.count ?? 0, editedBy: last?.userName ?? "",
                editedAt: Formatting.date(last?.date), editedAgo: Formatting.relative(last?.date), editedISO: Formatting.iso(last?.date))
        }
        let deleted = try await Post.deletedVersions(on: req.db).count
        return try await req.render("index", title: "Posts", nav: "posts", IndexPage(posts: summaries, isEmpty: summaries.isEmpty, deletedCount: deleted))
    }

    struct ShowPage: Encodable {
        var id: Int
        var title: String
        var paragraphs: [String]
        var author: String
        var revisions: Int
        var editedBy: String
        var editedAt: String
        var editedAgo: String
    }

    func show(req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        guard let post = try await Post.query(on: req.db).filter(\.$id == id).with(\.$author).first() else {
            if try await Post.versionCount(id: id, on: req.db) > 0 {
                req.flash("This post was deleted. Its history is kept; undelete it from Deleted posts.")
                return req.redirect(to: "/posts/\(id)/history")
            }
            throw Abort(.notFound)
        }
        let versions = try await Post.versions(id: id, on: req.db)
        let lastID = versions.last?.transactionID ?? 0
        let last = try await History.transactions([lastID], on: req.db)[lastID]
        let page = ShowPage(
            id: id, title: post.title, paragraphs: Self.paragraphs(post.body), author: post.author.name,
            revisions: versions.count, editedBy: last?.userName ?? "",
            editedAt: Formatting.date(last?.date), editedAgo: Formatting.relative(last?.date))
        return try await req.render("post", title: post.title, nav: "posts", page)
    }

    static func paragraphs(_ body: String) -> [String] {
        body.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    struct FormPage: Encodable {
        var action: String
        var heading: String
        var title: String
        var body: String
        var reason: String
        var error: String?
        var postID: Int?
        /// Editing from an older revision: which one.
        var fromRevision: Int?
        var fromTransaction: Int?
        var fromBy: String?
        var fromAt: String?
        var submit: String
    }

    func new(req: Request) async throws -> Response {
        try await req.render(
            "form", title: "New post", nav: "new",
            FormPage(action: "/posts", heading: "New post", title: "", body: "", reason: "", submit: "Publish"))
    }

    struct PostForm: Content {
        var title: String
        var body: String
        var reason: String?
        var fromRevision: Int?
        var fromTransaction: Int?
    }

    func create(req: Request) async throws -> Response {
        let form = try req.content.decode(PostForm.self)
        let user = try req.user
        let title = form.title.trimmingCharacters(in: .whitespacesAndNewlines)
        if let error = Self.validate(title: title, body: form.body) {
            return try await req.render(
                "form", title: "New post", nav: "new",
                FormPage(action: "/posts", heading: "New post", title: form.title, body: form.body, reason: form.reason ?? "", error: error, submit: "Publish"),
                status: .unprocessableEntity)
        }
        let authorID = try user.requireID()
        var meta = ["action": Action.created.rawValue]
        if let reason = Self.reason(form.reason) { meta["reason"] = reason }
        let id = try await req.versioned(meta: meta) { [meta] db in
            let post = Post(title: title, body: form.body, authorID: authorID)
            try await post.create(on: db)
            try await History.record(.created, post, meta: meta, on: db)
            return try post.requireID()
        }
        req.flash("Published “\(title)”.")
        return req.redirect(to: "/posts/\(id)")
    }

    func edit(req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        guard let post = try await Post.find(id, on: req.db) else { throw Abort(.notFound) }
        var page = FormPage(
            action: "/posts/\(id)/edit", heading: "Edit post", title: post.title, body: post.body, reason: "", postID: id, submit: "Save changes")
        if let transaction = req.query[Int.self, at: "from"] {
            // The seed article's "edit from a revision": the form holds that revision's values.
            let versions = try await Post.versions(id: id, on: req.db)
            guard let version = versions.first(where: { $0.transactionID == transaction }), version.operation != .delete else {
                throw Abort(.notFound, reason: "This post has no such revision.")
            }
            let info = try await History.transactions([transaction], on: req.db)[transaction]
            page.title = version.model.title
            page.body = version.model.body
            page.fromRevision = version.index + 1
            page.fromTransaction = transaction
            page.fromBy = info?.userName
            page.fromAt = Formatting.date(info?.date)
            page.heading = "Edit from revision \(version.index + 1)"
        }
        return try await req.render("form", title: "Edit “\(post.title)”", nav: "posts", page)
    }

    func update(req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        let form = try req.content.decode(PostForm.self)
        let title = form.title.trimmingCharacters(in: .whitespacesAndNewlines)
        if let error = Self.validate(title: title, body: form.body) {
            let page = FormPage(
                action: "/posts/\(id)/edit", heading: "Edit post", title: form.title, body: form.body, reason: form.reason ?? "", error: error,
                postID: id, fromRevision: form.fromRevision, fromTransaction: form.fromTransaction, submit: "Save changes")
            return try await req.render("form", title: "Edit post", nav: "posts", page, status: .unprocessableEntity)
        }
        var meta = ["action": Action.edited.rawValue]
        if let reason = Self.reason(form.reason) { meta["reason"] = reason }
        if let revision = form.fromRevision { meta["based_on_revision"] = String(revision) }
        let changed = try await req.versioned(meta: meta) { [meta] db -> Bool in
            guard let post = try await Post.find(id, on: db) else { throw Abort(.notFound) }
            guard post.title != title || post.body != form.body else { return false }
            post.title = title
            post.body = form.body
            try await post.save(on: db)
            try await History.record(.edited, post, meta: meta, on: db)
            return true
        }
        req.flash(changed ? "Saved a new revision of “\(title)”." : "Nothing changed, so no revision was made.")
        return req.redirect(to: "/posts/\(id)")
    }

    struct DeletePage: Encodable {
        var id: Int
        var title: String
        var revisions: Int
    }

    func confirmDelete(req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        guard let post = try await Post.find(id, on: req.db) else { throw Abort(.notFound) }
        let count = try await Post.versionCount(id: id, on: req.db)
        return try await req.render("delete", title: "Delete “\(post.title)”", nav: "posts", DeletePage(id: id, title: post.title, revisions: count))
    }

    struct ReasonForm: Content {
        var reason: String?
    }

    func delete(req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        let form = try req.content.decode(ReasonForm.self)
        var meta = ["action": Action.deleted.rawValue]
        if let reason = Self.reason(form.reason) { meta["reason"] = reason }
        let title = try await req.versioned(meta: meta) { [meta] db -> String in
            guard let post = try await Post.find(id, on: db) else { throw Abort(.notFound) }
            try await post.delete(on: db)
            try await History.record(.deleted, post, meta: meta, on: db)
            return post.title
        }
        req.flash("Deleted “\(title)”. It can be brought back from Deleted posts.")
        return req.redirect(to: "/")
    }

    // MARK: - Helpers

    static func validate(title: String, body: String) -> String? {
        if title.isEmpty { return "A post needs a title." }
        if title.count > 200 { return "Keep the title under 200 characters." }
        if body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return "A post needs some text." }
        return nil
    }

    /// The reason typed in a form, trimmed and at most 500 characters; `nil` when none was given.
    static func reason(_ text: String?) -> String? {
        let trimmed = (text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : String(trimmed.prefix(500))
    }
}
