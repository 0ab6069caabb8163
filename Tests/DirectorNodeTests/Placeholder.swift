enum DirectorNodeTestsPlaceholder {}
