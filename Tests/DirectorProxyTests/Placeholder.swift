enum DirectorProxyTestsPlaceholder {}
