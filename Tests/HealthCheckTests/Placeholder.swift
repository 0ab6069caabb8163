enum HealthCheckTestsPlaceholder {}
