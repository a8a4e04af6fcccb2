import Foundation
import NIOCore
import Testing
@testable import Strata

/// Batches written by kafka-python (tools/gen-fixtures) decode to what kafka-python says they
/// hold; uncompressed v2 batches re-encode to the same bytes.
@Suite struct GoldenFixtureTests {
    struct Digest: Decodable, Equatable { var length: Int; var crc32c: UInt32 }
    struct Header: Decodable { var key: String; var value: String? }
    struct Record: Decodable {
        var offset: Int64
        var timestamp: Int64?
        var key: String?
        var keyDigest: Digest?
        var value: String?
        var valueDigest: Digest?
        var headers: [Header]
        var controlType: String?
    }
    struct Batch: Decodable {
        var position: Int, size: Int, magic: Int, codec: String, baseOffset: Int64, lastOffset: Int64
        var timestampType: String, maxTimestamp: Int64?, partitionLeaderEpoch: Int32?
        var producerId: Int64?, producerEpoch: Int16?, baseSequence: Int32?
        var isTransactional: Bool, isControl: Bool, crc: UInt32
        var records: [Record]
    }
    struct File: Decodable { var file: String; var description: String?; var batches: [Batch] }
    struct Manifest: Decodable { var generator: String; var files: [File] }

    static func manifest() -> [File] {
        let url = GoldenFixtures.directory.appendingPathComponent("manifest.json")
        guard let data = try? Data(contentsOf: url), let manifest = try? JSONDecoder().decode(Manifest.self, from: data) else { return [] }
        return manifest.files
    }

    static func check(_ actual: ByteBuffer?, base64: String?, digest: Digest?, _ what: String) {
        if let digest {
            #expect(actual?.readableBytes == digest.length, "\(what) length")
            #expect(actual.map { b in b.withUnsafeReadableBytes { CRC32C.checksum($0) } } == digest.crc32c, "\(what) crc32c")
        } else {
            #expect(actual.map { Data($0.readableBytesView).base64EncodedString() } == base64, "\(what)")
        }
    }

    @Test func manifestIsPresent() throws {
        let url = GoldenFixtures.directory.appendingPathComponent("manifest.json")
        let data = try Data(contentsOf: url)
        let manifest = try JSONDecoder().decode(Manifest.self, from: data)
        #expect(manifest.files.count >= 30)
    }

    @Test(arguments: manifest().map { ($0.file, $0) })
    func fixtureDecodesAsKafkaPythonSays(name: String, expected: File) throws {
        let path = GoldenFixtures.directory.appendingPathComponent(name).path
        var reader = try LogFileReader(path: path)
        var index = 0
        while let entry = try reader.next() {
            try #require(index < expected.batches.count, "\(name): more entries than the manifest lists")
            let batch = expected.batches[index]
            let where_ = "\(name) batch \(index)"
            #expect(entry.position == batch.position && entry.sizeInBytes == batch.size && Int(entry.magic) == batch.magic, "\(where_)")
            #expect(CompressionCodec(rawValue: entry.compressionCodecID)?.name == batch.codec, "\(where_)")
            #expect(try entry.firstOffset() == batch.baseOffset && entry.lastOffset == batch.lastOffset, "\(where_)")
            #expect(entry.timestampType.description == batch.timestampType, "\(where_)")
            #expect(entry.storedCRC == batch.crc && entry.isValid, "\(where_)")
            if batch.magic >= 1 { #expect(entry.maxTimestamp == batch.maxTimestamp, "\(where_)") }
            var controlType: ControlRecordType? = nil
            if case .batch(let v2) = entry {
                #expect(v2.header.partitionLeaderEpoch == batch.partitionLeaderEpoch && v2.header.producerId == batch.producerId, "\(where_)")
                #expect(v2.header.producerEpoch == batch.producerEpoch && v2.header.baseSequence == batch.baseSequence, "\(where_)")
                #expect(v2.header.isTransactional == batch.isTransactional && v2.header.isControl == batch.isControl, "\(where_)")
                controlType = try v2.controlType()
                if v2.header.compression == CompressionCodec.none {
                    var again = RecordBatchBuilder(.init(reproducing: v2.header))
                    for record in try v2.records() { try again.append(record) }
                    #expect(try again.build() == v2.bytes, "\(where_): re-encoding changed the bytes")
                }
            }
            let records = try entry.records()
            #expect(records.count == batch.records.count, "\(where_)")
            for (record, want) in zip(records, batch.records) {
                #expect(record.offset == want.offset, "\(where_)")
                #expect(record.timestamp == (want.timestamp ?? -1), "\(where_) offset \(want.offset)")
                Self.check(record.key, base64: want.key, digest: want.keyDigest, "\(where_) offset \(want.offset) key")
                Self.check(record.value, base64: want.value, digest: want.valueDigest, "\(where_) offset \(want.offset) value")
                #expect(record.headers.map(\.key) == want.headers.map(\.key), "\(where_)")
                for (header, wantHeader) in zip(record.headers, want.headers) {
                    Self.check(header.value, base64: wantHeader.value, digest: nil, "\(where_) header \(header.key)")
                }
                #expect(controlType?.name == want.controlType, "\(where_)")
            }
            index += 1
        }
        #expect(index == expected.batches.count, "\(name)")
        #expect(reader.stop == .endOfData)
    }
}
