import ArgumentParser
import Strata
import StrataTopics

/// `strata topics …`: create, list, describe, grow and delete topics.
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics", abstract: "Create, list, describe, grow and delete topics.",
        subcommands: [Create.self, List.self, Describe.self, AddPartitions.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a topic.")
        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Argument(help: "The topic name (1–249 of a-z A-Z 0-9 . _ -).") var name: String
        @Option(help: "The number of partitions.") var partitions: Int = 1
        @Option(name: .customLong("config"), help: "A topic config override, key=value (repeatable), e.g. cleanup.policy=compact.")
        var configs: [String] = []

        func run() async throws {
            let overrides = Dictionary(try parsePairs(configs, option: "--config"), uniquingKeysWith: { $1 })
            try await failing {
                let topics = try dataDirectory.open()
                defer { try? topics.close() }
                let created = try topics.create(name, partitions: partitions, config: overrides)
                print("Created topic \(created.name) with \(created.partitions.count) partition\(created.partitions.count == 1 ? "" : "s") in \(topics.directory).")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the topics, one per line.")
        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Flag(help: "Include internal topics (__consumer_offsets).") var includeInternal = false

        func run() async throws {
            try await failing {
                let topics = try dataDirectory.open()
                defer { try? topics.close() }
                for name in topics.list(includeInternal: includeInternal) { print(name) }
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe topics: partitions, offsets, sizes, config.")
        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Argument(help: "Topics to describe (default: all).") var names: [String] = []

        func run() async throws {
            try await failing {
                let topics = try dataDirectory.open()
                defer { try? topics.close() }
                for name in names.isEmpty ? topics.list() : names {
                    let topic = try topics.describe(name)
                    let config = topic.configOverrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                    print("Topic: \(topic.name)\tTopicId: \(topic.topicID ?? "-")\tPartitionCount: \(topic.partitions.count)\tSize: \(topic.sizeInBytes)\tConfigs: \(config)")
                    for partition in topic.partitions {
                        print("\tTopic: \(topic.name)\tPartition: \(partition.partition)\tStartOffset: \(partition.logStartOffset)\tEndOffset: \(partition.logEndOffset)\tSize: \(partition.sizeInBytes)\tSegments: \(partition.segmentCount)")
                    }
                }
            }
        }
    }

    struct AddPartitions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-partitions", abstract: "Grow a topic to more partitions.")
        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Argument(help: "The topic.") var name: String
        @Option(help: "The new total number of partitions.") var partitions: Int

        func run() async throws {
            try await failing {
                let topics = try dataDirectory.open()
                defer { try? topics.close() }
                try topics.addPartitions(name, totalCount: partitions)
                print("Topic \(name) now has \(partitions) partitions.")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete topics with their data and committed offsets.")
        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Argument(help: "The topics.") var names: [String]

        func run() async throws {
            try await failing {
                let topics = try dataDirectory.open()
                defer { try? topics.close() }
                for name in names {
                    try topics.delete(name)
                    print("Deleted topic \(name).")
                }
            }
        }
    }
}
