#if Vapor
    import Foundation
    import NIOCore

    /// A network in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or one address: `127.0.0.1`), such as
    /// those of the reverse proxies in ``Vapor/Application/Continuum/trustedProxies``.
    ///
    /// IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`) match IPv4 networks.
    public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
        /// The network's address bytes (4 for IPv4, 16 for IPv6), host bits cleared.
        let bytes: [UInt8]
        /// The prefix length in bits.
        public let prefixLength: Int

        /// Parses `cidr`: an IPv4 or IPv6 address, optionally followed by `/` and a prefix length.
        ///
        /// - Throws: ``VaporContinuumError/invalidNetwork(_:)`` when it is not one.
        public init(_ cidr: String) throws {
            let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let bytes = Self.parse(String(parts[0])) else { throw VaporContinuumError.invalidNetwork(cidr) }
            let length: Int
            if parts.count == 2 {
                guard let parsed = Int(parts[1]), (0...(bytes.count * 8)).contains(parsed) else {
                    throw VaporContinuumError.invalidNetwork(cidr)
                }
                length = parsed
            } else {
                length = bytes.count * 8
            }
            self.prefixLength = length
            self.bytes = Self.mask(bytes, length)
        }

        /// The loopback networks, `127.0.0.0/8` and `::1`: a proxy on the same machine.
        public static var loopback: [IPNetwork] { [try! IPNetwork("127.0.0.0/8"), try! IPNetwork("::1")] }

        /// Whether `address` (an IPv4 or IPv6 address in text form) is in this network. Text that
        /// is not an address is in no network.
        public func contains(_ address: String) -> Bool {
            guard let candidate = Self.parse(address), candidate.count == self.bytes.count else { return false }
            return Self.mask(candidate, self.prefixLength) == self.bytes
        }

        /// The network in CIDR notation, `10.0.0.0/8`.
        public var description: String {
            let address = (try? SocketAddress(packedIPAddress: ByteBuffer(bytes: self.bytes), port: 0))?.ipAddress ?? "?"
            return "\(address)/\(self.prefixLength)"
        }

        /// The address bytes of `text`, IPv4-mapped IPv6 addresses as IPv4; `nil` if it is not an
        /// IP address.
        static func parse(_ text: String) -> [UInt8]? {
            guard !text.isEmpty, text.count <= 45, let address = try? SocketAddress(ipAddress: text, port: 0) else { return nil }
            switch address {
            case .v4(let v4):
                return withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
            case .v6(let v6):
                let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
                if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
                return bytes
            case .unixDomainSocket:
                return nil
            }
        }

        private static func mask(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
            bytes.enumerated().map { index, byte in
                let bits = min(8, max(0, length - index * 8))
                return bits == 8 ? byte : byte & ~(UInt8(0xFF) >> bits)
            }
        }
    }
#endif
