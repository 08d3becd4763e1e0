#!/usr/bin/env python3
"""Writes record-set fixtures with kafka-python's batch builders, an encoder
independent of ours, into records/: one file per (format, codec), plus
records/expected.tsv listing what each file must decode to.

Run once with kafka-python, python-snappy, lz4 and zstandard installed (from PyPI);
the outputs are committed, so the test suite needs none of them.
"""
import os
from kafka.record.default_records import DefaultRecordBatchBuilder
from kafka.record.legacy_records import LegacyRecordBatchBuilder

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "records")
codecs = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
BASE_TS = 1700000000000
rows = []


def record(i):
    key = None if i % 3 == 0 else ("key-%d" % i).encode()
    value = None if i == 7 else ("value %d: the quick brown fox jumps over the lazy dog %d" % (i, i * i)).encode()
    headers = [("trace", ("t%d" % i).encode()), ("empty", None)] if i % 2 else []
    return key, value, BASE_TS + i * 10, headers


def show(b):
    return "\\N" if b is None else b.decode()


def v2(codec, count=20, batches=3):
    out = bytearray()
    offset = 0
    for _ in range(batches):
        b = DefaultRecordBatchBuilder(magic=2, compression_type=codecs[codec], is_transactional=False,
                                      producer_id=-1, producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
        first = offset
        for i in range(count):
            key, value, ts, headers = record(offset)
            b.append(i, timestamp=ts, key=key, value=value, headers=headers)
            offset += 1
        batch = bytearray(b.build())
        batch[0:8] = first.to_bytes(8, "big")  # base offset of this batch in the partition
        out += batch
    return bytes(out), offset


def legacy(magic, codec, count=20):
    out = bytearray()
    if codec == "none":
        for i in range(count):
            b = LegacyRecordBatchBuilder(magic=magic, compression_type=0, batch_size=1 << 20)
            key, value, ts, _ = record(i)
            b.append(i, timestamp=ts if magic else None, key=key, value=value)
            out += b.build()
        return bytes(out), count
    b = LegacyRecordBatchBuilder(magic=magic, compression_type=codecs[codec], batch_size=1 << 20)
    for i in range(count):
        key, value, ts, _ = record(i)
        # v1 wrapped: relative inner offsets 0..n-1; v0 wrapped: absolute offsets.
        b.append(i, timestamp=ts if magic else None, key=key, value=value)
    # As a broker stores it: the wrapper carries the absolute offset of its last inner message.
    data = bytearray(b.build())
    data[0:8] = (count - 1).to_bytes(8, "big")
    return bytes(data), count


def emit(name, data, count, magic):
    with open(os.path.join(here, name + ".bin"), "wb") as f:
        f.write(data)
    for i in range(count):
        key, value, ts, headers = record(i)
        if magic == 0:
            ts = -1
        hdrs = ",".join("%s=%s" % (k, show(v)) for k, v in headers) if magic == 2 else ""
        rows.append("\t".join([name, str(i), str(ts), show(key), show(value), hdrs]))


os.makedirs(here, exist_ok=True)
for codec in codecs:
    data, n = v2(codec)
    emit("v2_" + codec, data, n, 2)
for codec in ["none", "gzip", "snappy", "lz4"]:
    data, n = legacy(1, codec)
    emit("v1_" + codec, data, n, 1)
for codec in ["none", "gzip", "snappy"]:
    data, n = legacy(0, codec)
    emit("v0_" + codec, data, n, 0)
with open(os.path.join(here, "expected.tsv"), "w") as f:
    f.write("# file\toffset\ttimestamp\tkey\tvalue\theaders (k=v,... ; \\N is null)\n")
    f.write("\n".join(rows) + "\n")
