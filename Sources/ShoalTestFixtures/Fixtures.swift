/// Live peers for tests: processes started from Debian's packages, on loopback, stopped by PID.
///
/// The one way to do each thing: `TestProcess` (start, wait off the pool, SIGTERM-then-SIGKILL, run to
/// completion), `TestPorts` (free ports, the listener probe, waiting for a listener), `NginxFixture`,
/// `SlapdFixture`, `PythonPeers` (a test target's `Peers/*.py` resources), `ShoalBinary`, `requiredTool`
/// (a missing tool fails naming its Debian package) and `offPool` (blocking work off the concurrency pool).
public enum ShoalTestFixtures {}
