"""A librdkafka member of a KIP-848 group (group.protocol=consumer), through confluent-kafka's
bundled librdkafka: the peer of test_consumer_protocol.cpp's mixed-group case.

    python rdkafka_kip848_member.py BOOTSTRAP TOPIC GROUP

Prints "librdkafka <version>" once, "Assigned: p,p,..." whenever its assignment changes and
"Partition:<p> Offset:<o>" per record (ConsoleConsumer's words, so the test reads both peers alike);
SIGTERM closes the consumer, which leaves the group.
"""
import signal
import sys

import confluent_kafka

bootstrap, topic, group = sys.argv[1:4]
running = True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
consumer = confluent_kafka.Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "group.protocol": "consumer",
    "auto.offset.reset": "earliest",
    "check.crcs": True,
})
print("librdkafka", confluent_kafka.libversion()[0], flush=True)
consumer.subscribe([topic])
assigned = None
while running:
    message = consumer.poll(0.1)
    now = sorted(tp.partition for tp in consumer.assignment())
    if now != assigned:
        assigned = now
        print("Assigned:", ",".join(map(str, now)), flush=True)
    if message is None:
        continue
    if message.error():
        print("Error:", message.error(), flush=True)
        continue
    print(f"Partition:{message.partition()} Offset:{message.offset()} ", flush=True)
consumer.close()
print("closed", flush=True)
