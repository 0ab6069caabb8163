enum DirectorProxyPlaceholder {}
