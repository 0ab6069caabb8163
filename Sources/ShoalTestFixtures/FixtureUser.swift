public import Directory

/// A user the slapd fixture puts under `ou=people` (Directory's `SlapdUser`: an inetOrgPerson + posixAccount +
/// shadowAccount entry, with `shoalMailAccount` for aliases and quotas).
public typealias FixtureUser = SlapdUser
