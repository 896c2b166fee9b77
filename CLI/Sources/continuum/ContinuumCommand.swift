import ArgumentParser
import ContinuumSQL
import Foundation
import PostgresNIO

@main
struct ContinuumCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "continuum",
        abstract: "Version and inspect the history of any SQLite or PostgreSQL database.",
        discussion: """
            History is written by triggers in tables compatible with SQLAlchemy-Continuum, so the \
            database may belong to any application. Give the database with --database (or \
            DATABASE_URL): sqlite:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE. \
            Tables in another PostgreSQL schema: SCHEMA.TABLE, or --schema.

            Exit status: 0 ok; 1 problems found (verify, drift in status); 2 the command failed \
            (the message says why and what to do); 64 usage (unknown command or option, malformed \
            argument or URL).

            Example:
              continuum --database sqlite:app.sqlite init
              continuum --database sqlite:app.sqlite enable article tag
              continuum --database sqlite:app.sqlite log --limit 5
            """,
        subcommands: [
            InitCommand.self, EnableCommand.self, DisableCommand.self, SyncCommand.self, AlterCommand.self, StatusCommand.self,
            BackfillCommand.self, LogCommand.self, ShowCommand.self, HistoryCommand.self, DiffCommand.self,
            AsOfCommand.self, RevertCommand.self, RevertTransactionCommand.self, VerifyCommand.self,
            SealCommand.self, PruneCommand.self, RedactCommand.self, StorageCommand.self, ExportCommand.self, DemoCommand.self,
        ]
    )

    /// `--database` and `--schema` before the command name; every command reads the same values
    /// (an `@OptionGroup` of the same type), so they may also follow it.
    @OptionGroup var connection: DatabaseOptions

    /// Parses, runs, and maps failures to the documented exit statuses: usage errors 64
    /// (ArgumentParser's own), engine and driver errors 2 with their message on stderr.
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try Self.parseAsRoot()
        } catch {
            Self.exit(withError: error)
        }
        do {
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            Terminal.err("error: \(error.description)\n")
            Foundation.exit(error.status)
        } catch let error as ContinuumError {
            Terminal.err("error: \(CLIError.from(error, tables: []).description)\n")
            Foundation.exit(ExitStatus.failure)
        } catch let error as ValidationError {
            Self.exit(withError: error)
        } catch let error as ExitCode {
            Self.exit(withError: error)
        } catch let error as CleanExit {
            Self.exit(withError: error)
        } catch  where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            // Help, usage and validation errors raised while running (such as `--help` after
            // a command's arguments): ArgumentParser prints and chooses the status.
            Self.exit(withError: error)
        } catch {
            Terminal.err("error: \(Self.describe(error))\n")
            Foundation.exit(ExitStatus.failure)
        }
    }

    /// A driver error's message: PostgresNIO hides the server's message from `description`.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            guard let message = error.serverInfo?[.message] else { return "PostgreSQL: \(error.code)" }
            return "PostgreSQL refused the statement: \(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?")); nothing was changed"
        }
        let text = String(describing: error)
        return text.hasPrefix("error: ") ? String(text.dropFirst("error: ".count)) : text
    }
}
