import Foundation
import Testing

/// Runs the built `continuum` binary (CLI/ package) and captures what it prints.
///
/// The binary is `CONTINUUM_CLI` when set (scripts/test.sh builds it and sets it), else
/// `CLI/.build/debug/continuum` next to this package. A missing binary fails the test, with the
/// command that builds it: never a skip.
enum ContinuumCLI {
    struct Result: Sendable, CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String

        var description: String { "exit \(self.status)\n--- stdout\n\(self.stdout)--- stderr\n\(self.stderr)" }

        /// stdout parsed as JSON.
        func json() throws -> Any {
            try JSONSerialization.jsonObject(with: Data(self.stdout.utf8), options: [.fragmentsAllowed])
        }
    }

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["CONTINUUM_CLI"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent("CLI/.build/debug/continuum").path
    }

    /// Runs the binary with `arguments` and the environment minus `DATABASE_URL`, `NO_COLOR`
    /// and `FORCE_COLOR` (plus `environment`), without blocking a cooperative thread.
    static func run(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil, executable: String? = nil) async throws -> Result {
        guard executable != nil || FileManager.default.isExecutableFile(atPath: self.binary) else {
            Issue.record("no continuum binary at \(self.binary): build it with `swift build --package-path CLI` (scripts/test.sh does) or set CONTINUUM_CLI")
            throw CancellationError()
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("continuum-cli-tests")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let id = UUID().uuidString
        let out = scratch.appendingPathComponent("\(id).out"), err = scratch.appendingPathComponent("\(id).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? self.binary)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        for name in ["DATABASE_URL", "NO_COLOR", "FORCE_COLOR", "PGPASSWORD"] { env[name] = nil }
        env.merge(environment) { $1 }
        process.environment = env
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        try outHandle.close()
        try errHandle.close()
        return Result(
            status: status,
            stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self)
        )
    }
}

extension TestContext {
    /// The `--database` (and `--schema`) arguments naming this test's database.
    var cliDatabase: [String] {
        switch self.kind {
        case .sqlite: return ["--database", "sqlite:\(self.file!)"]
        case .postgres:
            return ["--database", TestContext.postgresURL, "--schema", self.schema!]
        }
    }

    /// The test server's URL, from POSTGRES_HOST/PORT/USER/PASSWORD/DB.
    static var postgresURL: String {
        let environment = ProcessInfo.processInfo.environment
        let user = environment["POSTGRES_USER"] ?? "postgres"
        let password = (environment["POSTGRES_PASSWORD"]).flatMap { $0.isEmpty ? nil : ":" + $0 } ?? ""
        let host = environment["POSTGRES_HOST"] ?? "127.0.0.1"
        let port = environment["POSTGRES_PORT"] ?? "5432"
        let database = environment["POSTGRES_DB"] ?? "postgres"
        return "postgres://\(user)\(password)@\(host):\(port)/\(database)?sslmode=disable"
    }

    /// Runs `continuum --database <this database> arguments...`.
    func cli(_ arguments: String..., environment: [String: String] = [:]) async throws -> ContinuumCLI.Result {
        try await ContinuumCLI.run(self.cliDatabase + arguments, environment: environment)
    }

    /// Runs it and expects exit status `status`, recording the output when it differs.
    @discardableResult
    func cli(expecting status: Int32, _ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) async throws -> ContinuumCLI.Result {
        let result = try await ContinuumCLI.run(self.cliDatabase + arguments)
        #expect(result.status == status, "continuum \(arguments.joined(separator: " ")): \(result)", sourceLocation: sourceLocation)
        return result
    }
}
