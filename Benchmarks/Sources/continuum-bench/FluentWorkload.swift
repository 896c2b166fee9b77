import FluentContinuum
import FluentKit

/// The six phases through Fluent models, versioned or not. The code a Fluent user writes is the
/// same either way; versioning adds the `db.versioned` scope and the history reads.
struct FluentWorkload: Sendable {
    var workload: Workload
    var versioned: Bool

    private func scope(_ database: any Database, _ body: @escaping @Sendable (any Database) async throws -> Void) async throws {
        if self.versioned {
            try await database.versioned(userID: "bench", body)
        } else {
            try await database.transaction(body)
        }
    }

    func run(_ phase: Workload.Phase, on database: any Database) async throws {
        let workload = self.workload
        switch phase {
        case .insert:
            for batch in workload.allIDBatches {
                try await self.scope(database) { database in
                    for id in batch {
                        let article = Article(title: Workload.title(id), body: workload.body(id), status: Workload.status, views: 0)
                        try await article.create(on: database)
                        try await Tag(articleID: try article.requireID(), name: Workload.tagName(id)).create(on: database)
                    }
                }
            }
        case .update:
            for batch in workload.allIDBatches {
                try await self.scope(database) { database in
                    for article in try await Article.query(on: database).filter(\.$id ~~ batch).all() {
                        article.title = Workload.updatedTitle(try article.requireID())
                        article.views += 1
                        try await article.save(on: database)
                    }
                }
            }
        case .noop:
            for batch in workload.noopIDBatches {
                try await self.scope(database) { database in
                    for id in batch {
                        try await Article.query(on: database).filter(\.$id == id).set(\.$status, to: Workload.status).update()
                    }
                }
            }
        case .delete:
            for batch in workload.deleteIDBatches {
                try await self.scope(database) { database in
                    for id in batch {
                        let article = try await Self.find(id, on: database)
                        try await article.$tags.query(on: database).delete()
                        try await article.delete(on: database)
                    }
                }
            }
        case .read:
            for id in workload.readIDs {
                let article = try await Self.find(id, on: database)
                if self.versioned {
                    let versions = try await article.versions(on: database)
                    guard let last = versions.last, !last.changeset.isEmpty else { throw BenchError("article \(id) has no history") }
                } else {
                    _ = try await article.$tags.query(on: database).all()
                }
            }
        case .revert:
            for batch in workload.revertIDBatches {
                try await self.scope(database) { database in
                    for id in batch {
                        let article = try await Self.find(id, on: database)
                        if self.versioned {
                            guard let first = try await article.versions(on: database).first else { throw BenchError("article \(id) has no history") }
                            try await first.revert(on: database)
                        } else {
                            article.title = Workload.title(id)
                            article.body = workload.body(id)
                            article.status = Workload.status
                            article.views = 0
                            try await article.save(on: database)
                        }
                    }
                }
            }
        }
    }

    private static func find(_ id: Int, on database: any Database) async throws -> Article {
        guard let article = try await Article.find(id, on: database) else { throw BenchError("article \(id) is missing") }
        return article
    }
}
