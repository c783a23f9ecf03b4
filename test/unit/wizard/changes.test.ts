import { describe, expect, it } from 'vitest';
import { emptyState, type StackState } from '../../../src/engine/state.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import { keptProvenance, stackChanges } from '../../../src/wizard/changes.js';
import { buildReviewPlan } from '../../../src/wizard/plan.js';
import { renderPlan } from '../../../src/wizard/review.js';
import type { AnswersInput } from '../../../src/wizard/schema.js';

/** A state whose recorded answers are `recorded` (as create and scale write them). */
function stateWith(recorded: Partial<AnswersInput>, extra: Partial<StackState> = {}): StackState {
  return { ...emptyState('shop-web'), answers: validateAnswers({ stack: 'shop-web', ...recorded }), ...extra };
}
const answers = (input: Partial<AnswersInput> = {}) => validateAnswers({ stack: 'shop-web', ...input });
const scaled = { by: 'scale', flag: '--max-count', at: '2026-12-06T14:02:37.123Z', user: 'alice@laptop' };

describe('what a create on an existing stack changes in what runs', () => {
  it('a value scale set, which the answers file sets back, is named with who set it and when', () => {
    // GIVEN `scale --max-count 10` recorded, and an answers file that still says 6
    const state = stateWith({ scaling: { service: { maxCount: 10 } } }, { changedBy: { 'scaling.service.maxCount': scaled } });
    // WHEN compared
    const changes = stackChanges(state, answers());
    // THEN exactly that change, with its provenance
    expect(changes).toEqual([{ path: 'scaling.service.maxCount', from: 10, to: 6, text: 'service scaling max 10 → 6 (set by scale on 2026-12-06 14:02 by alice@laptop)', changedBy: scaled }]);
    // AND the review shows it under "Changes to what runs"
    expect(renderPlan(buildReviewPlan(answers(), { region: 'us-east-1', current: state }))).toContain('Changes to what runs\n  service scaling max 10 → 6 (set by scale on 2026-12-06 14:02 by alice@laptop)\n');
  });

  it('lists every change to counts, scaling, instance bounds, task, image, environment and health check — in that one list', () => {
    const state = stateWith({ service: { image: 'httpd:2.4', environment: { A: '1', B: '2' } } });
    const changes = stackChanges(
      state,
      answers({
        service: { image: 'httpd:2.4.62', environment: { A: '1', C: '3' }, cpu: 512, memory: 1024, containerPort: 8080, desiredCount: 3 },
        scaling: { service: { minCount: 2, maxCount: 8, targetMemoryPercent: 70, requestsPerTarget: 500, scaleInCooldownSeconds: 120, scaleOutCooldownSeconds: 30 }, instances: { targetCapacityPercent: 100 } },
        instances: { instanceType: 't3.medium', minSize: 2, maxSize: 6, desiredCapacity: 3 },
        loadBalancer: { healthCheckPath: '/healthz' },
      }),
    );
    expect(changes.map((c) => c.text)).toEqual([
      'image httpd:2.4 → httpd:2.4.62',
      'environment -B, +C',
      'task CPU units 256 → 512',
      'task memory 512 → 1024 MiB',
      'container port 80 → 8080',
      'service desired count 2 → 3 (recorded: service auto scaling sets the running count)',
      'service scaling min 1 → 2',
      'service scaling max 6 → 8',
      'service scaling memory target none → 70 %',
      'service scaling requests per task target none → 500',
      'service scale-in cooldown 300 → 120 s',
      'service scale-out cooldown 60 → 30 s',
      'instance type t3.small → t3.medium',
      'instances min 1 → 2',
      'instances max 4 → 6',
      "instances desired 2 → 3 (recorded: scaling sets the group's desired capacity)",
      'capacity provider target capacity 90 → 100 %',
      'health check path / → /healthz',
    ]);
    // (the environment by names only: never a value)
    expect(changes[1]).toMatchObject({ path: 'service.environment', from: ['A', 'B'], to: ['A', 'C'] });
  });

  it('switching scaling off or to unmanaged names the switch, not the bounds it no longer uses', () => {
    const changes = stackChanges(stateWith({}), answers({ service: { desiredCount: 2 }, scaling: { service: { enabled: false, maxCount: 3 }, instances: { managed: false, targetCpuPercent: 50 } } }));
    expect(changes.map((c) => c.text)).toEqual(['service auto scaling on → off', 'managed instance scaling (capacity provider) on → off']);
  });

  it("the group's bounds as AWS shows them: a change made outside ecs-wizard is what the create sets back", () => {
    // GIVEN recorded 1–4, AWS showing 1–8 (changed in the console), answers 1–4
    const state = stateWith({}, { changedBy: { 'instances.maxSize': { ...scaled, flag: '--max-size' } } });
    const outside = stackChanges(state, answers(), { group: { minSize: 1, maxSize: 8, desiredCapacity: 5 } });
    // THEN the change is from AWS's value, says so, and claims no provenance for a value scale did not set
    expect(outside).toEqual([{ path: 'instances.maxSize', from: 8, to: 4, text: 'instances max 8 → 4 (changed outside ecs-wizard: recorded 4)' }]);
    // AND when AWS agrees with the record there is nothing to say
    expect(stackChanges(state, answers(), { group: { minSize: 1, maxSize: 4, desiredCapacity: 3 } })).toEqual([]);
  });

  it('a state from an earlier release (keys added since missing, no provenance) reads as its defaults: no change', () => {
    const old: StackState = { ...emptyState('shop-web'), answers: { stack: 'shop-web', service: { image: 'nginx:latest' }, scaling: { service: { minCount: 1, maxCount: 6 } } } };
    expect(stackChanges(old, answers())).toEqual([]);
    // (and a state with no answers at all has nothing to compare)
    expect(stackChanges(emptyState('shop-web'), answers({ service: { desiredCount: 5 }, scaling: { service: { maxCount: 8 } } }))).toEqual([]);
  });

  it('once recorded, an answer set back is create\'s again; one the answers agree with keeps its provenance', () => {
    const changedBy = { 'scaling.service.maxCount': scaled, 'instances.maxSize': { ...scaled, flag: '--max-size' } };
    const recorded = answers({ scaling: { service: { maxCount: 10 } }, instances: { maxSize: 6 } });
    expect(keptProvenance(changedBy, recorded, answers({ instances: { maxSize: 6 } }))).toEqual({ 'instances.maxSize': changedBy['instances.maxSize'] });
    expect(keptProvenance(changedBy, recorded, answers())).toBeUndefined();
    expect(keptProvenance(undefined, recorded, answers())).toBeUndefined();
  });
});
