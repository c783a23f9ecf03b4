import { describe, expect, it } from 'vitest';
import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { applyChange, parseDeployFlags, parseRevision, registerable, sameDefinition } from '../../../src/deploy/change.js';
import { isWizardError } from '../../../src/errors.js';

const problemsOf = (f: () => unknown): { code?: string; paths: string[] } => {
  try {
    f();
  } catch (err) {
    if (isWizardError(err)) return { code: err.code, paths: err.problems.map((p) => p.path) };
    throw err;
  }
  return { paths: [] };
};

/** A revision as DescribeTaskDefinition returns it, with fields ecs-wizard never sets (a task role, a volume, a sidecar, labels). */
const described: TaskDefinition = {
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop:4',
  family: 'shop',
  revision: 4,
  status: 'ACTIVE',
  taskRoleArn: 'arn:aws:iam::123456789012:role/shop-task',
  executionRoleArn: 'arn:aws:iam::123456789012:role/shop-ecs-task-execution',
  networkMode: 'bridge',
  requiresCompatibilities: ['EC2'],
  compatibilities: ['EC2'],
  volumes: [{ name: 'scratch', host: {} }],
  registeredAt: new Date('2024-05-01T10:00:00Z'),
  registeredBy: 'arn:aws:iam::123456789012:user/ci',
  requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.21' }],
  containerDefinitions: [
    { name: 'app', image: 'httpd:2.4', cpu: 256, memory: 512, essential: true, environment: [{ name: 'B', value: '2' }, { name: 'A', value: '1' }], dockerLabels: { team: 'web' } },
    { name: 'log-router', image: 'fluent-bit:2', essential: false },
  ],
};

describe('deploy flags (exit 2 before any AWS call)', () => {
  it('names every bad flag at once: an image Docker refuses, --env without =, a bad variable name', () => {
    // GIVEN three bad values WHEN parsed THEN one input error names each flag
    const r = problemsOf(() => parseDeployFlags({ image: 'MyApp:1', env: ['NOEQUALS', '1BAD=x'], unsetEnv: ['ok-not'] }));
    expect(r.code).toBe('INPUT_INVALID');
    expect(r.paths).toEqual(['--image', '--env', '--env', '--unset-env']);
  });

  it('nothing to change is a usage error naming the flags to give', () => {
    const r = problemsOf(() => parseDeployFlags({}));
    expect(r.code).toBe('USAGE');
    expect(r.paths).toEqual(['--image']);
  });

  it('--env KEY= is an empty value, a value may contain =; --force alone is a forced deployment', () => {
    expect(parseDeployFlags({ env: ['EMPTY=', 'URL=a=b'] })).toMatchObject({ kind: 'deploy', set: { EMPTY: '', URL: 'a=b' } });
    expect(parseDeployFlags({ force: true })).toMatchObject({ kind: 'force', force: true, set: {}, unset: [] });
  });

  it('the same variable set and removed is refused; --to must be a revision number', () => {
    expect(problemsOf(() => parseDeployFlags({ env: ['A=1'], unsetEnv: ['A'] })).paths).toEqual(['--unset-env']);
    expect(problemsOf(() => parseRevision('abc')).paths).toEqual(['--to']);
    expect(problemsOf(() => parseRevision('0')).paths).toEqual(['--to']);
    expect(parseRevision('12')).toBe(12);
  });
});

describe('the new revision: the running one with only the asked changes', () => {
  it('keeps every field ecs-wizard does not manage and drops AWS bookkeeping', () => {
    const input = registerable(described);
    expect(input).toMatchObject({ taskRoleArn: described.taskRoleArn, volumes: described.volumes, requiresCompatibilities: ['EC2'] });
    expect(input.containerDefinitions).toHaveLength(2);
    for (const k of ['taskDefinitionArn', 'revision', 'status', 'compatibilities', 'registeredAt', 'registeredBy', 'requiresAttributes']) expect(input).not.toHaveProperty(k);
  });

  it('changes the image and variables of the app container only, and names the variables that really changed', () => {
    const base = registerable(described);
    const { input, changed } = applyChange(base, { kind: 'deploy', image: 'httpd:2.4.62', set: { A: '1', C: '3', B: '20' }, unset: ['GONE'], force: false }, 'app');
    const app = input.containerDefinitions!.find((c) => c.name === 'app')!;
    expect(app.image).toBe('httpd:2.4.62');
    expect(app.environment).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '20' }, { name: 'C', value: '3' }]);
    // A=1 was already so, GONE was never there: only B and C changed.
    expect(changed).toEqual(['B', 'C']);
    expect(app.dockerLabels).toEqual({ team: 'web' });
    expect(input.containerDefinitions!.find((c) => c.name === 'log-router')).toEqual(described.containerDefinitions![1]);
    // AND the input it came from is untouched
    expect(base.containerDefinitions![0]!.image).toBe('httpd:2.4');
  });

  it('a change that changes nothing yields the same definition; order of variables does not matter', () => {
    const base = registerable(described);
    const { input, changed } = applyChange(base, { kind: 'deploy', image: 'httpd:2.4', set: { A: '1' }, unset: [], force: false }, 'app');
    expect(changed).toEqual([]);
    expect(sameDefinition(input, base)).toBe(true);
    const { input: other } = applyChange(base, { kind: 'deploy', set: {}, unset: ['A'], force: false }, 'app');
    expect(sameDefinition(other, base)).toBe(false);
  });

  it('a definition without the stack container and with several containers is drift, not a guess', () => {
    const base = registerable({ ...described, containerDefinitions: [{ name: 'x', image: 'a' }, { name: 'y', image: 'b' }] });
    expect(problemsOf(() => applyChange(base, { kind: 'deploy', image: 'c:1', set: {}, unset: [], force: false }, 'app')).code).toBe('DRIFT');
  });
});
