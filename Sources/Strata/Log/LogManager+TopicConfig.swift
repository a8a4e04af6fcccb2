extension LogManager {
    /// Removes a topic's stored overrides (its `strata-topic-<topic>.properties`), durably;
    /// nothing happens when it has none.
    ///
    /// - Throws: `StrataIOError`.
    public func removeConfigOverrides(forTopic topic: String) throws {
        let path = directory + "/" + Self.topicConfigPrefix + topic + Self.topicConfigSuffix
        if fileSystem.exists(path) {
            try fileSystem.removeFile(path)
            try fileSystem.syncDirectory(directory)
        }
        state.withLock { topicConfigs[topic] = nil }
    }
}
