import BlogApp
import Fluent
import FluentContinuum
import Testing
import VaporTesting

@Suite("Blog routes")
struct BlogRouteTests {
    @Test("every page asks for a login first; the login page lists the demo accounts", arguments: TestDatabase.available)
    func loginRequired(_ database: TestDatabase) async throws {
        try await database.withBlog { app in
            let browser = Browser(app)
            for path in ["/", "/posts/new", "/activity", "/log", "/deleted", "/posts/1/history"] {
                let response = try await browser.get(path)
                #expect(response.status == .seeOther, "\(path)")
                #expect(response.location?.hasPrefix("/login?next=") == true, "\(path)")
            }
            let login = try await browser.get("/login")
            #expect(login.body.string.contains("alice"))
            // A wrong password is refused; nothing is logged in.
            let wrong = try await browser.post("/login", ["username": "alice", "password": "nope"])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.body.string.contains("Wrong username or password."))
            #expect(try await browser.get("/").status == .seeOther)
            // A logged-out visitor cannot write either, even with a valid token.
            let write = try await browser.post("/posts", ["title": "Sneaky", "body": "text"])
            #expect(write.status == .seeOther)
            #expect(try await Post.query(on: app.db).count() == 0)
            // The session cookie is HttpOnly and SameSite=Lax.
            try await browser.logIn("alice")
            let cookie = try await Browser(app).get("/login").headers.first(name: .setCookie) ?? ""
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(try await browser.get("/").status == .ok)
        }
    }

    @Test("logging in gives the browser a new session id: a session id known before the login (fixation) is worth nothing", arguments: TestDatabase.available)
    func sessionRenewedAtLogin(_ database: TestDatabase) async throws {
        try await database.withBlog { app in
            let victim = Browser(app)
            try await victim.get("/login")
            let planted = try #require(victim.cookie, "the login page starts a session (its CSRF token)")
            let tokenBefore = victim.csrf
            let response = try await victim.post("/login", ["username": "alice", "password": "alice-demo"])
            #expect(response.status == .seeOther)
            #expect(victim.cookie != planted, "a new session id at login")
            #expect(try await victim.get("/").status == .ok)
            #expect(victim.csrf != tokenBefore, "and a new CSRF token")
            // An attacker who planted (or read) the old id is not logged in with it.
            let attacker = Browser(app)
            attacker.cookie = planted
            let page = try await attacker.get("/")
            #expect(page.status == .seeOther && page.location?.hasPrefix("/login") == true)
        }
    }

    @Test("a form without its CSRF token, or with a wrong one, is refused with 403 and writes nothing", arguments: TestDatabase.available)
    func csrf(_ database: TestDatabase) async throws {
        try await database.withBlog { app in
            let browser = Browser(app)
            try await browser.logIn("alice")
            // The login form itself is protected.
            #expect(try await Browser(app).post("/login", ["username": "alice", "password": "alice-demo"], csrf: .some(nil)).status == .forbidden)

            let form = ["title": "Hello", "body": "First post", "reason": "test"]
            let missing = try await browser.post("/posts", form, csrf: .some(nil))
            #expect(missing.status == .forbidden)
            let wrong = try await browser.post("/posts", form, csrf: "not-the-token")
            #expect(wrong.status == .forbidden)
            #expect(wrong.body.string.contains("Not allowed"))
            #expect(try await Post.query(on: app.db).count() == 0)
            #expect(try await Transaction.query(on: app.db).count() == 0)

            let created = try await browser.post("/posts", form)
            #expect(created.status == .seeOther)
            let post = try #require(try await Post.query(on: app.db).first())
            let id = try post.requireID()
            // Every other write checks the token too.
            for path in ["/posts/\(id)/edit", "/posts/\(id)/delete", "/logout"] {
                #expect(try await browser.post(path, ["title": "x", "body": "y"], csrf: "wrong").status == .forbidden, "\(path)")
            }
            #expect(try await Post.find(id, on: app.db)?.title == "Hello")
            #expect(try await Post.versionCount(id: id, on: app.db) == 1)
        }
    }

    @Test("a write is one transaction with the user, the action and the reason from the form", arguments: TestDatabase.available)
    func writesRecordTheUser(_ database: TestDatabase) async throws {
        try await database.withBlog { app in
            let browser = Browser(app)
            try await browser.logIn("alice")
            try await browser.post("/posts", ["title": "Hello", "body": "First post", "reason": "launch day"])
            let post = try #require(try await Post.query(on: app.db).first())
            let alice = try #require(try await User.query(on: app.db).filter(\.$username == "alice").first())
            let transaction = try #require(try await Transaction.query(on: app.db).first())
            #expect(transaction.userID == alice.id?.uuidString)
            #expect(try await transaction.meta(on: app.db) == ["action": "created", "reason": "launch day"])
            let history = try await browser.get("/posts/\(try post.requireID())/history")
            #expect(history.body.string.contains("Alice Martin"))
            #expect(history.body.string.contains("launch day"))
            #expect(!history.body.string.contains(alice.id!.uuidString))
        }
    }

    @Test("the transaction log filters by user and by day; a malformed day is a 400", arguments: TestDatabase.available)
    func logFilters(_ database: TestDatabase) async throws {
        try await database.withBlog { app in
            let browser = Browser(app)
            try await browser.logIn("alice")
            try await browser.post("/posts", ["title": "Dated post", "body": "text", "reason": "today"])
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyy-MM-dd"
            let today = formatter.string(from: Date())
            let yesterday = formatter.string(from: Date().addingTimeInterval(-86_400))
            let tomorrow = formatter.string(from: Date().addingTimeInterval(86_400))

            let todays = try await browser.get("/log?from=\(today)&to=\(today)")
            #expect(todays.status == .ok && todays.body.string.contains("Dated post"))
            #expect(todays.body.string.contains("from \(today) to \(today)"))
            #expect(todays.body.string.contains("value=\"\(today)\""), "the form keeps the days")
            let later = try await browser.get("/log?from=\(tomorrow)")
            #expect(later.status == .ok && !later.body.string.contains("Dated post"))
            #expect(later.body.string.contains("No transactions from \(tomorrow)."))
            let earlier = try await browser.get("/log?user=alice&to=\(yesterday)")
            #expect(earlier.status == .ok && !earlier.body.string.contains("Dated post"))
            #expect(try await browser.get("/log?user=alice&from=\(yesterday)").body.string.contains("Dated post"))
            #expect(try await browser.get("/log?from=29-11-2026").status == .badRequest)
        }
    }

    @Test("a restore is a new revision recorded with the user who restored", arguments: TestDatabase.available)
    func restoreRecordsTheActingUser(_ database: TestDatabase) async throws {
        try await database.withBlog { app in
            let alice = Browser(app)
            try await alice.logIn("alice")
            try await alice.post("/posts", ["title": "Draft", "body": "one two three"])
            let id = try #require(try await Post.query(on: app.db).first()?.requireID())
            try await alice.post("/posts/\(id)/edit", ["title": "Final", "body": "one 2 three", "reason": "numbers"])
            let first = try #require(try await Post.versions(id: id, on: app.db).first)

            let bob = Browser(app)
            try await bob.logIn("bob")
            // The confirmation page shows what restoring changes, and changes nothing itself.
            let confirm = try await bob.get("/posts/\(id)/revisions/\(first.transactionID)/restore")
            #expect(confirm.status == .ok)
            #expect(confirm.body.string.contains("Restore revision 1?"))
            #expect(confirm.body.string.contains("<del>Final</del><ins>Draft</ins>"))
            #expect(try await Post.versionCount(id: id, on: app.db) == 2)

            let restored = try await bob.post("/posts/\(id)/revisions/\(first.transactionID)/restore", ["reason": "back to the draft"])
            #expect(restored.status == .seeOther)
            let versions = try await Post.versions(id: id, on: app.db)
            #expect(versions.count == 3)
            #expect(versions[2].model.title == "Draft")
            #expect(versions[2].model.body == "one two three")
            let transaction = try await versions[2].transaction(on: app.db)
            let bobUser = try #require(try await User.query(on: app.db).filter(\.$username == "bob").first())
            #expect(transaction.userID == bobUser.id?.uuidString)
            #expect(try await transaction.meta(on: app.db) == ["action": "restored", "restored_revision": "1", "reason": "back to the draft"])
            let history = try await bob.get("/posts/\(id)/history")
            #expect(history.body.string.contains("Restored"))
            #expect(history.body.string.contains("Bob Okafor"))
            #expect(history.body.string.contains("to revision 1"))
        }
    }

    @Test("edit from a revision preloads that revision's values", arguments: TestDatabase.available)
    func editFromRevision(_ database: TestDatabase) async throws {
        try await database.withBlog { app in
            let browser = Browser(app)
            try await browser.logIn("alice")
            try await browser.post("/posts", ["title": "Old title", "body": "Old body"])
            let id = try #require(try await Post.query(on: app.db).first()?.requireID())
            try await browser.post("/posts/\(id)/edit", ["title": "New title", "body": "New body"])
            let first = try #require(try await Post.versions(id: id, on: app.db).first)

            let current = try await browser.get("/posts/\(id)/edit")
            #expect(current.body.string.contains(#"value="New title""#))
            let form = try await browser.get("/posts/\(id)/edit?from=\(first.transactionID)")
            #expect(form.status == .ok)
            #expect(form.body.string.contains(#"value="Old title""#))
            #expect(form.body.string.contains(">Old body</textarea>"))
            #expect(form.body.string.contains("This form holds revision 1"))
            // Saving it makes a third revision that says where it came from.
            try await browser.post("/posts/\(id)/edit", ["title": "Old title", "body": "Old body, again", "fromRevision": "1"])
            let versions = try await Post.versions(id: id, on: app.db)
            #expect(versions.count == 3)
            #expect(try await versions[2].transaction(on: app.db).meta(on: app.db)["based_on_revision"] == "1")
        }
    }

    @Test("a title like <script> is shown escaped on every page", arguments: TestDatabase.available)
    func escaping(_ database: TestDatabase) async throws {
        try await database.withBlog { app in
            let browser = Browser(app)
            try await browser.logIn("alice")
            let title = #"<script>alert("x")</script>"#
            try await browser.post("/posts", ["title": title, "body": "<b>bold</b> & \"quoted\"", "reason": "<img src=x onerror=alert(1)>"])
            let id = try #require(try await Post.query(on: app.db).first()?.requireID())
            try await browser.post("/posts/\(id)/edit", ["title": title + "!", "body": "<i>x</i>"])
            let first = try #require(try await Post.versions(id: id, on: app.db).first)
            for path in [
                "/", "/posts/\(id)", "/posts/\(id)/edit", "/posts/\(id)/history", "/posts/\(id)/revisions/\(first.transactionID)",
                "/posts/\(id)/edit?from=\(first.transactionID)", "/activity", "/log",
            ] {
                let html = try await browser.get(path).body.string
                #expect(!html.contains("<script>"), "\(path)")
                #expect(!html.contains("<b>bold"), "\(path)")
                #expect(!html.contains("<img"), "\(path)")
                #expect(!html.contains("<i>x"), "\(path)")
                #expect(html.contains("&lt;script&gt;"), "\(path)")
            }
        }
    }

    @Test("the revision page shows a word diff against the previous revision and against a chosen one", arguments: TestDatabase.available)
    func wordDiff(_ database: TestDatabase) async throws {
        try await database.withBlog { app in
            let browser = Browser(app)
            try await browser.logIn("alice")
            try await browser.post("/posts", ["title": "Diffs", "body": "The quick brown fox jumps."])
            let id = try #require(try await Post.query(on: app.db).first()?.requireID())
            try await browser.post("/posts/\(id)/edit", ["title": "Diffs", "body": "The quick red fox jumps."])
            try await browser.post("/posts/\(id)/edit", ["title": "Diffs", "body": "The slow red fox sleeps."])
            let versions = try await Post.versions(id: id, on: app.db)
            let previous = try await browser.get("/posts/\(id)/revisions/\(versions[2].transactionID)").body.string
            #expect(previous.contains("<del>quick</del><ins>slow</ins>"))
            #expect(previous.contains("<del>jumps</del><ins>sleeps</ins><span>.</span>"))
            #expect(previous.contains("<span>The </span>"))
            let chosen = try await browser.get("/posts/\(id)/revisions/\(versions[2].transactionID)?against=\(versions[0].transactionID)").body.string
            #expect(chosen.contains("<del>quick brown</del><ins>slow red</ins>"))
            #expect(chosen.contains("Now: revision 1"))
        }
    }

    @Test("delete and undelete, each with its user, listed under Deleted posts and in the activity feed", arguments: TestDatabase.available)
    func deleteAndUndelete(_ database: TestDatabase) async throws {
        try await database.withBlog { app in
            let browser = Browser(app)
            try await browser.logIn("bob")
            #expect(try await browser.get("/deleted").body.string.contains("Nothing deleted."))
            try await browser.post("/posts", ["title": "Short-lived", "body": "text"])
            let id = try #require(try await Post.query(on: app.db).first()?.requireID())
            #expect(try await browser.get("/posts/\(id)/delete").body.string.contains("Delete “Short-lived”?"))
            try await browser.post("/posts/\(id)/delete", ["reason": "duplicate"])
            #expect(try await Post.find(id, on: app.db) == nil)
            let deleted = try await browser.get("/deleted").body.string
            #expect(deleted.contains("Short-lived"))
            #expect(deleted.contains("Bob Okafor"))
            #expect(deleted.contains("duplicate"))
            let undelete = try await browser.post("/deleted/\(id)/undelete", [:])
            #expect(undelete.location == "/posts/\(id)")
            #expect(try await Post.find(id, on: app.db)?.title == "Short-lived")
            #expect(try await browser.post("/deleted/\(id)/undelete", [:]).status == .conflict)
            let activity = try await browser.get("/activity").body.string
            for verb in ["created", "deleted", "undeleted"] { #expect(activity.contains(verb)) }
            let log = try await browser.get("/log?user=alice").body.string
            #expect(log.contains("No transactions by Alice Martin."))
            #expect(try await browser.get("/log?user=bob").body.string.contains("Short-lived"))
        }
    }

    @Test("every write records an activity in its transaction, with the acting user and the post as it was", arguments: TestDatabase.available)
    func activities(_ database: TestDatabase) async throws {
        try await database.withBlog { app in
            let alice = Browser(app)
            try await alice.logIn("alice")
            try await alice.post("/posts", ["title": "First", "body": "one", "reason": "hello"])
            let id = try #require(try await Post.query(on: app.db).first()?.requireID())
            try await alice.post("/posts/\(id)/edit", ["title": "Second", "body": "two"])
            let first = try #require(try await Post.versions(id: id, on: app.db).first)
            let bob = Browser(app)
            try await bob.logIn("bob")
            try await bob.post("/posts/\(id)/revisions/\(first.transactionID)/restore", [:])
            try await bob.post("/posts/\(id)/delete", ["reason": "gone"])
            try await bob.post("/deleted/\(id)/undelete", [:])

            let feed = try await Activity.feed(on: app.db)
            #expect(feed.map(\.verb) == ["undeleted", "deleted", "restored", "edited", "created"])
            let users = try await User.query(on: app.db).all()
            let name = Dictionary(uniqueKeysWithValues: users.map { ($0.id!.uuidString, $0.username) })
            #expect(feed.map { $0.userID.flatMap { name[$0] } } == ["bob", "bob", "bob", "alice", "alice"])
            #expect(try feed[1].data(as: [String: String].self) == ["reason": "gone"])
            #expect(try feed[2].data(as: [String: String].self) == ["restored_revision": "1"])
            // Each activity is in the transaction of the writes it describes.
            let versions = try await Post.versions(id: id, on: app.db)
            #expect(feed.reversed().map(\.transactionID) == versions.map(\.transactionID))
            // The deleted post's activity shows it as it was when it was deleted.
            #expect(try await feed[1].objectVersion(Post.self, on: app.db)?.operation == .delete)

            let page = try await bob.get("/activity").body.string
            #expect(page.contains("Bob Okafor</strong> restored"))
            #expect(page.contains("to revision 1"))
            #expect(page.contains("Alice Martin</strong> created"))
        }
    }
}
