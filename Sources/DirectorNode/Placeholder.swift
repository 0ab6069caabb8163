enum DirectorNodePlaceholder {}
