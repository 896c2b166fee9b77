import ArgumentParser

@main
struct ContinuumCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "continuum",
        abstract: "Versioning and audit history for Fluent, on SQLite and PostgreSQL.",
        subcommands: [DemoCommand.self]
    )
}
