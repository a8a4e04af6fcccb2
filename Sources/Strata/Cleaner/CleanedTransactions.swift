/// What the cleaner knows about transactions while it walks a log in offset order (Kafka's
/// `CleanedTransactionMetadata`): which data batches belong to aborted transactions (from the
/// `.txnindex` files), and which markers have become "discardable" because no batch of their
/// transaction is left.
///
/// The rules keep committed data committed and aborted data aborted: a COMMIT marker stays
/// while any transactional batch of its producer was seen since the previous marker (else that
/// data would read as an open transaction, which a later ABORT would claim); an ABORT marker
/// stays, with its `.txnindex` entry, while any batch of its transaction was seen (else the
/// aborted data would read as committed).
struct CleanedTransactions {
    /// Aborted transactions not yet reached, lowest first offset first.
    private var pending: [AbortedTransaction]
    private var nextPending = 0
    /// Producers inside an aborted transaction: the entry and whether a batch of it was seen.
    private var ongoingAborted: [Int64: (transaction: AbortedTransaction, seenBatch: Bool)] = [:]
    /// Producers with a transactional (committed) batch seen since their last marker.
    private var ongoingCommitted: Set<Int64> = []

    /// Tracks `aborted` (any order, duplicates ignored).
    init(aborted: [AbortedTransaction]) {
        var seen = Set<[Int64]>()
        pending = aborted.filter { seen.insert([$0.producerId, $0.firstOffset]).inserted }.sorted { $0.firstOffset < $1.firstOffset }
    }

    private mutating func reach(_ offset: Int64) {
        while nextPending < pending.count && pending[nextPending].firstOffset <= offset {
            let transaction = pending[nextPending]
            if ongoingAborted[transaction.producerId] == nil { ongoingAborted[transaction.producerId] = (transaction, false) }
            nextPending += 1
        }
    }

    /// A data batch was read: true when it belongs to an aborted transaction (discard it whole).
    mutating func dataBatch(_ header: RecordBatchHeader) -> Bool {
        reach(header.lastOffset)
        guard header.isTransactional else { return false }
        if ongoingAborted[header.producerId] != nil {
            ongoingAborted[header.producerId]!.seenBatch = true
            return true
        }
        ongoingCommitted.insert(header.producerId)
        return false
    }

    /// What a control batch means for its transaction.
    struct ControlOutcome {
        /// No batch of the marker's transaction is left: it may go once its horizon passes.
        var discardable: Bool
        /// The `.txnindex` entry to write beside a kept ABORT marker.
        var abortedEntry: AbortedTransaction?
    }

    /// A control batch of type `type` (nil: an empty control batch) was read.
    mutating func controlBatch(_ header: RecordBatchHeader, type: ControlRecordType?) -> ControlOutcome {
        reach(header.lastOffset)
        switch type {
        case nil:
            // An empty control batch was already cleaned: nothing depends on it.
            return ControlOutcome(discardable: true)
        case .abort?:
            guard let ongoing = ongoingAborted.removeValue(forKey: header.producerId), ongoing.seenBatch else {
                return ControlOutcome(discardable: true)
            }
            return ControlOutcome(discardable: false, abortedEntry: ongoing.transaction)
        case .commit?:
            return ControlOutcome(discardable: ongoingCommitted.remove(header.producerId) == nil)
        default:
            return ControlOutcome(discardable: false)
        }
    }
}
