public import DirectorProxy

/// TLS from the mail director to the mail nodes: the director's one `NodeTLS`.
public typealias MailNodeTLS = NodeTLS
