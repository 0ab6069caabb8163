import ArgumentParser

/// The `shoal` command: the director's tools and, as they land, its servers.
@main
struct Shoal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shoal",
        abstract: "Scalable network services in the Linux Virtual Server style.",
        subcommands: [IPVSAdm.self, Simulate.self, Users.self, MailNodeCommand.self, DirectorCommand.self, RealServerSetupCommand.self, WebNodeCommand.self, CacheNodeCommand.self,
                      PlanCommand.self, UpCommand.self, DownCommand.self, StatusCommand.self, ScaleCommand.self, LogsCommand.self, SuperviseCommand.self,
                      RenderCommand.self]
    )
}
