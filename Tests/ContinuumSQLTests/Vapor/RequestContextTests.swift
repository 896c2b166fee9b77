#if Vapor
    import FluentContinuum
    import NIOCore
    import Testing
    import VaporContinuum
    import VaporTesting

    @Suite("Vapor: who and where a request's changes are recorded as")
    struct RequestContextTests {
        @Test("IP networks parse CIDR, match their addresses, and read IPv4-mapped IPv6 as IPv4")
        func networks() throws {
            let private10 = try IPNetwork("10.0.0.0/8")
            #expect(private10.contains("10.255.1.2"))
            #expect(!private10.contains("11.0.0.1"))
            #expect(private10.contains("::ffff:10.1.2.3"))
            #expect(!private10.contains("not an address"))
            let v6 = try IPNetwork("fd00::/8")
            #expect(v6.contains("fd12:3456::1"))
            #expect(!v6.contains("fe80::1"))
            #expect(!v6.contains("10.0.0.1"))
            #expect(try IPNetwork("192.168.1.77/24").description == "192.168.1.0/24")
            #expect(try IPNetwork("203.0.113.9").contains("203.0.113.9"))
            #expect(!(try IPNetwork("203.0.113.9")).contains("203.0.113.8"))
            for bad in ["10.0.0.0/33", "10.0.0/8", "", "10.0.0.0/", "example.com", "::1/129", "10.0.0.0/8/8"] {
                #expect(throws: VaporContinuumError.invalidNetwork(bad)) { try IPNetwork(bad) }
            }
        }

        /// The address recorded for a request from `peer` with `forwarded` as `X-Forwarded-For`.
        func clientAddress(peer: String, forwarded: [String], trusting trusted: [String]) async throws -> String? {
            try await withApp { app in
                app.continuum.trustedProxies = try trusted.map(IPNetwork.init)
                var headers = HTTPHeaders()
                for value in forwarded { headers.add(name: .xForwardedFor, value: value) }
                let request = Request(
                    application: app, method: .GET, url: "/", headers: headers,
                    remoteAddress: try SocketAddress(ipAddress: peer, port: 40_000), on: app.eventLoopGroup.any()
                )
                return try await request.continuum.remoteAddress()
            }
        }

        @Test("X-Forwarded-For is ignored unless the peer is a trusted proxy, then read right to left")
        func trustedProxies() async throws {
            // Nothing trusted (the default): the socket peer, whatever the header says.
            #expect(try await self.clientAddress(peer: "198.51.100.4", forwarded: ["203.0.113.7"], trusting: []) == "198.51.100.4")
            // A peer outside the trusted networks cannot claim another address.
            #expect(try await self.clientAddress(peer: "198.51.100.4", forwarded: ["203.0.113.7"], trusting: ["10.0.0.0/8"]) == "198.51.100.4")
            // Through a trusted proxy: the hop it saw.
            #expect(try await self.clientAddress(peer: "10.0.0.2", forwarded: ["203.0.113.7"], trusting: ["10.0.0.0/8"]) == "203.0.113.7")
            // Two trusted proxies; the leftmost entry is the client's own claim, not believed.
            #expect(try await self.clientAddress(peer: "10.0.0.2", forwarded: ["1.1.1.1, 203.0.113.7, 10.0.0.9"], trusting: ["10.0.0.0/8"]) == "203.0.113.7")
            // Several header lines are one list, in order.
            #expect(try await self.clientAddress(peer: "10.0.0.2", forwarded: ["1.1.1.1", "203.0.113.7"], trusting: ["10.0.0.0/8"]) == "203.0.113.7")
            // Every hop trusted: the leftmost.
            #expect(try await self.clientAddress(peer: "10.0.0.2", forwarded: ["10.0.0.5, 10.0.0.9"], trusting: ["10.0.0.0/8"]) == "10.0.0.5")
            // A malformed hop ends the walk at the proxy that reported it.
            #expect(try await self.clientAddress(peer: "10.0.0.2", forwarded: ["203.0.113.7, bogus"], trusting: ["10.0.0.0/8"]) == "10.0.0.2")
            // Ports and brackets are dropped; IPv6 proxies and clients.
            #expect(try await self.clientAddress(peer: "10.0.0.2", forwarded: ["203.0.113.7:5000"], trusting: ["10.0.0.0/8"]) == "203.0.113.7")
            #expect(try await self.clientAddress(peer: "fd00::2", forwarded: ["[2001:db8::1]:443"], trusting: ["fd00::/8"]) == "2001:db8::1")
            // The in-memory tester has no peer: nothing is recorded.
            try await withApp { app in
                let request = Request(application: app, on: app.eventLoopGroup.any())
                let address = try await request.continuum.remoteAddress()
                #expect(address == nil)
            }
        }

        @Test("req.versioned records the request's user, client address and meta in one transaction", arguments: TestDatabase.allCases)
        func versionedRequest(_ database: TestDatabase) async throws {
            try await database.withApp { app, db in
                app.recordUserFromHeader()
                app.continuum.trustedProxies = IPNetwork.loopback
                app.post("articles") { req async throws -> String in
                    let name = try req.query.get(String.self, at: "name")
                    return try await req.versioned(meta: ["reason": "new"]) { db in
                        let article = Article(name: name)
                        try await article.save(on: db)
                        try await Tag(name: "first", articleID: article.requireID()).save(on: db)
                        return "\(try article.requireID())"
                    }
                }
                app.post("fail") { req async throws -> String in
                    try await req.versioned { db in
                        try await Article(name: "never").save(on: db)
                        throw Abort(.imATeapot)
                    }
                }
                app.post("plain") { req async throws -> String in
                    try await Article(name: "outside").save(on: req.db)
                    return "ok"
                }
                // A real server on loopback, so the request has a socket peer (127.0.0.1).
                let tester = try app.testing(method: .running(hostname: "127.0.0.1", port: 0))
                try await tester.test(.POST, "articles?name=A", headers: ["X-User": "alice"]) { res in #expect(res.status == .ok) }
                try await tester.test(.POST, "articles?name=B", headers: ["X-User": "bob", "X-Forwarded-For": "203.0.113.7"]) { res in
                    #expect(res.status == .ok)
                }
                let log = try await Transaction.query(on: app.db).sort(\.$id).all()
                #expect(log.map(\.userID) == ["alice", "bob"])
                #expect(log.map(\.remoteAddress) == ["127.0.0.1", "203.0.113.7"])
                #expect(try await log[1].meta(on: app.db) == ["reason": "new"])
                #expect(try await log[1].changedEntities(on: app.db).keys.sorted() == ["Article", "Tag"])

                // A failing body rolls back its writes and their history.
                try await tester.test(.POST, "fail", headers: ["X-User": "carol"]) { res in #expect(res.status == .imATeapot) }
                #expect(try await Transaction.query(on: app.db).count() == 2)
                #expect(try await Article.query(on: app.db).count() == 2)

                // A write through req.db outside req.versioned is versioned, with no user or address.
                try await tester.test(.POST, "plain", headers: ["X-User": "dave"]) { res in #expect(res.status == .ok) }
                let outside = try #require(try await Transaction.query(on: app.db).sort(\.$id, .descending).first())
                #expect(outside.userID == nil)
                #expect(outside.remoteAddress == nil)
                #expect(try await Transaction.query(on: app.db).count() == 3)
                try await db.expectConsistent("article", "tag")
            }
        }
    }
#endif
