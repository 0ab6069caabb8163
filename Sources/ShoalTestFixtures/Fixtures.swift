/// Live peers for tests: processes started from Debian's packages, on loopback, stopped by PID.
public enum ShoalTestFixtures {}
