import Strata

/// Kafka's two classic assignors, on member ids sorted as Kafka sorts them.
enum PartitionAssignor {
    /// Assigns the partitions of the subscribed topics to members.
    ///
    /// - Parameters:
    ///   - members: member id → subscribed topics.
    ///   - partitionCounts: topic → partitions (topics missing here are skipped).
    static func assign(_ strategy: AssignmentStrategy, members: [String: Set<String>], partitionCounts: [String: Int]) -> [String: [TopicPartition]] {
        var result = Dictionary(uniqueKeysWithValues: members.keys.map { ($0, [TopicPartition]()) })
        let topics = Set(members.values.flatMap { $0 }).filter { partitionCounts[$0] != nil }.sorted()
        switch strategy {
        case .range:
            for topic in topics {
                let subscribers = members.filter { $0.value.contains(topic) }.keys.sorted()
                let count = partitionCounts[topic]!
                let each = count / subscribers.count
                let extra = count % subscribers.count
                var next = 0
                for (index, member) in subscribers.enumerated() {
                    let take = each + (index < extra ? 1 : 0)
                    result[member]! += (next..<(next + take)).map { TopicPartition(topic: topic, partition: Int32($0)) }
                    next += take
                }
            }
        case .roundRobin:
            let sortedMembers = members.keys.sorted()
            var turn = 0
            for topic in topics {
                for partition in 0..<partitionCounts[topic]! {
                    // The next member in the circle that subscribes to this topic.
                    for _ in 0..<sortedMembers.count {
                        let member = sortedMembers[turn % sortedMembers.count]
                        turn += 1
                        if members[member]!.contains(topic) {
                            result[member]!.append(TopicPartition(topic: topic, partition: Int32(partition)))
                            break
                        }
                    }
                }
            }
        }
        return result
    }
}
