"""Every action of every service, every parameter mutated, in every body encoding and signature
style: each answer is HTTP 200 JSON in the Tencent envelope and never InternalError, and leaves
exactly one audit event (none when nothing names an action) that fits an SQS message, is UTF-8
JSON and carries the request's RequestId; a wrong signature is never recorded as the key's owner."""
import collections
import logging
import time

import pytest

from layers.gateway import registry

from . import cases, mutations, shapes, wire
from .harness import Runner

SERVICES = sorted(registry.SERVICES)


def test_the_cases_cover_every_action_parameter_mutation_and_style():
    for name in SERVICES:
        svc = registry.SERVICES[name]
        all_cases = cases.for_service(name)
        by_action = collections.defaultdict(list)
        for case in all_cases:
            by_action[case.action].append(case)
        for spec in registry.all_actions(svc):
            got = by_action[spec.name]
            params = {shapes.label(p) for p, _ in shapes.paths(shapes.model_shape(spec.input))}
            assert params <= {c.param for c in got}, (name, spec.name)
            assert set(mutations.KINDS) | {"string-1.1MB"} <= {c.mutation for c in got}, (name, spec.name)
            assert set(wire.STYLES) == {c.style for c in got}, (name, spec.name)
        assert sorted(c.mutation for c in all_cases if c.expect_events == 0) == ["no-action-tc3", "no-action-v1"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_action_survives_every_mutation(service, account, tmp_path, caplog):
    # Thousands of logged tracebacks would say nothing the report does not.
    caplog.set_level(logging.CRITICAL + 1, logger="guardzone")
    runner = Runner(account, str(tmp_path))
    started = time.monotonic()
    for case in cases.for_service(service):
        runner.run(case)
    if runner.failures:
        slow, case = runner.slowest
        answers = ", ".join(f"{code} {n}" for code, n in runner.answers.most_common(6))
        pytest.fail(f"{service}: {runner.requests} requests in {time.monotonic() - started:.1f} s (slowest "
                    f"{slow * 1000:.0f} ms: {case.describe() if case else '-'}); answers: {answers}\n"
                    + runner.report(), pytrace=False)
