/// A minimal Dovecot configuration for reading one Maildir with doveadm (no services, static user), for
/// tests that check what Dovecot sees in a store Shoal wrote.
public enum DovecotConfig {
    /// The configuration text: runtime files under `directory`, the mailbox at `maildir`, owned by uid/gid.
    public static func text(directory: String, maildir: String, uid: UInt32, gid: UInt32) -> String {
        """
        base_dir = \(directory)/run
        state_dir = \(directory)/run
        log_path = \(directory)/dovecot.log
        mail_location = maildir:\(maildir)
        mail_uid = \(uid)
        mail_gid = \(gid)
        first_valid_uid = 1
        first_valid_gid = 1
        protocols =
        ssl = no
        passdb {
          driver = static
          args = nopassword=y
        }
        userdb {
          driver = static
          args = home=\(maildir)
        }

        """
    }
}
