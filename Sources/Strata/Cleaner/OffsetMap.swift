#if canImport(Glibc)
import Glibc
#endif

/// The cleaner's key → latest offset map in one fixed buffer (Kafka's `SkimpyOffsetMap`):
/// open addressing over 24-byte slots (a 16-byte key digest, an 8-byte offset), filled to
/// `loadFactor` of its slots at most. Memory never grows past the buffer given: when the map
/// is full, ``put(_:offset:)`` refuses new keys and the cleaner stops mapping there, cleaning
/// the rest of the log in a later pass.
final class OffsetMap {
    /// Bytes per slot.
    static let slotBytes = 24
    /// Number of slots.
    let slots: Int
    /// Keys the map accepts before it reports itself full.
    let capacity: Int
    /// Keys held.
    private(set) var count = 0
    /// The highest offset mapped (moved by every put and by the cleaner past whole batches
    /// and segments); -1 when nothing was mapped.
    var latestOffset: Int64 = -1
    private let words: UnsafeMutablePointer<UInt64>
    /// False while the buffer is still calloc's zeroes (nothing to clear, no page touched).
    private var written = false

    /// A map in `memoryBytes` bytes (at least one slot).
    init(memoryBytes: Int, loadFactor: Double = 0.9) {
        slots = max(1, memoryBytes / Self.slotBytes)
        capacity = max(1, min(slots - 1, Int(Double(slots) * loadFactor)))
        // calloc: pages the hashing never touches are never made resident.
        words = calloc(slots * 3, MemoryLayout<UInt64>.size)!.bindMemory(to: UInt64.self, capacity: slots * 3)
    }

    deinit { free(words) }

    /// Bytes of the buffer.
    var memoryBytes: Int { slots * Self.slotBytes }
    /// True when no further new key fits.
    var isFull: Bool { count >= capacity }

    @inline(__always)
    private func slot(of digest: KeyDigest) -> (index: Int, found: Bool) {
        var index = Int(truncatingIfNeeded: digest.high % UInt64(slots))
        while true {
            let base = words + index * 3
            if base[0] == 0 && base[1] == 0 { return (index, false) }
            if base[0] == digest.high && base[1] == digest.low { return (index, true) }
            index += 1
            if index == slots { index = 0 }
        }
    }

    /// Records `offset` as the latest for `key`. Returns false, changing nothing, when the key
    /// is new and the map is full.
    @discardableResult
    func put(_ key: UnsafeRawBufferPointer, offset: Int64) -> Bool {
        let digest = KeyDigest(key)
        let (index, found) = slot(of: digest)
        if !found {
            guard count < capacity else { return false }
            count += 1
            written = true
            words[index * 3] = digest.high
            words[index * 3 + 1] = digest.low
        }
        words[index * 3 + 2] = UInt64(bitPattern: offset)
        latestOffset = offset
        return true
    }

    /// The latest offset recorded for `key`, -1 when absent.
    func get(_ key: UnsafeRawBufferPointer) -> Int64 {
        let (index, found) = slot(of: KeyDigest(key))
        return found ? Int64(bitPattern: words[index * 3 + 2]) : -1
    }

    /// Empties the map for another pass.
    func clear() {
        if written { memset(words, 0, slots * Self.slotBytes) }
        written = false
        count = 0
        latestOffset = -1
    }
}
