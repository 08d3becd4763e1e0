"""The soak's ledger checks (soak.verify) on ledgers written by hand: each check must catch what
it is there for (ctest: chaos.ledger)."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak  # noqa: E402

CLASSIC = [("g", "classic", "sync_after_poll", "range")]
CONSUMER = [("g", "consumer", "on_revoke_only", None)]


class FakeMember:
    """A member whose incarnations are ledgers given as lists of lines."""

    def __init__(self, root, index, incarnations, killed=()):
        self.group, self.index = "g", index
        self.dir = root
        self.incarnation = len(incarnations)
        self.killed = list(killed)
        for i, lines in enumerate(incarnations, 1):
            with open(self.path(i), "w") as f:
                f.write("\n".join(lines) + "\n")

    def path(self, incarnation):
        return os.path.join(self.dir, "%d.%d" % (self.index, incarnation))


def records(t0, gen, p, offsets, step=10):
    return ["R %d %d %d %d" % (t0 + i * step, gen, p, o) for i, o in enumerate(offsets)]


class LedgerChecks(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.log = {(0, o) for o in range(10)} | {(1, o) for o in range(10)}

    def tearDown(self):
        self.tmp.cleanup()

    def member(self, index, *incarnations, killed=()):
        return FakeMember(self.tmp.name, index, incarnations, killed)

    def check(self, members, groups=CLASSIC, hang=70):
        ok, report = soak.verify(members, self.log, hang, groups)
        return ok, "\n".join(report)

    def test_every_record_once_passes(self):
        a = self.member(0, ["A 1000 1 0"] + records(1000, 1, 0, range(10)))
        b = self.member(1, ["A 1000 1 1"] + records(1000, 1, 1, range(10)))
        ok, report = self.check([a, b])
        self.assertTrue(ok, report)
        self.assertIn("lost 0; duplicates 0", report)

    def test_a_record_never_processed_is_lost(self):
        a = self.member(0, records(1000, 1, 0, range(10)))
        b = self.member(1, records(1000, 1, 1, range(9)))
        ok, report = self.check([a, b])
        self.assertFalse(ok)
        self.assertIn("FAIL lost: [(1, 9)]", report)

    def test_a_duplicate_with_no_cause_fails(self):
        a = self.member(0, records(1000, 1, 0, range(10)) + records(1200, 1, 1, range(5)))
        b = self.member(1, records(3000, 2, 1, range(10)))
        ok, report = self.check([a, b])
        self.assertFalse(ok)
        self.assertIn("FAIL unexplained duplicate", report)

    def test_duplicates_after_a_kill_pass_within_the_policy_bound(self):
        a = self.member(0, records(1000, 1, 0, range(10)) + records(1200, 1, 1, range(5)), [], killed=[1])
        b = self.member(1, records(3000, 2, 1, range(10)))
        ok, report = self.check([a, b])
        self.assertTrue(ok, report)
        self.assertIn("duplicates 5 (killed 5)", report)

    def test_duplicates_after_a_kill_beyond_the_bound_fail(self):
        self.log = {(0, o) for o in range(500)}
        a = self.member(0, records(1000, 1, 0, range(300), step=1), [], killed=[1])
        b = self.member(1, records(3000, 2, 0, range(500), step=1))
        ok, report = self.check([a, b])
        self.assertFalse(ok)
        self.assertIn("FAIL duplicates over the policy's bound", report)

    def test_a_lost_partition_or_failed_commit_explains_a_duplicate(self):
        a = self.member(0, records(1000, 1, 0, range(10)) + records(1200, 1, 1, range(5)) + ["L 1300 1 1"])
        b = self.member(1, records(3000, 2, 1, range(10)))
        self.assertTrue(self.check([a, b])[0])
        a = self.member(0, records(1000, 1, 0, range(10)) + records(1200, 1, 1, range(5))
                        + ["W 1300 commit of offsets soak-1=5 failed: the group is rebalancing"])
        self.assertTrue(self.check([a, b])[0])

    def test_two_members_with_one_partition_in_one_generation_fail(self):
        a = self.member(0, records(1000, 3, 0, range(10)) + records(1000, 3, 1, range(5)))
        b = self.member(1, records(1100, 3, 1, range(5, 10)))
        ok, report = self.check([a, b])
        self.assertFalse(ok)
        self.assertIn("FAIL overlap: [(3, 1, (0, 1), (1, 1))]", report)

    def test_consumer_protocol_member_resuming_a_partition_taken_from_it_fails(self):
        a = self.member(0, ["A 900 5 0 1"] + records(1000, 5, 0, range(10)) + records(1000, 5, 1, range(3))
                        + records(2000, 5, 1, range(6, 10)))
        b = self.member(1, ["A 1400 2 1"] + records(1500, 2, 1, range(3, 6)))
        ok, report = self.check([a, b], CONSUMER)
        self.assertFalse(ok)
        self.assertIn("FAIL overlap", report)
        # ... unless it was assigned the partition again meanwhile
        a = self.member(0, ["A 900 5 0 1"] + records(1000, 5, 0, range(10)) + records(1000, 5, 1, range(3))
                        + ["V 1350 5 1", "A 1950 7 1"] + records(2000, 7, 1, range(6, 10)))
        ok, report = self.check([a, b], CONSUMER)
        self.assertTrue(ok, report)

    def test_a_member_silent_too_long_is_hung(self):
        a = self.member(0, records(1000, 1, 0, range(10)) + ["K 90000 10"] + records(91000, 1, 1, range(10)))
        ok, report = self.check([a], hang=70)
        self.assertFalse(ok)
        self.assertIn("FAIL hung", report)


if __name__ == "__main__":
    unittest.main()
