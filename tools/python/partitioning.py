"""Keyed partitioning check (``tools/crosscheck --partitioning DIR``).

DIR is a Strata data directory written by ``strata produce``. Every ``<topic>-<partition>``
directory of a non-internal topic is read with kafka-python (``MemoryRecords`` over each
``.log``), and for every record with a key, kafka-python's own ``DefaultPartitioner`` (Kafka's
murmur2, masked, modulo the topic's partition count) must pick the partition the record is in.
Records without a key are counted but not checked (Kafka places them freely).
"""

import os
import re

from kafka.partitioner.default import DefaultPartitioner
from kafka.record.memory_records import MemoryRecords

PARTITION_DIR = re.compile(r"^(.+)-(\d+)$")


class DirectoryCluster:
    """The cluster metadata DefaultPartitioner asks for, answered from the directory listing."""

    def __init__(self, partitions_by_topic):
        self.partitions_by_topic = partitions_by_topic

    def topics(self):
        return set(self.partitions_by_topic)

    def partitions_for_topic(self, topic):
        return set(self.partitions_by_topic[topic])

    def available_partitions_for_topic(self, topic):
        return set(self.partitions_by_topic[topic])


class Result:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.unkeyed = 0
        self.messages = []


def topic_partitions(data_dir):
    found = {}
    for name in sorted(os.listdir(data_dir)):
        match = PARTITION_DIR.match(name)
        if not match or not os.path.isdir(os.path.join(data_dir, name)) or match.group(1).startswith("__"):
            continue
        found.setdefault(match.group(1), []).append(int(match.group(2)))
    return found


def check_partitioning(data_dir):
    result = Result()
    partitions_by_topic = topic_partitions(data_dir)
    cluster = DirectoryCluster(partitions_by_topic)
    partitioner = DefaultPartitioner()
    for topic, partitions in sorted(partitions_by_topic.items()):
        if sorted(partitions) != list(range(len(partitions))):
            result.failed += 1
            result.messages.append("FAIL %s: partitions %s are not 0..%d" % (topic, sorted(partitions), len(partitions) - 1))
            continue
        for partition in sorted(partitions):
            directory = os.path.join(data_dir, "%s-%d" % (topic, partition))
            for log in sorted(f for f in os.listdir(directory) if f.endswith(".log")):
                path = os.path.join(directory, log)
                with open(path, "rb") as handle:
                    records = MemoryRecords(handle.read())
                while True:
                    batch = records.next_batch()
                    if batch is None:
                        break
                    for record in batch:
                        if record.key is None:
                            result.unkeyed += 1
                            continue
                        expected = partitioner.partition(topic, record.key, record.key, record.value, record.value, cluster)
                        if expected == partition:
                            result.passed += 1
                        else:
                            result.failed += 1
                            result.messages.append(
                                "FAIL %s offset %d: key %r is in partition %d; kafka-python's DefaultPartitioner picks %d"
                                % (path, record.offset, record.key, partition, expected))
    return result
