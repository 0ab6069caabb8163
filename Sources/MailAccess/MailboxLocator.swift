public import Directory
public import MailStore

/// Where a directory user's mail lives: the one mapping from a directory entry to a store mailbox, for
/// delivery (SMTP/LMTP) and for reading (POP3/IMAP) alike.
public enum MailboxLocator {
    /// The mailbox owner of `user`; `address` (the recipient) supplies the domain when the login has none.
    public static func owner(of user: DirectoryUser, address: String? = nil) -> MailboxOwner {
        let domain = user.login.contains("@") ? nil : domainPart(of: user.primaryAddress ?? address ?? "")
        return MailboxOwner(login: user.login, domain: domain?.isEmpty == true ? nil : domain, location: user.mailbox,
                            quotaBytes: user.quotaBytes, quotaMessages: user.quotaMessages)
    }

    /// The lowercased domain of an address (empty when it has none).
    public static func domainPart(of address: String) -> String {
        guard let at = address.lastIndex(of: "@") else { return "" }
        return String(address[address.index(after: at)...]).lowercased()
    }
}
