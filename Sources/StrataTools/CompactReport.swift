import Foundation
import Strata

/// Writes `strata-compact`'s per-partition results: a line each, `--explain` detail, or NDJSON.
final class CompactReport {
    let settings: CompactSettings
    let out: any ToolOutput

    init(settings: CompactSettings, out: any ToolOutput) {
        self.settings = settings
        self.out = out
    }

    private func json(_ directory: String, _ partition: TopicPartition, action: String, reason: String?, result: CleaningResult? = nil) {
        var line = JSONLine()
        line.add("type", "partition")
        line.add("dataDirectory", directory)
        line.add("partition", partition.directoryName)
        line.add("action", action)
        line.add("reason", reason)
        if let result {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            if let data = try? encoder.encode(result), let text = String(data: data, encoding: .utf8) { line.addRaw("result", text) }
        }
        line.writeLine(to: out)
    }

    func skipped(_ directory: String, _ partition: TopicPartition, _ reason: String) {
        if settings.json { json(directory, partition, action: "skipped", reason: reason) }
        else if settings.explain { out.line("\(partition.directoryName): skipped: \(reason)") }
    }

    func refused(_ directory: String, _ partition: TopicPartition, _ reason: String) {
        if settings.json { json(directory, partition, action: "refused", reason: reason) }
        else { out.line("\(partition.directoryName): refused: \(reason)") }
    }

    func failed(_ directory: String, _ partition: TopicPartition, _ reason: String) {
        if settings.json { json(directory, partition, action: "error", reason: reason) }
        else { out.line("\(partition.directoryName): error: \(reason)") }
    }

    func partition(_ directory: String, _ partition: TopicPartition, selectedBecause: String, result: CleaningResult, sizeBefore: Int, sizeAfter: Int) {
        let action = result.cleaned ? (settings.dryRun ? "would-clean" : "cleaned") : "nothing-to-do"
        if settings.json {
            json(directory, partition, action: action, reason: result.notCleanedReason ?? selectedBecause, result: result)
            return
        }
        let stats = result.stats
        let name = partition.directoryName
        guard result.cleaned else {
            out.line("\(name): nothing to do: \(result.notCleanedReason ?? "")")
            if settings.explain { explainBlockers(result) }
            return
        }
        let verb = settings.dryRun ? "would clean" : "cleaned"
        out.line("\(name): \(verb) offsets below \(result.cleanedUpTo): \(stats.recordsRead) → \(stats.recordsWritten) records, \(stats.bytesRead) → \(stats.bytesWritten) bytes")
        guard settings.explain else { return }
        out.line("  chosen: \(selectedBecause)")
        out.line("  dirty ratio \(String(format: "%.3f", result.assessment.dirtyRatio)): \(result.assessment.cleanableBytes) dirty bytes from offset \(result.assessment.firstDirtyOffset), \(result.assessment.cleanBytes) clean")
        out.line("  keys mapped: \(stats.keysMapped) in \(stats.passes) pass(es) (offset map \(settings.maxMemory) bytes)")
        out.line("  records removed: \(stats.supersededRecordsRemoved) superseded by a later record of their key, \(stats.keylessRecordsRemoved) without a key, \(stats.abortedRecordsRemoved) of aborted transactions")
        out.line("  tombstones: \(stats.tombstonesKept) kept (delete horizon not passed; delete.retention.ms \(result.deleteRetentionMs) counts from their first cleaning), \(stats.tombstonesRemoved) removed (horizon passed); \(stats.horizonsSet) batch horizon(s) set now")
        out.line("  transaction markers: \(stats.markersKept) kept (their data remains or their horizon has not passed), \(stats.markersRemoved) removed")
        out.line("  batches: \(stats.batchesCopied) copied, \(stats.batchesRebuilt) rebuilt, \(stats.batchesRemoved) removed, \(stats.emptyBatchesKept) kept empty (a producer's last batch keeps its sequence)")
        out.line("  segments: \(stats.segmentsRewritten) → \(stats.segmentsProduced); partition \(sizeBefore) → \(sizeAfter) bytes")
        for reason in result.retention { out.line("  retention: \(reason)") }
        explainBlockers(result)
    }

    private func explainBlockers(_ result: CleaningResult) {
        out.line("  not cleaned (offsets from \(result.assessment.firstUncleanableOffset)): " + result.assessment.blockers.joined(separator: "; ")
                 + (result.minCompactionLagMs > 0 ? "; min.compaction.lag.ms \(result.minCompactionLagMs)" : ""))
    }

    func finish() {
        (out as? StandardStream)?.flush()
    }
}
