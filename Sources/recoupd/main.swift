import Foundation
import Logging
import RecoupWorker

// recoupd [--config PATH]: the collections worker daemon. Everything else lives in RecoupWorker.

var configPath: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--config":
        guard let path = arguments.popFirst() else {
            FileHandle.standardError.write(Data("recoupd: --config needs a path\n".utf8))
            exit(64)
        }
        configPath = path
    case "--help", "-h":
        print("usage: recoupd [--config PATH]\n\nRuns the Recoup worker until SIGTERM or SIGINT. See README.md.")
        exit(0)
    default:
        FileHandle.standardError.write(Data("recoupd: unknown argument \(argument) (try --help)\n".utf8))
        exit(64)
    }
}

let configuration: RecoupConfiguration
let policy: LoadedPolicy
do {
    configuration = try RecoupConfiguration.load(path: configPath)
    policy = try LoadedPolicy.load(configuration)
} catch {
    FileHandle.standardError.write(Data("recoupd: \(error)\n".utf8))
    exit(78) // EX_CONFIG: systemd's Restart=on-failure should not spin on a bad file
}

LoggingSystem.bootstrapJSON(level: configuration.logLevel.level)
let logger = Logger(label: "recoupd")
do {
    try await RecoupDaemon.run(configuration: configuration, policy: policy, logger: logger)
    exit(0)
} catch {
    logger.critical("recoupd failed", metadata: ["error": "\(error)"])
    exit(1)
}
