import Foundation
import SQLKit

/// The registry entries an engine has read, so that a history read costs one query instead
/// of three (PostgreSQL: probe, registry, versions) or two (SQLite).
///
/// Entries are dropped by the engine's own `enable`, `sync`, `alter` and `disable`. A change
/// made elsewhere (another process, another engine) is caught by the read itself: a read
/// that fails, or whose key does not match the cached key columns, drops the entry and asks
/// the registry again. The version table is the truth a read returns, so a cached entry can
/// never make a read return another table's history.
final class RegistryCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: RegistryEntry] = [:]
    private var computed: [String: ComputedColumns] = [:]

    func entry(_ table: String) -> RegistryEntry? {
        self.lock.withLock { self.entries[table] }
    }

    func store(_ entry: RegistryEntry) {
        self.lock.withLock { self.entries[entry.table] = entry }
    }

    func computedColumns(_ table: String) -> ComputedColumns? {
        self.lock.withLock { self.computed[table] }
    }

    func store(_ columns: ComputedColumns, for table: String) {
        self.lock.withLock { self.computed[table] = columns }
    }

    func invalidate(_ table: String) {
        self.lock.withLock {
            self.entries[table] = nil
            self.computed[table] = nil
        }
    }

    func invalidateAll() {
        self.lock.withLock {
            self.entries.removeAll()
            self.computed.removeAll()
        }
    }
}

/// The columns of a live table whose values the database computes, which a revert writes
/// differently: generated columns are never written, identity columns `GENERATED ALWAYS` are
/// inserted with `OVERRIDING SYSTEM VALUE` and never updated (PostgreSQL; empty on SQLite).
package struct ComputedColumns: Sendable, Hashable {
    /// Generated columns.
    package var generated: Set<String>
    /// Identity columns `GENERATED ALWAYS`.
    package var identityAlways: Set<String>

    package static let none = ComputedColumns(generated: [], identityAlways: [])
}

extension VersioningEngine {
    /// The columns of `table` whose values the database computes (``ComputedColumns``), read
    /// once per engine and table (dropped by this engine's `enable`, `sync`, `alter`,
    /// `disable`). SQLite reports none: it does not list generated columns, so they are not
    /// versioned there.
    package func computedColumns(of table: String, on database: any SQLDatabase) async throws -> ComputedColumns {
        if let known = self.registryCache.computedColumns(table) { return known }
        guard try SQLDialectKind(database) == .postgresql else { return .none }
        guard let live = try await Introspector(database).describe(table) else { throw ContinuumError.tableNotFound(table) }
        let columns = ComputedColumns(
            generated: Set(live.columns.filter(\.isGenerated).map(\.name)),
            identityAlways: Set(live.columns.filter(\.isIdentityAlways).map(\.name))
        )
        self.registryCache.store(columns, for: table)
        return columns
    }
}
