enum DirectorAdminTestsPlaceholder {}
