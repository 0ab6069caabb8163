import Testing
import WebServer

/// Accept-Encoding for precompressed siblings, and content types.
@Suite struct NegotiationTests {
    @Test func acceptEncoding() {
        #expect(AcceptEncoding(header: "gzip, deflate, br").accepts("br"))
        #expect(AcceptEncoding(header: "gzip;q=0.5").accepts("gzip"))
        #expect(!AcceptEncoding(header: "gzip;q=0").accepts("gzip"))
        #expect(!AcceptEncoding(header: "br;q=0.000, gzip").accepts("br"))
        #expect(AcceptEncoding(header: "*").accepts("br"))
        #expect(!AcceptEncoding(header: "*;q=0").accepts("gzip"))
        #expect(!AcceptEncoding(header: nil).accepts("gzip"))
        #expect(!AcceptEncoding(header: "identity").accepts("gzip"))
        #expect(AcceptEncoding(header: "x-gzip").accepts("gzip"))
        #expect(!AcceptEncoding(header: "gzip;q=2").accepts("gzip"))
    }

    @Test func mediaTypes() {
        var types = MediaTypes()
        #expect(types.contentType(forName: "a.HTML") == "text/html")
        #expect(types.contentType(forName: "noext") == "application/octet-stream")
        #expect(types.contentType(forName: ".hidden") == "application/octet-stream")
        types.add(mimeTypes: "# comment\napplication/x-thing  thing thg\ntext/plain txt\n")
        #expect(types.contentType(forName: "x.thg") == "application/x-thing")
        #expect(types.contentType(forName: "x.txt") == "text/plain")
    }
}
