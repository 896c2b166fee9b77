import Foundation

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
