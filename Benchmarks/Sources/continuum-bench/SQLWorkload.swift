import ContinuumSQL
import FluentKit
import SQLKit

/// The six phases as hand-written SQL through SQLKit, one statement per ORM statement: the floor
/// an ORM cannot beat. Values are always bound.
struct SQLWorkload: Sendable {
    var workload: Workload
    var versioned: Bool
    var engine = VersioningEngine()

    private func scope(_ database: OpenDatabase, _ body: @escaping @Sendable (any SQLDatabase) async throws -> Void) async throws {
        if self.versioned {
            try await self.engine.versioned(on: database.sql, userID: "bench", body)
        } else {
            try await database.fluent.transaction { try await body($0 as! any SQLDatabase) }
        }
    }

    func run(_ phase: Workload.Phase, on database: OpenDatabase) async throws {
        let workload = self.workload
        switch phase {
        case .insert:
            for batch in workload.allIDBatches {
                try await self.scope(database) { sql in
                    for id in batch {
                        let row = try await sql.raw(
                            """
                            INSERT INTO article (title, body, status, views) \
                            VALUES (\(bind: Workload.title(id)), \(bind: workload.body(id)), \(bind: Workload.status), \(bind: 0)) RETURNING id
                            """
                        ).first()
                        let articleID = try row!.decode(column: "id", as: Int.self)
                        try await sql.raw("INSERT INTO tag (article_id, name) VALUES (\(bind: articleID), \(bind: Workload.tagName(id)))").run()
                    }
                }
            }
        case .update:
            for batch in workload.allIDBatches {
                try await self.scope(database) { sql in
                    let rows = try await sql.select().columns("id", "views").from("article").where("id", .in, batch).all()
                    for row in rows {
                        let id = try row.decode(column: "id", as: Int.self)
                        let views = try row.decode(column: "views", as: Int.self)
                        try await sql.raw("UPDATE article SET title = \(bind: Workload.updatedTitle(id)), views = \(bind: views + 1) WHERE id = \(bind: id)").run()
                    }
                }
            }
        case .noop:
            for batch in workload.noopIDBatches {
                try await self.scope(database) { sql in
                    for id in batch {
                        try await sql.raw("UPDATE article SET status = \(bind: Workload.status) WHERE id = \(bind: id)").run()
                    }
                }
            }
        case .delete:
            for batch in workload.deleteIDBatches {
                try await self.scope(database) { sql in
                    for id in batch {
                        try await sql.raw("DELETE FROM tag WHERE article_id = \(bind: id)").run()
                        try await sql.raw("DELETE FROM article WHERE id = \(bind: id)").run()
                    }
                }
            }
        case .read:
            for id in workload.readIDs {
                guard try await database.sql.raw("SELECT * FROM article WHERE id = \(bind: id)").first() != nil else {
                    throw BenchError("article \(id) is missing")
                }
                if self.versioned {
                    let versions = try await self.engine.versions(of: "article", key: ["id": id], on: database.sql)
                    guard versions.count >= 2, try Self.changed(versions[versions.count - 2], versions[versions.count - 1]) else {
                        throw BenchError("article \(id) has no changes")
                    }
                } else {
                    _ = try await database.sql.raw("SELECT * FROM tag WHERE article_id = \(bind: id)").all()
                }
            }
        case .revert:
            for batch in workload.revertIDBatches {
                try await self.scope(database) { sql in
                    for id in batch {
                        if self.versioned {
                            guard let first = try await self.engine.versions(of: "article", key: ["id": id], on: sql).first else {
                                throw BenchError("article \(id) has no history")
                            }
                            try await sql.raw(
                                """
                                UPDATE article SET title = \(bind: try first.decode("title", as: String?.self)), \
                                body = \(bind: try first.decode("body", as: String?.self)), status = \(bind: try first.decode("status", as: String?.self)), \
                                views = \(bind: try first.decode("views", as: Int?.self)) WHERE id = \(bind: id)
                                """
                            ).run()
                        } else {
                            try await sql.raw(
                                """
                                UPDATE article SET title = \(bind: Workload.title(id)), body = \(bind: workload.body(id)), \
                                status = \(bind: Workload.status), views = \(bind: 0) WHERE id = \(bind: id)
                                """
                            ).run()
                        }
                    }
                }
            }
        }
    }

    /// The changeset of `new` against `old`, reduced to "did anything change".
    private static func changed(_ old: VersionRecord, _ new: VersionRecord) throws -> Bool {
        try ["title", "body", "status"].contains { try old.decode($0, as: String?.self) != new.decode($0, as: String?.self) }
            || old.decode("views", as: Int?.self) != new.decode("views", as: Int?.self)
    }
}
