import HTMLSanitizer
import Testing
import ShoalTestFixtures

/// The allow-list sanitizer against the hostile forms mail HTML uses: every case names what must be gone and
/// what must stay.
@Suite(.offCooperativePool) struct SanitizerTests {
    static func clean(_ html: String, remote: Bool = false) -> String {
        HTMLSanitizer(allowsRemoteImages: remote, contentIDURL: { "/part?cid=\($0)" }).sanitize(html).html
    }

    @Test func formattingIsKeptAndEventHandlersGo() {
        #expect(Self.clean("<p onclick=\"x()\" ONMOUSEOVER=y>Hi <b>there</b></p>") == "<p>Hi <b>there</b></p>")
        #expect(Self.clean("<table border=1><tr><td colspan=2 onfocus=x>c</td></tr></table>")
            == "<table border=\"1\"><tr><td colspan=\"2\">c</td></tr></table>")
    }

    @Test(arguments: [
        "<script>alert(1)</script>", "<SCRIPT SRC=//x.example/a.js></SCRIPT>", "<script/>alert(1)</script>",
        "<style>body{background:url(//x)}</style>", "<iframe src=\"//x\">inner</iframe>", "<object data=x>o</object>",
        "<embed src=x>", "<svg><script>alert(1)</script></svg>", "<svg onload=alert(1)><circle/></svg>",
        "<math><mi xlink:href=\"javascript:alert(1)\">m</mi></math>", "<template><img src=x onerror=alert(1)></template>",
        "<noscript><img src=x onerror=alert(1)></noscript>", "<frameset><frame src=x></frameset>",
        "<select><option>a</option></select>", "<textarea><b>t</b></textarea>", "<title>t</title>",
        "<video src=x></video>", "<audio src=x></audio>", "<head><meta http-equiv=refresh content=0;url=//x></head>",
    ])
    func dangerousElementsGoWithTheirContent(html: String) {
        #expect(Self.clean(html + "after") == "after")
    }

    @Test(arguments: [
        "javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)", "java&#x09;script:alert(1)",
        "&#106;avascript:alert(1)", "jav&#x0A;ascript:alert(1)", "vbscript:msgbox(1)", "data:text/html,<script>alert(1)</script>",
        "data:image/svg+xml;base64,PHN2Zz4=", "file:///etc/passwd", "/logout", "?folder=Trash", "//evil.example/",
        "java\u{1}script:alert(1)", "",
    ])
    func linksOnlyToWebAndMail(href: String) {
        #expect(Self.clean("<a href=\"\(href)\">x</a>") == "<a target=\"_blank\" rel=\"noopener noreferrer nofollow\">x</a>")
    }

    @Test func safeLinksOpenWithoutReferrer() {
        #expect(Self.clean("<a href=\"https://example.org/?a=1&amp;b=2\">x</a>")
            == "<a href=\"https://example.org/?a=1&amp;b=2\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">x</a>")
        #expect(Self.clean("<a href=' mailto:a@example.org '>m</a>").contains("href=\"mailto:a@example.org\""))
        #expect(Self.clean("<a href=\"http://x.example\" target=_self rel=opener>x</a>")
            == "<a href=\"http://x.example\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">x</a>")
    }

    @Test func remoteImagesAreBlockedUntilAllowed() {
        let sanitizer = HTMLSanitizer()
        let blocked = sanitizer.sanitize("<img src=\"http://t.example/p.gif\" alt=\"pic\"><img src='https://t.example/2'>")
        #expect(blocked.html == "<img alt=\"pic\"><img>")
        #expect(blocked.blockedRemoteImages == 2)
        let allowed = HTMLSanitizer(allowsRemoteImages: true).sanitize("<img src=\"http://t.example/p.gif\">")
        #expect(allowed.html == "<img src=\"http://t.example/p.gif\">")
        #expect(allowed.blockedRemoteImages == 0)
    }

    @Test func inlineImagesAreMappedAndOtherSourcesDropped() {
        #expect(Self.clean("<img src=\"cid:logo@x\">") == "<img src=\"/part?cid=logo@x\">")
        #expect(HTMLSanitizer().sanitize("<img src=\"cid:logo@x\">").html == "<img>")
        for source in ["data:image/png;base64,AAAA", "javascript:alert(1)", "x.png", "//x.example/a.png"] {
            #expect(Self.clean("<img src=\"\(source)\" srcset=\"http://x 1x\" onerror=alert(1)>") == "<img>")
        }
    }

    @Test func cssIsFiltered() {
        #expect(Self.clean("<div style=\"color: red; background: url(http://x); width: expression(alert(1))\">s</div>")
            == "<div style=\"color: red\">s</div>")
        #expect(Self.clean("<p style=\"position: fixed; top: 0\">p</p>") == "<p>p</p>")
        #expect(Self.clean("<p style=\"color: rgb(1, 2, 3); font-weight: bold\">p</p>") == "<p style=\"color: rgb(1, 2, 3); font-weight: bold\">p</p>")
        #expect(Self.clean("<p style=\"color: r\\65 d\">p</p>") == "<p>p</p>")
        #expect(Self.clean("<p style=\"-moz-binding: url(x)\">p</p>") == "<p>p</p>")
        #expect(Self.clean("<p style=\"behavior: url(x.htc)\">p</p>") == "<p>p</p>")
        #expect(Self.clean("<p style=\"width: calc(1px + expression(1))\">p</p>") == "<p>p</p>")
        #expect(Self.clean("<p style=\"color: /**/red\">p</p>") == "<p>p</p>")
        #expect(Self.clean("<p style=\"font-family: 'x'\">p</p>") == "<p>p</p>")
        #expect(Self.clean("<p style=\"background-color: &#x75;rl(x)\">p</p>") == "<p>p</p>")
    }

    @Test func formsAndTheirControlsGo() {
        #expect(Self.clean("<form action=\"https://x\" method=post><input name=a value=b><button formaction=x>go</button></form>") == "go")
    }

    @Test func idsClassesAndUnknownAttributesGo() {
        #expect(Self.clean("<div id=\"main\" class=\"x\" name=\"y\" data-x=1 tabindex=1 autofocus>d</div>") == "<div>d</div>")
    }

    @Test func malformedAndNestedMarkup() {
        #expect(Self.clean("<b><i>unclosed") == "<b><i>unclosed</i></b>")
        #expect(Self.clean("<b><i>x</b>y</i>") == "<b><i>x</i></b>y")
        #expect(Self.clean("</b>stray<!-- <script>alert(1)</script> --><!doctype html><?xml x?>") == "stray")
        #expect(Self.clean("<img src=x onerror=alert(1)//") == "")
        #expect(Self.clean("<<script>alert(1)//<</script>") == "&lt;")
        #expect(Self.clean("<p title=\"unterminated>x") == "")
        #expect(Self.clean("a < b > c & d") == "a &lt; b &gt; c &amp; d")
        #expect(Self.clean("<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>") == "<img>&quot;&gt;")
        #expect(Self.clean("<svg><svg></svg><script>alert(1)</script></svg>ok") == "ok")
        #expect(Self.clean("<!--><script>alert(1)</script>") == "")
        #expect(Self.clean("<unknown-tag onclick=x>text</unknown-tag>") == "text")
    }

    @Test func deepNestingIsCapped() {
        let deep = String(repeating: "<div>", count: 10_000) + "x"
        let out = Self.clean(deep)
        #expect(out.components("<div>") == SanitizerPolicy.mail.maximumDepth)
        #expect(out.components("</div>") == SanitizerPolicy.mail.maximumDepth)
        #expect(out.contains("x"))
    }

    @Test func attributeValuesAreEscapedOnOutput() {
        #expect(Self.clean("<p title='a\"><script>alert(1)</script>'>t</p>")
            == "<p title=\"a&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">t</p>")
        #expect(Self.clean("<p title=`x`>t</p>") == "<p title=\"`x`\">t</p>")
    }

    @Test func characterReferencesAreDecodedThenEscaped() {
        #expect(Self.clean("&lt;script&gt; &#60;b&#x3E; &#0; &#x110000; &nbsp;") == "&lt;script&gt; &lt;b&gt; \u{FFFD} \u{FFFD} \u{A0}")
        #expect(Self.clean("&#99999999999999999999;") == "\u{FFFD}")
    }

    @Test func repeatedAttributesKeepTheFirst() {
        #expect(Self.clean("<a href=\"https://ok.example\" href=\"javascript:alert(1)\">x</a>").contains("href=\"https://ok.example\""))
    }

    @Test func theContentSecurityPolicyForbidsScripts() {
        let csp = HTMLSanitizer.contentSecurityPolicy(remoteImages: false)
        #expect(csp.contains("script-src 'none'"))
        #expect(csp.contains("default-src 'none'"))
        #expect(csp.contains("img-src 'self';") || csp.hasSuffix("img-src 'self'"))
        #expect(HTMLSanitizer.contentSecurityPolicy(remoteImages: true).contains("img-src 'self' https: http:"))
    }

    @Test func largeInputsStayLinear() {
        let body = String(repeating: "<p onclick=x>para &amp; <b>bold</b></p>\n", count: 50_000)
        let out = Self.clean(body)
        #expect(out.components("<p>") == 50_000)
        #expect(!out.contains("onclick"))
        let angles = String(repeating: "<", count: 200_000)
        #expect(Self.clean(angles).components("&lt;") == 200_000)
    }

    /// Properties over generated inputs: nothing that can run script survives, whatever the input.
    @Test func generatedInputsNeverLeaveScript() {
        let pieces = ["<", ">", "/", "\"", "'", "=", " ", "script", "img", "a", "svg", "style", "on", "onerror", "href",
                      "src", "javascript:", "&#", "x", ";", "<!--", "-->", "!", "p", "iframe", "\n", "&lt;", "`", "data:"]
        var generator = SplitMix(seed: 18)
        for _ in 0..<20_000 {
            var input = ""
            for _ in 0..<Int(generator.next() % 24) { input += pieces[Int(generator.next() % UInt64(pieces.count))] }
            let out = Self.clean(input)
            #expect(Self.clean(out) == out, "not idempotent: \(input)")
            for token in HTMLTokenizer.tokens(out) {
                guard case let .startTag(name, attributes, _) = token else { continue }
                #expect(SanitizerPolicy.mail.elements.contains(name), "\(input)")
                for attribute in attributes {
                    #expect(!attribute.name.hasPrefix("on"), "\(input)")
                    #expect(attribute.name != "src", "\(input)")
                    if attribute.name == "href" { #expect(URLFilter.link(attribute.value) == attribute.value, "\(input)") }
                }
            }
        }
    }
}

/// A small deterministic generator for the property test.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension String {
    /// How many times `piece` occurs.
    func components(_ piece: String) -> Int {
        var count = 0
        var rest = Substring(self)
        while let range = rest.firstRange(of: piece) {
            count += 1
            rest = rest[range.upperBound...]
        }
        return count
    }
}
