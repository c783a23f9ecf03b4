import { describe, expect, it } from 'vitest';
import { INSTANCE_TYPES, checkCapacity, reservableCapacity, tasksPerInstance } from '../../../src/scaling/capacity.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import type { AnswersInput } from '../../../src/wizard/schema.js';

const answers = (over: Partial<AnswersInput>) => validateAnswers({ stack: 'cap', ...over });

describe('tasksPerInstance', () => {
  it.each([
    // type, cpu, memory, expected — memory is 92 % of installed (8 % left to the OS and agent)
    ['t3.micro', 256, 512, 1], // 942 MiB reservable: memory-bound
    ['t3.small', 256, 512, 3], // 1884 MiB
    ['t3.medium', 256, 512, 7], // 3768 MiB
    ['t3.medium', 1024, 512, 2], // 2 vCPU = 2048 units: CPU-bound
    ['m5.large', 512, 1024, 4], // 2048 units / 512
    ['c5.xlarge', 1024, 2048, 3], // 7536 MiB / 2048
    ['r5.large', 256, 512, 8], // memory-rich: CPU-bound at 2048 / 256
    ['m7g.4xlarge', 1024, 2048, 16], // 16 vCPU
    ['t2.micro', 1024, 512, 1], // 1 vCPU
    ['t2.micro', 2048, 512, 0], // a task bigger than the instance: none fit
    ['t3.micro', 256, 1024, 0], // 1024 MiB > 942 reservable
  ] as const)('%s with %i CPU units / %i MiB tasks fits %i', (type, cpu, memory, expected) => {
    expect(tasksPerInstance(type, cpu, memory)).toBe(expected);
  });

  it('knows nothing of a type outside the table', () => {
    expect(tasksPerInstance('x2iedn.32xlarge', 256, 512)).toBeUndefined();
    expect(reservableCapacity('nope.large')).toBeUndefined();
  });

  it('covers every family and size the guard rails promise', () => {
    const want = [
      ...['t2', 't3', 't3a', 't4g'].flatMap((f) => ['micro', 'small', 'medium', 'large', 'xlarge', '2xlarge'].map((s) => `${f}.${s}`)),
      ...['m5', 'm6i', 'm7g', 'c5', 'c6i'].flatMap((f) => ['large', 'xlarge', '2xlarge', '4xlarge'].map((s) => `${f}.${s}`)),
      ...['large', 'xlarge', '2xlarge'].map((s) => `r5.${s}`),
    ];
    expect(want.filter((t) => !INSTANCE_TYPES[t])).toEqual([]);
    expect(reservableCapacity('t3.micro')).toEqual({ cpu: 2048, memoryMiB: 942 });
  });
});

describe('checkCapacity', () => {
  it('passes the defaults quietly (t3.small, 256/512: 3 tasks per instance, up to 6 tasks on 4 instances)', () => {
    const r = checkCapacity(answers({}));
    expect(r).toEqual({ problems: [], warnings: [] });
  });

  it('warns with the numbers when the largest service does not fit the largest group (t3.micro)', () => {
    // GIVEN 1 task per t3.micro, 6 tasks max, 4 instances max
    const r = checkCapacity(answers({ instances: { instanceType: 't3.micro' } }));
    // THEN 6 > 1 × 4 is a warning with the numbers, and nothing is refused
    expect(r.problems).toEqual([]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/scaling\.service\.maxCount is 6, but at most 4 tasks fit \(1 per t3\.micro × instances\.maxSize 4\)/);
  });

  it('refuses a task that fits no instance, naming cpu and memory with the numbers', () => {
    const r = checkCapacity(answers({ instances: { instanceType: 't2.micro' }, service: { cpu: 2048, memory: 4096, desiredCount: 1 }, scaling: { service: { minCount: 1, maxCount: 2 } } }));
    expect(r.problems.map((p) => p.path)).toEqual(['service.cpu', 'service.memory']);
    expect(r.problems[0]!.message).toContain('2048 CPU units but a t2.micro offers 1024');
    expect(r.problems[1]!.message).toContain('4096 MiB but a t2.micro offers about 942 MiB');
  });

  it('is silent when the largest service fits the largest group', () => {
    const r = checkCapacity(answers({ instances: { instanceType: 'm5.large', maxSize: 4 }, service: { cpu: 256, memory: 512 }, scaling: { service: { maxCount: 32 } } }));
    expect(r).toEqual({ problems: [], warnings: [] });
  });

  it('refuses a desired count the initial instances cannot hold when no capacity provider would add instances', () => {
    // GIVEN 2 tasks per t3.small, 2 instances, 5 tasks wanted, managed scaling off
    const input = { instances: { instanceType: 't3.small', desiredCapacity: 2, maxSize: 4 }, service: { desiredCount: 5 }, scaling: { service: { maxCount: 6 }, instances: { managed: false } } };
    const off = checkCapacity(answers({ ...input, service: { cpu: 512, memory: 768, desiredCount: 5 } }));
    // THEN it is refused with the numbers
    expect(off.problems).toHaveLength(1);
    expect(off.problems[0]!.path).toBe('service.desiredCount');
    expect(off.problems[0]!.message).toMatch(/5 tasks need 3 instances \(2 per t3\.small\), but instances\.desiredCapacity is 2/);
    // AND with a capacity provider the same answers are fine (it scales out for pending tasks)
    const on = checkCapacity(answers({ ...input, service: { cpu: 512, memory: 768, desiredCount: 5 }, scaling: { service: { maxCount: 6 }, instances: { managed: true } } }));
    expect(on.problems).toEqual([]);
  });

  it('warns about an instance type it cannot check', () => {
    const r = checkCapacity(answers({ instances: { instanceType: 'x2idn.16xlarge' } }));
    expect(r.problems).toEqual([]);
    expect(r.warnings[0]).toMatch(/x2idn\.16xlarge is not in ecs-wizard's capacity table/);
  });

  it('checks the fixed desired count when service auto scaling is off', () => {
    const r = checkCapacity(answers({ service: { desiredCount: 9 }, instances: { instanceType: 't3.micro', maxSize: 4, desiredCapacity: 4 }, scaling: { service: { enabled: false } } }));
    expect(r.warnings[0]).toMatch(/^service\.desiredCount is 9, but at most 4 tasks fit/);
  });
});
