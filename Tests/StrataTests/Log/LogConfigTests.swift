import Testing
@testable import Strata

@Suite struct LogConfigTests {
    @Test func defaultsAreKafkas() {
        let config = LogConfig()
        #expect(config.segmentBytes == 1_073_741_824 && config.segmentMs == 604_800_000 && config.segmentIndexBytes == 10_485_760)
        #expect(config.indexIntervalBytes == 4096 && config.retentionMs == 604_800_000 && config.retentionBytes == -1)
        #expect(config.cleanupPolicy == .delete && config.minCleanableDirtyRatio == 0.5 && config.deleteRetentionMs == 86_400_000)
        #expect(config.maxMessageBytes == 1_048_588 && config.messageTimestampType == .createTime && config.compressionType == nil)
        #expect(config.compressionGzipLevel == 6 && config.compressionLZ4Level == 9 && config.compressionZstdLevel == 3)
        #expect(config.flushMessages == .max && config.flushMs == .max && config.fileDeleteDelayMs == 60_000)
    }

    @Test func propertiesOverrideTheDefaults() throws {
        let config = try LogConfig(properties: [
            "segment.bytes": "1048576", "cleanup.policy": "compact, delete", "compression.type": "zstd",
            "compression.gzip.level": "-1", "message.timestamp.type": "LogAppendTime", "max.compaction.lag.ms": "1000",
            "retention.ms": "-1", "preallocate": "true",
        ])
        #expect(config.segmentBytes == 1_048_576 && config.cleanupPolicy == [.compact, .delete])
        #expect(config.compressionType == .zstd && config.compressionGzipLevel == 6 && config.messageTimestampType == .logAppendTime)
        #expect(config.retentionMs == -1 && config.preallocate)
        // Compacted topics roll no later than max.compaction.lag.ms.
        #expect(config.maxSegmentMs == 1_000)
        #expect(try LogConfig(properties: ["compression.type": "producer"]).compressionType == nil)
    }

    @Test(arguments: [
        ("segment.bytes", "13"), ("segment.bytes", "big"), ("cleanup.policy", "archive"), ("cleanup.policy", ""),
        ("compression.type", "brotli"), ("compression.lz4.level", "18"), ("compression.zstd.level", "23"),
        ("min.cleanable.dirty.ratio", "1.5"), ("message.timestamp.type", "WallClock"), ("retention.bytes", "-2"),
        ("preallocate", "yes"), ("no.such.config", "1"),
    ] as [(String, String)])
    func invalidValuesAreRefusedWithTheirKey(key: String, value: String) {
        let error = #expect(throws: LogConfig.InvalidValue.self) { try LogConfig(properties: [key: value]) }
        #expect(error?.key == key && error?.value == value)
        #expect(error?.description.hasPrefix("invalid value \"\(value)\" for \(key): ") == true)
    }
}
