import FluentContinuum
import FluentSQLiteDriver
import ArgumentParser
@main struct Main { static func main() {} }
