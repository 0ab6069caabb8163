/// The configuration of a test nginx (Debian `nginx-light`) run in the foreground as one process, with
/// its pid, logs and temporary files under one directory.
public enum NginxConfig {
    /// `nginx.conf` text whose `http {}` block holds `servers` (one or more `server {}` blocks).
    public static func text(directory: String, servers: String, workerConnections: Int = 256) -> String {
        """
        user root;
        pid \(directory)/nginx.pid;
        error_log \(directory)/error.log;
        master_process off;
        worker_processes 1;
        events { worker_connections \(workerConnections); }
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
    }

    /// The arguments that run nginx on `directory/nginx.conf` in the foreground.
    public static func arguments(directory: String) -> [String] {
        ["-c", "\(directory)/nginx.conf", "-p", directory, "-g", "daemon off;"]
    }
}
