/// The HTML of an autoindex page: one link per entry, directories first marked with `/`, names escaped.
public enum DirectoryListing {
    public static func html(title: String, entries: [DirectoryEntry]) -> String {
        let escapedTitle = escape(title)
        var html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of \(escapedTitle)</title></head>\n"
            + "<body><h1>Index of \(escapedTitle)</h1><hr><pre><a href=\"../\">../</a>\n"
        for entry in entries.sorted(by: { ($0.isDirectory ? 0 : 1, $0.name) < ($1.isDirectory ? 0 : 1, $1.name) }) {
            let name = entry.name + (entry.isDirectory ? "/" : "")
            let href = RequestPath.percentEncode(entry.name) + (entry.isDirectory ? "/" : "")
            html += "<a href=\"\(escape(href))\">\(escape(name))</a> \(HTTPDate.format(entry.modifiedSeconds)) \(entry.isDirectory ? "-" : "\(entry.size)")\n"
        }
        return html + "</pre><hr></body></html>\n"
    }

    /// HTML-escapes `&`, `<`, `>`, `"` and `'`.
    public static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
