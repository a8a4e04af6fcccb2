import NIOCore

/// Rewrites one group of segments into a single `<base>.log.cleaned` segment (spec 6.3): every
/// entry passed through the ``RecordFilter``, the kept ABORT markers' `.txnindex` entries
/// written beside them, indexes built by the normal append path, the final time index entry,
/// trimmed indexes, everything fsynced, and the mtime of the group's last source segment.
enum GroupRewriter {
    /// Writes the cleaned segment for `group`; on any error its files are removed again.
    ///
    /// - Throws: `StrataIOError`; `StrataFormatError` for corrupt input (naming file and byte).
    static func rewrite(_ group: [(segment: LogSegment, next: Int64)], directory: String, config: LogConfig, fileSystem: any FileSystem,
                        filter: inout RecordFilter, legacyDeleteHorizonMs: Int64, limits: DecodingLimits, now: Int64,
                        throttle: Throttle?, dryRun: Bool = false, cancelled: () -> Bool, stats: inout CleaningStats) throws -> LogSegment? {
        let base = group[0].segment.baseOffset
        let cleaned = dryRun ? nil : try LogSegment.create(directory: directory, baseOffset: base, config: config, fileSystem: fileSystem,
                                                           limits: limits, now: now, fileSuffix: SegmentFileName.cleanedSuffix)
        do {
            for (position, (source, _)) in group.enumerated() {
                if cancelled() { throw CleanerCancelled() }
                let mtime = (try? fileSystem.modificationTime(source.path(SegmentFileName.logSuffix))) ?? now
                let retainLegacyDeletes = mtime > legacyDeleteHorizonMs
                stats.bytesRead += source.size
                var reader = try source.entries()
                // One entry of look-ahead: the last entry of the group is kept (possibly empty).
                var pending = try reader.next()
                let isLastSource = position == group.count - 1
                while let entry = pending {
                    pending = try reader.next()
                    throttle?.consume(entry.sizeInBytes)
                    // A corrupt batch stops the cleaning: re-encoding it would give damaged
                    // records a valid CRC.
                    do throws(StrataFormatError) { try entry.validate() } catch {
                        throw error.adding(file: reader.path)
                    }
                    let (decision, aborted) = try filter.filter(entry, retainLegacyDeletes: retainLegacyDeletes,
                                                                isGroupEnd: isLastSource && pending == nil, stats: &stats)
                    let written: LogEntry?
                    switch decision {
                    case .copy: written = entry
                    case .replace(let bytes): written = try Self.entry(bytes, like: entry)
                    case .drop: written = nil
                    }
                    if let written {
                        try cleaned?.append(written)
                        if cleaned == nil { stats.bytesWritten += written.sizeInBytes }
                        throttle?.consume(written.sizeInBytes)
                    }
                    if let aborted { try cleaned?.appendAbortedTransaction(aborted) }
                }
            }
            guard let cleaned else { return nil }
            try cleaned.onBecomeInactive()
            try cleaned.flush()
            stats.bytesWritten += cleaned.size
            let lastSource = group[group.count - 1].segment.path(SegmentFileName.logSuffix)
            if let mtime = try? fileSystem.modificationTime(lastSource) {
                try fileSystem.setModificationTime(cleaned.path(SegmentFileName.logSuffix), milliseconds: mtime)
            }
            return cleaned
        } catch {
            if let cleaned { discard(cleaned) }
            throw error
        }
    }

    static func entry(_ bytes: ByteBuffer, like original: LogEntry) throws -> LogEntry {
        switch original {
        case .batch(let batch): return .batch(try RecordBatch(bytes: bytes, position: batch.position))
        case .legacy(let legacy): return .legacy(try LegacyEntry(bytes: bytes, position: legacy.position))
        }
    }

    /// Closes and removes a cleaned segment's files (best effort: the loader removes leftovers).
    static func discard(_ cleaned: LogSegment) {
        try? cleaned.close(trimming: false)
        for file in cleaned.existingFiles() { try? cleaned.fileSystem.removeFile(file) }
    }
}
