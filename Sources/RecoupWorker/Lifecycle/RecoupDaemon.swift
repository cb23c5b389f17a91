import AMQP
import Foundation
import Logging
import Postgres
import RecoupConfig
import RecoupStore
import ServiceLifecycle

/// `recoupd`: migrates if asked, then runs in one ServiceGroup, until SIGTERM/SIGINT: the
/// outbox relay, the timer scheduler and one consumer per inbound queue, shutting down
/// gracefully (consumers first, the relay's last pass after them) within the configured bound.
public enum RecoupDaemon {
    public static func run(configuration: RecoupConfiguration, policy: LoadedPolicy, logger: Logger) async throws {
        let amqpConfiguration = try configuration.amqpConfiguration(connectionName: "recoupd")
        let postgresConfiguration = configuration.postgresConfiguration(applicationName: "recoupd")

        if configuration.postgres.migrateOnStart {
            try await migrate(configuration: configuration, logger: logger)
        }
        let pool = PostgresPool(configuration: postgresConfiguration, logger: logger)
        try await requireCurrentSchema(pool: pool)
        // The relay and the scheduler each have a connection of their own: sharing the event
        // lanes' pool, an outbound message waited behind every queued event batch twice (to
        // read it, then to mark it published), which in a paced run was most of its latency.
        let relayPool = PostgresPool(configuration: configuration.postgresConfiguration(applicationName: "recoupd-relay", poolSize: 1),
                                     logger: logger)
        let timerPool = PostgresPool(configuration: configuration.postgresConfiguration(
            applicationName: "recoupd-timers", poolSize: configuration.processing.timerLoops), logger: logger)

        _ = ProcessStats.startedAt // from here, for process_start_time_seconds
        let counters = Counters()
        let clock = configuration.storeClock
        let reactions = ReactionsHolder(policy.reactions)
        let recorder = EventRecorder(clock: clock, holder: reactions)
        let processor = EventProcessor(pool: pool, recorder: recorder, settings: configuration.processing, logger: logger)
        let deadLetters = AMQPPublisher(configuration: amqpConfiguration, topology: RecoupTopology.topology, logger: logger)
        var relayConfiguration = amqpConfiguration
        relayConfiguration.connectionName = "recoupd-outbox"
        let outboxPublisher = AMQPPublisher(configuration: relayConfiguration, topology: RecoupTopology.topology, logger: logger)
        let listenerConfiguration = configuration.postgresConfiguration(applicationName: "recoupd-listener")

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: ClosingService(description: "postgres-pool") { await pool.close() }, serviceName: "postgres-pool"),
            .init(service: ClosingService(description: "postgres-relay-pool") { await relayPool.close() }, serviceName: "postgres-relay-pool"),
            .init(service: ClosingService(description: "postgres-timer-pool") { await timerPool.close() }, serviceName: "postgres-timer-pool"),
            .init(service: ClosingService(description: "dead-letter-publisher") { await deadLetters.close() }, serviceName: "dead-letter-publisher"),
            .init(service: ClosingService(description: "outbox-publisher") { await outboxPublisher.close() }, serviceName: "outbox-publisher"),
            .init(service: OutboxRelayService(pool: relayPool, publisher: outboxPublisher, listenerConfiguration: listenerConfiguration,
                                              counters: counters, logger: logger), serviceName: "outbox-relay"),
            .init(service: PolicyReloadService(configuration: configuration, reactions: reactions, counters: counters, logger: logger),
                  serviceName: "policy-reload"),
            .init(service: TimerSchedulerService(pool: timerPool, runner: TimerRunner(clock: clock, holder: reactions),
                                                 loops: configuration.processing.timerLoops,
                                                 listenerConfiguration: listenerConfiguration, counters: counters, logger: logger),
                  serviceName: "timer-scheduler"),
        ]
        var connections = [
            Readiness.Connection(name: "dead-letter-publisher") { deadLetters.isConnected },
            Readiness.Connection(name: "outbox-publisher") { outboxPublisher.isConnected },
        ]
        for queue in RecoupTopology.inboundQueues {
            let consumer = AMQPConsumer(
                configuration: amqpConfiguration, queue: queue.name,
                prefetch: UInt16(configuration.amqp.prefetch), topology: RecoupTopology.topology, logger: logger)
            connections.append(Readiness.Connection(name: "consumer \(queue.name)") { consumer.isConnected })
            let service = QueueConsumerService(
                queue: queue, consumer: consumer, deadLetters: deadLetters, processor: processor,
                lanes: configuration.processing.lanes, batchLimit: configuration.processing.batchMax, counters: counters,
                logger: logger)
            services.append(.init(service: service, serviceName: "consumer \(queue.name)"))
        }

        let readiness = Readiness(connections: connections, pool: pool)
        if configuration.admin.enabled {
            services.append(.init(service: AdminHTTPService(settings: configuration.admin, pool: pool, clock: clock, reactions: reactions,
                                                            readiness: readiness, counters: counters, logger: logger),
                                  serviceName: "admin-http"))
        }
        // Last, so that on SIGTERM it is the first to hear and tells systemd STOPPING=1 at once.
        services.append(.init(service: SystemdNotifyService(notifier: SystemdNotifier(environment: ProcessInfo.processInfo.environment),
                                                            readiness: readiness, queues: RecoupTopology.inboundQueues.count,
                                                            logger: logger),
                              serviceName: "systemd-notify"))
        var groupConfiguration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(configuration.shutdownGraceSeconds)
        groupConfiguration.maximumCancellationDuration = .seconds(5)

        logger.info("recoupd started", metadata: [
            "environment": "\(configuration.environment.rawValue)", "clock": "\(configuration.clock.rawValue)",
            "queues": "\(RecoupTopology.inboundQueues.map(\.name).joined(separator: ","))",
            "lanes": "\(configuration.processing.lanes)", "prefetch": "\(configuration.amqp.prefetch)",
            "policy": "\(configuration.policyDirectory)", "decline_codes": "\(policy.payments.taxonomy.entries.count)",
            "network_rules": "\(policy.payments.networkRules.count)",
        ])
        try await ServiceGroup(configuration: groupConfiguration).run()
        logger.info("recoupd stopped", metadata: ["counters": .dictionary(
            Dictionary(uniqueKeysWithValues: counters.snapshot.map { ($0.key, .stringConvertible($0.value)) }))])
    }

    /// Applies pending migrations with the admin URL (the schema owner).
    public static func migrate(configuration: RecoupConfiguration, logger: Logger) async throws {
        let report = try await configuration.withAdminPool(applicationName: "recoup-migrate", for: "migrate", logger: logger) { pool in
            try await Migrator(logger: logger).migrate(pool: pool, appRole: configuration.postgres.appRole)
        }
        logger.info("schema is current", metadata: [
            "version": "\(report.currentVersion)", "applied": "\(report.appliedVersions)",
        ])
    }

    static func requireCurrentSchema(pool: PostgresPool) async throws {
        let version = try await Migrator.currentVersion(pool: pool)
        guard version == Migration.latestVersion else {
            throw SchemaNotCurrent(database: version, build: Migration.latestVersion)
        }
    }

    struct SchemaNotCurrent: Error, CustomStringConvertible {
        let database: Int
        let build: Int
        var description: String {
            "database schema is at version \(database), this build needs \(build): run `recoupctl migrate` (or enable postgres.migrate_on_start)"
        }
    }
}

extension RecoupConfiguration {
    func amqpConfiguration(connectionName: String) throws -> AMQPConfiguration {
        var configuration = AMQPConfiguration(url: try AMQPURL.parse(amqp.url), connectionName: connectionName)
        configuration.heartbeatSeconds = amqp.heartbeatSeconds
        configuration.caCertificatePath = amqp.caCertificatePath
        return configuration
    }

    /// The daemon's pool on `postgres.url`; `poolSize` overrides `postgres.pool_size`.
    func postgresConfiguration(applicationName: String, poolSize: Int? = nil) -> PostgresConfiguration {
        var configuration = PostgresConfiguration(url: postgres.url, poolSize: poolSize ?? postgres.poolSize, applicationName: applicationName)
        configuration.preparedStatements = postgres.preparedStatements
        return configuration
    }
}
