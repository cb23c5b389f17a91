// swift-tools-version:6.1
import PackageDescription

// Dependencies are kept to what the daemon cannot reasonably do without:
// service lifecycle (ServiceGroup, signals), logging, the CLI parser, YAML with line
// marks so configuration errors can point at file:line, and Mustache for message templates.
let package = Package(
    name: "recoup",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "recoupd", targets: ["recoupd"]),
        .executable(name: "recoupctl", targets: ["recoupctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // Message templates (Mustache, as POLICY's template files are written); no dependencies of its own.
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // The admin HTTP endpoint (health, worklist, timelines, later metrics): a small async server
        // on plain sockets, no dependencies of its own (SwiftNIO would triple the build for it).
        .package(url: "https://github.com/swhitty/FlyingFox.git", from: "0.27.1"),
    ],
    targets: [
        // C shims: headers only, libraries from Debian's -dev packages.
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),

        // Edge adapters.
        .target(
            name: "AMQP",
            dependencies: ["CRabbitMQ", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Postgres",
            dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log")]
        ),

        // The domain: pure and deterministic, no I/O.
        .target(name: "RecoupCore", dependencies: [.product(name: "Mustache", package: "swift-mustache")]),

        // Configuration and policy files (Config/) read into validated core values.
        .target(
            name: "RecoupConfig",
            dependencies: ["RecoupCore", .product(name: "Yams", package: "Yams")]
        ),

        // What the daemon remembers.
        .target(
            name: "RecoupStore",
            dependencies: ["RecoupCore", "Postgres", .product(name: "Logging", package: "swift-log")]
        ),

        // What moves messages: consumers, dead-lettering, configuration, lifecycle.
        .target(
            name: "RecoupWorker",
            dependencies: [
                "RecoupCore", "RecoupConfig", "RecoupStore", "AMQP", "Postgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "FlyingFox", package: "FlyingFox"),
            ]
        ),

        .executableTarget(name: "recoupd", dependencies: ["RecoupWorker"]),
        .executableTarget(
            name: "recoupctl",
            dependencies: [
                "RecoupWorker", "RecoupCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Shared test helpers: local server URLs, throw-away databases and vhosts, processes.
        .target(
            name: "TestSupport",
            dependencies: ["AMQP", "Postgres"],
            path: "Tests/TestSupport"
        ),
        // A seeded random generator for property and fuzz tests (no dependencies).
        .target(name: "PropertySupport", path: "Tests/PropertySupport"),
        .testTarget(
            name: "RecoupCoreTests",
            dependencies: ["RecoupCore", "PropertySupport", .product(name: "Mustache", package: "swift-mustache")]
        ),
        .testTarget(name: "RecoupConfigTests", dependencies: ["RecoupConfig", "RecoupCore", "PropertySupport"]),
        .testTarget(name: "AMQPTests", dependencies: ["AMQP", "TestSupport"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "RecoupStoreTests", dependencies: ["RecoupStore", "RecoupConfig", "TestSupport", "PropertySupport"]),
        .testTarget(
            name: "RecoupWorkerTests",
            dependencies: ["RecoupWorker", "RecoupConfig", "RecoupCore", "RecoupStore", "TestSupport", "PropertySupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
