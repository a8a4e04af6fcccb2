/// Groups the segments of a cleaning pass (spec 6.3, Kafka's `groupSegmentsBySize`): in
/// order, adding the next segment while the group's `.log` sizes stay within `segment.bytes`,
/// its index sizes within `segment.index.bytes`, and (unless the next segment is empty) its
/// offsets within a 32-bit distance of the group's base (KAFKA-5413, KAFKA-12889).
enum SegmentGrouping {
    /// `segments` with, for each, the offset its successor starts at.
    static func groups(_ segments: [(segment: LogSegment, next: Int64)], maxSize: Int, maxIndexSize: Int) -> [[(segment: LogSegment, next: Int64)]] {
        var groups: [[(segment: LogSegment, next: Int64)]] = []
        var index = 0
        while index < segments.count {
            var group = [segments[index]]
            let first = segments[index].segment
            var logSize = first.size
            var offsetIndexSize = first.offsetIndex.entryCount * OffsetIndex.entrySize
            var timeIndexSize = first.timeIndex.sizeInBytes
            index += 1
            while index < segments.count {
                let (candidate, next) = segments[index]
                let candidateOffsetIndex = candidate.offsetIndex.entryCount * OffsetIndex.entrySize
                guard logSize + candidate.size <= maxSize,
                      offsetIndexSize + candidateOffsetIndex <= maxIndexSize,
                      timeIndexSize + candidate.timeIndex.sizeInBytes <= maxIndexSize,
                      candidate.size == 0 || next - 1 - first.baseOffset <= Int64(Int32.max)
                else { break }
                group.append(segments[index])
                logSize += candidate.size
                offsetIndexSize += candidateOffsetIndex
                timeIndexSize += candidate.timeIndex.sizeInBytes
                index += 1
            }
            groups.append(group)
        }
        return groups
    }
}
