import Foundation
import ShoalTestFixtures
import Testing
import WebServer

/// Headless Chromium (Debian `chromium`) loads a page with an image and a stylesheet from the node.
@Suite struct BrowserTests {
    static let onePixelPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

    @Test(arguments: WebEngine.allCases) func chromiumLoadsAPageWithItsImageAndStylesheet(engine: WebEngine) async throws {
        let chromium = try requiredTool("chromium", package: "chromium")
        let f = try await WebNodeFixture(engine: engine, host: "127.0.150.5")
        defer { Task { await f.stop() } }
        try FileManager.default.createDirectory(atPath: f.root + "/site/img", withIntermediateDirectories: true)
        try Data(base64Encoded: Self.onePixelPNG)!.write(to: URL(fileURLWithPath: f.root + "/site/img/dot.png"))
        try "body { color: rgb(1, 2, 3); }\n".write(toFile: f.root + "/site/style.css", atomically: true, encoding: .utf8)
        try """
            <!DOCTYPE html><html><head><link rel="stylesheet" href="style.css"></head><body>
            <img id="dot" src="img/dot.png">
            <script>
            window.addEventListener("load", () => {
              const img = document.getElementById("dot");
              document.body.dataset.image = img.complete && img.naturalWidth === 1 ? "loaded" : "missing";
              document.body.dataset.color = getComputedStyle(document.body).color;
            });
            </script></body></html>
            """.write(toFile: f.root + "/site/index.html", atomically: true, encoding: .utf8)
        let profile = f.base + "/chromium-profile"
        let result = try await TestProcess.run(chromium, [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile)",
            "--dump-dom", "\(f.url)/site/",
        ], timeout: 120)
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        #expect(result.stdout.contains("data-image=\"loaded\""), "\(result.stdout)")
        #expect(result.stdout.contains("data-color=\"rgb(1, 2, 3)\""), "\(result.stdout)")
    }
}
