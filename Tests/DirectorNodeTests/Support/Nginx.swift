import Foundation

/// A real nginx (Debian `nginx-light`) with a generated configuration in a temporary directory.
final class Nginx: @unchecked Sendable {
    let directory: String
    let child: Child

    /// `servers` is the body of the `http {}` block (one or more `server {}` blocks).
    init(servers: String, waitFor listeners: [(String, Int)]) throws {
        let nginx = try tool("nginx", package: "nginx-light")
        directory = NSTemporaryDirectory() + "shoal-nginx-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let conf = """
            user root;
            worker_processes 1;
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path \(directory)/body;
                proxy_temp_path \(directory)/proxy;
                fastcgi_temp_path \(directory)/fastcgi;
                uwsgi_temp_path \(directory)/uwsgi;
                scgi_temp_path \(directory)/scgi;
                default_type text/plain;
                \(servers)
            }
            """
        try conf.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        child = try Child(nginx, ["-c", directory + "/nginx.conf", "-p", directory, "-g", "daemon off;"])
        for (host, port) in listeners { try waitForListener(host, port) }
    }

    func stop() {
        child.kill()
        // The master is gone; its worker exits when it notices. Kill stragglers by pid file if any.
        try? FileManager.default.removeItem(atPath: directory)
    }
}
