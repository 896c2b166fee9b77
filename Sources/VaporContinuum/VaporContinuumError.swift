#if Vapor
    import Vapor

    /// An error of swift-continuum's Vapor integration.
    public struct VaporContinuumError: Error, Sendable, Equatable, CustomStringConvertible {
        private enum Code: Sendable, Equatable {
            case invalidNetwork(String)
            case drift([String])
        }

        private let code: Code

        private init(_ code: Code) { self.code = code }

        /// A trusted proxy network that is not an IP address with an optional prefix length.
        public static func invalidNetwork(_ text: String) -> Self { .init(.invalidNetwork(text)) }

        /// The drift check at boot found versioned tables whose history no longer matches them
        /// (``DriftCheck/refuseToStart``).
        public static func drift(tables: [String]) -> Self { .init(.drift(tables)) }

        /// What happened and what to do.
        public var description: String {
            switch self.code {
            case .invalidNetwork(let text):
                return "\"\(text)\" is not a network: write an IPv4 or IPv6 address with an optional prefix length, such as 10.0.0.0/8"
            case .drift(let tables):
                return
                    "versioning has drifted on \(tables.map { "\"\($0)\"" }.joined(separator: ", ")): the application refused to start (app.continuum.driftCheck = .refuseToStart); the log names the fix for each table"
            }
        }
    }

    extension VaporContinuumError: AbortError {
        /// `500` for every case: these are configuration errors of the application.
        public var status: HTTPResponseStatus { .internalServerError }
        /// The description.
        public var reason: String { self.description }
    }
#endif
