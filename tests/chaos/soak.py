#!/usr/bin/env python3
"""The chaos soak: a 3-node Kafka cluster, a producer writing numbered records, groups of our
consumers (tests/chaos/chaos_member.cpp) writing a ledger, and a scheduler injecting faults at
random from a recorded seed. At the end the ledger must prove, for every group:

  - every record in the topic's log processed at least once (nothing lost);
  - every duplicate explained: the member that processed it first was killed, lost the partition,
    or logged a failure (a commit that did not happen) before someone processed it again;
  - no partition processed by two members within one generation (classic groups), and no member
    going on with a partition another member had already taken, unless it was killed, lost it or
    was fenced meanwhile (consumer-protocol groups, whose member epochs are not group-wide);
  - no member hung: each one reported progress at least every --hang-seconds while it ran.

  tests/chaos/soak.py --member-bin build/tests/chaos/chaos_member [--seconds 300] [--seed N]

Faults (chosen by the seed, one at a time, every 4-12 s): a member SIGKILLed and restarted; a broker
SIGKILLed and restarted; a broker SIGSTOPped and continued; a partition's replicas reordered and its
preferred leader elected (a reassignment and a leader election); the partition count increased;
and through the proxy (tests/chaos/proxy.py, between the members and the brokers) connections
stalled, delayed, cut, or refused. The same seed replays the same schedule. Everything goes to
.cache/chaos/<seed>/ (faults.log, ledger/<group>/<member>.<incarnation>, report.txt).
Exit 0 when every check holds, 1 when one fails, 2 on a usage or setup error.
"""

import argparse
import collections
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from proxy import Proxy  # noqa: E402

BROKER = os.path.join(TOP, "scripts", "kafka-broker.sh")
TOOL = os.path.join(TOP, "scripts", "kafka", "run-tool.sh")
TOPIC = "soak"

# (group, group.protocol, commit policy, partition.assignment.strategy): both protocols, every
# commit policy, eager and cooperative assignors.
GROUPS = [
    ("soak-sync-eager", "classic", "sync_after_poll", "range,cooperative-sticky"),
    ("soak-async-coop", "classic", "async_after_poll", "cooperative-sticky"),
    ("soak-revoke-consumer", "consumer", "on_revoke_only", None),
]
MEMBERS_PER_GROUP = 3
MAX_POLL_RECORDS = 200
FAULTS = [  # kind, weight
    ("member_kill", 4), ("broker_kill", 2), ("broker_pause", 2), ("leader_move", 2),
    ("add_partition", 1), ("proxy_stall", 2), ("proxy_delay", 1), ("proxy_cut", 2), ("proxy_refuse", 1),
]


def log(msg):
    print("[soak %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def run(cmd, check=True, timeout=180, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd[:3]), r.returncode, r.stderr.strip()[-2000:]))
    return r.stdout


class Cluster:
    def __init__(self, name, port_base, version):
        self.name, self.port_base, self.version = name, port_base, version
        self.partitions = 6
        self.paused = set()  # nodes SIGSTOPped

    def start(self):
        run([BROKER, "stop", "--name", self.name], check=False)
        run([BROKER, "start", "--name", self.name, "--version", self.version, "--nodes", "3",
             "--port-base", str(self.port_base), "--topics", "%s:%d:3" % (TOPIC, self.partitions),
             # consumer-protocol members fenced as soon as classic ones (the default is 45 s)
             "--broker-config", "group.consumer.min.session.timeout.ms=6000",
             "--broker-config", "group.consumer.session.timeout.ms=10000",
             "--broker-config", "group.consumer.heartbeat.interval.ms=1000",
             "--broker-config", "group.consumer.min.heartbeat.interval.ms=1000"], timeout=300)
        env = {}
        with open(os.path.join(TOP, ".cache", "run", self.name, "env")) as f:
            for line in f:
                k, _, v = line.strip().removeprefix("export ").partition("=")
                env[k] = v.strip("'")
        self.bootstrap = env["KAFKA_BOOTSTRAP"]
        self.proxied = env["KAFKA_BOOTSTRAP_PROXIED"]
        self.routes = [tuple(int(x) for x in r.split(":")) for r in env["KAFKA_PROXY_ROUTES"].split()]

    def pid(self, node):
        with open(os.path.join(TOP, ".cache", "run", self.name, "node%d" % node, "pid")) as f:
            return int(f.read().strip())

    def broker(self, *args, timeout=300):
        return run([BROKER] + list(args) + ["--name", self.name], timeout=timeout)

    def tool(self, *args):
        return run([TOOL] + list(args), env=dict(os.environ, KAFKA_VERSION=self.version))

    def tool_unchecked(self, *args):
        """A tool whose failure is part of the chaos (an election while a replica is still catching
        up): its output goes to the fault log instead of stopping the soak."""
        r = subprocess.run([TOOL] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=180, env=dict(os.environ, KAFKA_VERSION=self.version))
        return r.returncode, r.stdout.strip().splitlines()[-1:] or [""]

    def stop(self):
        for n in list(self.paused):
            os.kill(self.pid(n), signal.SIGCONT)
        run([BROKER, "stop", "--name", self.name], check=False)


class Producer:
    """kcat writing the numbers 0, 1, 2, ... as values, `rate` a second, acks=all."""

    def __init__(self, cluster, rate, out_dir):
        self.proc = subprocess.Popen(
            ["kcat", "-P", "-b", cluster.bootstrap, "-t", TOPIC, "-X", "acks=all", "-X", "linger.ms=5",
             "-X", "message.timeout.ms=600000"], stdin=subprocess.PIPE, text=True,
            stderr=open(os.path.join(out_dir, "producer.log"), "w"))
        self.rate, self.sent, self.stopping = rate, 0, False
        self.thread = threading.Thread(target=self._write, daemon=True)
        self.thread.start()

    def _write(self):
        t0 = time.monotonic()
        while not self.stopping:
            due = int((time.monotonic() - t0) * self.rate)
            if due > self.sent:
                self.proc.stdin.write("".join("%d\n" % n for n in range(self.sent, due)))
                self.proc.stdin.flush()
                self.sent = due
            time.sleep(0.02)

    def finish(self):
        self.stopping = True
        self.thread.join()
        self.proc.stdin.close()
        return self.proc.wait(timeout=660)


class Member:
    def __init__(self, args, group, protocol, policy, strategy, index, out_dir, bootstrap):
        self.group, self.index = group, index
        self.dir = os.path.join(out_dir, "ledger", group)
        os.makedirs(self.dir, exist_ok=True)
        # metadata.max.age.ms: partitions added by the soak are seen within seconds, not five minutes
        props = ["client.id=%s-%d" % (group, index), "max.poll.records=%d" % MAX_POLL_RECORDS,
                 "metadata.max.age.ms=10000", "group.protocol=%s" % protocol]
        if protocol == "classic":
            props += ["session.timeout.ms=10000", "heartbeat.interval.ms=1000",
                      "partition.assignment.strategy=%s" % strategy]
        self.cmd = [args.member_bin, bootstrap, TOPIC, group, policy] + props
        self.incarnation, self.proc, self.killed = 0, None, []  # incarnations ended by SIGKILL

    def path(self, incarnation):
        return os.path.join(self.dir, "%d.%d" % (self.index, incarnation))

    def start(self):
        self.incarnation += 1
        with open(self.path(self.incarnation), "w") as out:
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=subprocess.STDOUT)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            self.killed.append(self.incarnation)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


class Scheduler:
    def __init__(self, rng, cluster, proxy, members, faults_log, out_dir):
        self.rng, self.cluster, self.proxy, self.members = rng, cluster, proxy, members
        self.faults_log, self.out_dir = faults_log, out_dir
        self.counts = collections.Counter()

    def note(self, kind, what, count=True):
        if count:
            self.counts[kind] += 1
        line = "%d %s %s" % (int(time.time() * 1000), kind, what)
        self.faults_log.write(line + "\n")
        self.faults_log.flush()
        log("fault: %s %s" % (kind, what))

    def one(self):
        kinds, weights = zip(*FAULTS)
        kind = self.rng.choices(kinds, weights)[0]
        r = self.rng
        c = self.cluster
        if kind == "member_kill":
            m = r.choice(self.members)
            pause = r.uniform(0.5, 5)
            self.note(kind, "%s/%d incarnation %d, restart after %.1f s" % (m.group, m.index, m.incarnation, pause))
            m.kill()
            time.sleep(pause)
            m.start()
        elif kind == "broker_kill":
            node, down = r.randint(1, 3), r.uniform(3, 15)
            self.note(kind, "node %d for %.1f s" % (node, down))
            c.broker("kill-node", "--node", str(node))
            time.sleep(down)
            c.broker("restart-node", "--node", str(node))
        elif kind == "broker_pause":
            node, secs = r.randint(1, 3), r.uniform(2, 12)
            self.note(kind, "node %d SIGSTOP for %.1f s" % (node, secs))
            pid = c.pid(node)
            os.kill(pid, signal.SIGSTOP)
            c.paused.add(node)
            time.sleep(secs)
            os.kill(pid, signal.SIGCONT)
            c.paused.discard(node)
        elif kind == "leader_move":
            part, shift = r.randrange(c.partitions), r.randint(1, 2)
            replicas = [1, 2, 3]
            replicas = replicas[shift:] + replicas[:shift]
            self.note(kind, "partition %d replicas %s, preferred leader elected" % (part, replicas))
            plan = os.path.join(self.out_dir, "reassign.json")
            with open(plan, "w") as f:
                json.dump({"version": 1, "partitions": [{"topic": TOPIC, "partition": part, "replicas": replicas}]}, f)
            rc, out = c.tool_unchecked("org.apache.kafka.tools.reassign.ReassignPartitionsCommand",
                                       "--bootstrap-server", c.bootstrap, "--reassignment-json-file", plan, "--execute")
            self.note("tool", "reassignment exit %d: %s" % (rc, out[0]), count=False)
            time.sleep(2)
            rc, out = c.tool_unchecked("LeaderElectionCommand", "--bootstrap-server", c.bootstrap,
                                       "--election-type", "preferred", "--topic", TOPIC, "--partition", str(part))
            self.note("tool", "election exit %d: %s" % (rc, out[0]), count=False)
        elif kind == "add_partition":
            if c.partitions >= 12:
                return self.one()
            c.partitions += 1
            self.note(kind, "now %d partitions" % c.partitions)
            c.tool("TopicCommand", "--bootstrap-server", c.bootstrap, "--alter", "--topic", TOPIC,
                   "--partitions", str(c.partitions))
        else:
            route = r.choice(self.proxy.routes)
            secs = r.uniform(2, 15)
            if kind == "proxy_stall":
                self.note(kind, "route %d for %.1f s" % (route.listen_port, secs))
                self.proxy.stall(route, secs)
            elif kind == "proxy_delay":
                ms = r.randint(50, 400)
                self.note(kind, "route %d %d ms for %.1f s" % (route.listen_port, ms, secs))
                self.proxy.delay(route, ms, secs)
            elif kind == "proxy_cut":
                self.note(kind, "route %d" % route.listen_port)
                self.proxy.cut(route)
            else:
                secs = r.uniform(1, 6)
                self.note(kind, "route %d for %.1f s, open connections cut" % (route.listen_port, secs))
                self.proxy.refuse(route, secs)
                self.proxy.cut(route)
            time.sleep(secs if kind != "proxy_cut" else 0)


def restart_the_dead(members, restart=True):
    """Members that exited without being killed (an exception out of main, a sanitizer's report):
    each is a failure of the soak; they are restarted so that the group goes on."""
    dead = []
    for m in members:
        if m.proc is not None and m.proc.poll() is not None:
            dead.append("%s: %d" % (m.path(m.incarnation), m.proc.returncode))
            log("member %s/%d exited on its own with %d" % (m.group, m.index, m.proc.returncode))
            if restart:
                m.start()
    return dead


# ---------------------------------------------------------------- the ledger
Event = collections.namedtuple("Event", "t kind gen parts")


def read_incarnation(path):
    """-> (records [(t, gen, p, offset)], events [Event], progress times, failures [(t, text)]): the
    failures are the exceptions out of poll() and the logged warnings about commits, lost
    partitions and fencing (a connection refused is no reason for a duplicate)."""
    records, events, progress, warnings = [], [], [], []
    with open(path, errors="replace") as f:
        for line in f:
            w = line.split()
            if len(w) < 2 or not w[1].isdigit():
                continue
            k, t = w[0], int(w[1])
            try:
                if k == "R" and len(w) == 5:
                    records.append((t, int(w[2]), int(w[3]), int(w[4])))
                    progress.append(t)
                elif k in "AVL" and len(w) >= 3:
                    events.append(Event(t, k, int(w[2]), [int(x) for x in w[3:]]))
                elif k == "K":
                    progress.append(t)
                elif k == "X" or (k == "W" and any(s in line for s in ("commit", "lost", "fenc"))):
                    warnings.append((t, line.split(None, 2)[2].strip() if len(w) > 2 else ""))
            except ValueError:
                continue  # a line cut short by SIGKILL
    return records, events, progress, warnings


def read_group(members, group):
    """-> {(member, incarnation): read_incarnation(...) + (killed?,)} for one group's ledgers."""
    return {(m.index, i): read_incarnation(m.path(i)) + (i in m.killed,)
            for m in members if m.group == group for i in range(1, m.incarnation + 1)}


def all_processed(members, log_offsets):
    """Whether every group's ledger holds every record of the log."""
    for group, *_ in GROUPS:
        seen = {(p, o) for parsed in read_group(members, group).values() for _, _, p, o in parsed[0]}
        if not log_offsets <= seen:
            return False
    return True


def verify(members, log_offsets, hang_seconds, groups=GROUPS):
    report, ok = [], True
    for group, protocol, policy, strategy in groups:
        incs = read_group(members, group)
        seen = collections.defaultdict(list)  # (p, o) -> [(t, inc)]
        for inc, (records, _, _, _, _) in incs.items():
            for t, gen, p, o in records:
                seen[(p, o)].append((t, inc))
        missing = sorted(log_offsets - set(seen))
        dups = {k: sorted(v) for k, v in seen.items() if len(v) > 1}

        # Per incarnation, once (explained() runs for every duplicate): when it last lost each
        # partition, its last failure, its last record.
        last_lost, last_failure, last_record = {}, {}, {}
        for inc, (records, events, _, warnings, _) in incs.items():
            for e in events:
                if e.kind == "L":
                    for p in e.parts:
                        last_lost[(inc, p)] = max(last_lost.get((inc, p), 0), e.t)
            last_failure[inc] = max((t for t, _ in warnings), default=-1)
            last_record[inc] = max((r[0] for r in records), default=0)

        def explained(first_inc, p, t_first, t_again):
            # A failure first: a member that failed a commit and was killed later may be owed more
            # than the policy's bound for a kill.
            if last_lost.get((first_inc, p), -1) >= t_first:
                return "lost"
            if last_failure[first_inc] >= t_first:
                return "failure logged"
            if incs[first_inc][4] and t_again >= last_record[first_inc] - 1000:
                return "killed"
            return None

        causes, unexplained, per_kill = collections.Counter(), [], collections.Counter()
        for (p, o), v in dups.items():
            for (t1, inc1), (t2, inc2) in zip(v, v[1:]):
                cause = explained(inc1, p, t1, t2)
                causes[cause or "unexplained"] += 1
                if cause is None:
                    unexplained.append((p, o, inc1, inc2))
                if cause == "killed":
                    per_kill[inc1] += 1
        # What the policy promises for a member killed between commits: sync_after_poll commits
        # each batch before the next poll returns more, so at most one batch is processed again;
        # async_after_poll may also have the previous batch's commit in flight; on_revoke_only
        # commits only when partitions are revoked, so everything since is processed again.
        bound = {"sync_after_poll": MAX_POLL_RECORDS, "async_after_poll": 2 * MAX_POLL_RECORDS}.get(policy)
        over_bound = [(inc, n) for inc, n in per_kill.items() if bound is not None and n > bound]

        # Exclusivity.
        overlaps = []
        if protocol == "classic":
            owner = {}
            for inc, (records, _, _, _, _) in incs.items():
                for t, gen, p, o in records:
                    if gen > 0 and owner.setdefault((gen, p), inc) != inc:
                        overlaps.append((gen, p, owner[(gen, p)], inc))
            overlaps = sorted(set(overlaps))
        else:
            per_p = collections.defaultdict(list)
            for inc, (records, _, _, _, _) in incs.items():
                for t, gen, p, o in records:
                    per_p[p].append((t, inc))
            for p, v in per_p.items():
                v.sort()
                taken_by = {}  # inc -> when another incarnation took p after inc had it
                last_own = {}  # inc -> its latest record of p
                last = None
                for t, inc in v:
                    if last is not None and inc != last:
                        taken_by.setdefault(last, t)
                        since = taken_by.pop(inc, None)
                        # inc resumes p after another member had it: fine if p was assigned to inc
                        # again since its last record of p, or inc lost it, was killed or failed a commit
                        if since is not None:
                            events = incs[inc][1]
                            again = any(e.kind == "A" and p in e.parts and last_own[inc] <= e.t <= t for e in events)
                            if not again and not explained(inc, p, since, t):
                                overlaps.append((p, inc, t))
                    last = inc
                    last_own[inc] = t

        # Hangs: gaps between progress lines of a running incarnation.
        worst_gap = 0
        hung = []
        for inc, (_, _, progress, _, _) in incs.items():
            progress.sort()
            for a, b in zip(progress, progress[1:]):
                worst_gap = max(worst_gap, b - a)
                if b - a > hang_seconds * 1000:
                    hung.append((inc, a, b))

        processed = sum(len(v) for v in seen.values())
        report.append("group %s (%s, %s%s): %d members, %d incarnations" % (
            group, protocol, policy, ", " + strategy if strategy else "", len({m for m, _ in incs}), len(incs)))
        report.append("  log %d records; processed %d (%d distinct); lost %d; duplicates %d (%s)" % (
            len(log_offsets), processed, len(seen), len(missing), processed - len(seen),
            ", ".join("%s %d" % kv for kv in sorted(causes.items())) or "none"))
        report.append("  most duplicates after one kill %d (bound %s); exclusivity violations %d; "
                      "longest gap between progress reports %.1f s; hung %d" % (
                          max(per_kill.values(), default=0), bound if bound is not None else "none",
                          len(overlaps), worst_gap / 1000.0, len(hung)))
        for what, items in (("lost", missing), ("unexplained duplicate", unexplained),
                            ("duplicates over the policy's bound after a kill", over_bound), ("overlap", overlaps),
                            ("hung", hung)):
            if items:
                ok = False
                report.append("  FAIL %s: %s%s" % (what, items[:10], " ..." if len(items) > 10 else ""))
    return ok, report


class LedgerMember:
    """A member of a finished run, as its ledger files and faults.log describe it (--verify)."""

    def __init__(self, out_dir, group, index, incarnations, killed):
        self.group, self.index, self.incarnation, self.killed = group, index, incarnations, killed
        self.dir = os.path.join(out_dir, "ledger", group)

    def path(self, incarnation):
        return os.path.join(self.dir, "%d.%d" % (self.index, incarnation))


def read_run(out_dir):
    """-> (members, log offsets) of the run kept in out_dir."""
    killed = collections.defaultdict(list)
    with open(os.path.join(out_dir, "faults.log")) as f:
        for line in f:
            w = line.split()  # T member_kill GROUP/INDEX incarnation N, ...
            if len(w) >= 5 and w[1] == "member_kill":
                group, index = w[2].rsplit("/", 1)
                killed[(group, int(index))].append(int(w[4].rstrip(",")))
    incarnations = collections.Counter()
    for group, *_ in GROUPS:
        d = os.path.join(out_dir, "ledger", group)
        for name in os.listdir(d) if os.path.isdir(d) else []:
            index, inc = (int(x) for x in name.split("."))
            incarnations[(group, index)] = max(incarnations[(group, index)], inc)
    members = [LedgerMember(out_dir, g, i, n, killed[(g, i)]) for (g, i), n in sorted(incarnations.items())]
    with open(os.path.join(out_dir, "log-offsets.txt")) as f:
        log_offsets = {tuple(int(x) for x in line.split()) for line in f if line.strip()}
    return members, log_offsets


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--member-bin", help="the chaos_member program (required to run a soak)")
    ap.add_argument("--verify", metavar="DIR", help="check the ledgers of a finished run again (.cache/chaos/SEED)")
    ap.add_argument("--seconds", type=int, default=300, help="how long faults are injected")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--rate", type=int, default=200, help="records produced per second")
    ap.add_argument("--name", default="chaos")
    ap.add_argument("--port-base", type=int, default=29092)
    ap.add_argument("--version", default="4.3.1")
    ap.add_argument("--hang-seconds", type=int, default=70)
    ap.add_argument("--settle-seconds", type=int, default=180, help="how long the groups get to catch up")
    ap.add_argument("--keep", action="store_true", help="leave the cluster running")
    args = ap.parse_args()
    if args.verify:
        members, log_offsets = read_run(args.verify)
        ok, report = verify(members, log_offsets, args.hang_seconds)
        print("\n".join(report), flush=True)
        return 0 if ok else 1
    if not args.member_bin or not os.access(args.member_bin, os.X_OK):
        sys.exit("soak: %s is not an executable (build the target chaos_member)" % args.member_bin)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    out_dir = os.path.join(TOP, ".cache", "chaos", str(seed))
    subprocess.run(["rm", "-rf", out_dir])
    os.makedirs(out_dir)
    log("seed %d (replay: --seed %d), %d s of faults, output in %s" % (seed, seed, args.seconds, out_dir))

    cluster = Cluster(args.name, args.port_base, args.version)
    proxy = producer = None
    members, died = [], []
    try:
        cluster.start()
        proxy = Proxy(cluster.routes).start()
        producer = Producer(cluster, args.rate, out_dir)
        for group, protocol, policy, strategy in GROUPS:
            for i in range(MEMBERS_PER_GROUP):
                m = Member(args, group, protocol, policy, strategy, i, out_dir, cluster.proxied)
                m.start()
                members.append(m)
        with open(os.path.join(out_dir, "faults.log"), "w") as faults_log:
            sched = Scheduler(random.Random(seed), cluster, proxy, members, faults_log, out_dir)
            end = time.monotonic() + args.seconds
            time.sleep(5)
            while time.monotonic() < end:
                try:
                    sched.one()
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    sched.note("fault_failed", str(e)[-300:].replace("\n", " | "))
                died.extend(restart_the_dead(members))
                time.sleep(sched.rng.uniform(4, 12))
        log("faults over: %s" % dict(sched.counts))
        died.extend(restart_the_dead(members))
        rc = producer.finish()
        log("producer wrote %d records (kcat exit %d)" % (producer.sent, rc))
        lines = run(["kcat", "-C", "-b", cluster.bootstrap, "-t", TOPIC, "-o", "beginning", "-e", "-q",
                     "-f", "%p %o\\n"], timeout=300)
        with open(os.path.join(out_dir, "log-offsets.txt"), "w") as f:
            f.write(lines)  # for --verify
        log_offsets = {tuple(int(x) for x in l.split()) for l in lines.split("\n") if l.strip()}
        log("the log holds %d records in %d partitions" % (len(log_offsets), cluster.partitions))
        # Let the groups catch up (no faults now), then stop them.
        deadline = time.monotonic() + args.settle_seconds
        while time.monotonic() < deadline and not all_processed(members, log_offsets):
            time.sleep(5)
        died.extend(restart_the_dead(members, restart=False))
        for m in members:
            if m.proc and m.proc.poll() is None:
                m.proc.terminate()
                m.proc.wait()
        ok, report = verify(members, log_offsets, args.hang_seconds)
        if died:
            ok = False
            report.append("FAIL members that exited on their own (ledger file: exit status): %s" % died)
        report = ["seed %d; faults: %s; produced %d, in the log %d" % (
            seed, ", ".join("%s %d" % kv for kv in sorted(sched.counts.items())), producer.sent,
            len(log_offsets))] + report
        with open(os.path.join(out_dir, "report.txt"), "w") as f:
            f.write("\n".join(report) + "\n")
        print("\n".join(report), flush=True)
        log("PASS" if ok else "FAIL (replay with --seed %d)" % seed)
        return 0 if ok else 1
    finally:
        for m in members:
            if m.alive():
                m.proc.kill()
        if producer and producer.proc.poll() is None:
            producer.proc.kill()
        if proxy:
            proxy.close()
        if not args.keep:
            cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
