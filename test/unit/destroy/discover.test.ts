import { describe, expect, it } from 'vitest';
import { topoOrder } from '../../../src/engine/graph.js';
import { discoverPlan } from '../../../src/destroy/discover.js';
import { buildPlan } from '../../../src/steps/index.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';

describe('discoverPlan', () => {
  it('covers every variant: both launch kinds under one id, capacity provider and ASG policy, ECR, service scaling', () => {
    // GIVEN answers synthesised from the stack name alone
    const answers = validateAnswers({ stack: 'disc', scaling: { service: { enabled: false } } });
    // WHEN the discovery plan is built
    const plan = discoverPlan(answers);
    const ids = plan.map((s) => s.id);
    // THEN it is a valid graph holding every step of both variants, each id once
    expect(() => topoOrder(plan)).not.toThrow();
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ['capacity-provider', 'asg-scaling-policy', 'service-scaling', 'launch-template', 'vpc', 'service']) expect(ids).toContain(id);
    expect(plan.find((s) => s.id === 'launch-template')!.title).toMatch(/template.*or.*configuration/i);
    const legacy = buildPlan(validateAnswers({ stack: 'disc', instances: { launch: 'configuration' }, scaling: { instances: { managed: false } } }));
    for (const s of legacy) expect(ids).toContain(s.id);
  });
});
