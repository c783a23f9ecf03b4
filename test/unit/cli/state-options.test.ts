import { describe, expect, it } from 'vitest';
import { commonOptions, parseDuration, parseStateLocation } from '../../../src/cli/options.js';
import type { CliContext } from '../../../src/cli/context.js';
import type { Problem } from '../../../src/errors.js';
import { isWizardError } from '../../../src/errors.js';

const ctx = (env: Record<string, string> = {}): CliContext => ({ env, cwd: '/work/here' }) as unknown as CliContext;

describe('--state-dir and ECS_WIZARD_STATE_DIR', () => {
  it.each([
    ['s3://team-state', { kind: 's3', bucket: 'team-state', prefix: '' }],
    ['s3://team-state/', { kind: 's3', bucket: 'team-state', prefix: '' }],
    ['s3://team.state-1/ecs-wizard/prod/', { kind: 's3', bucket: 'team.state-1', prefix: 'ecs-wizard/prod' }],
    ['./states', { kind: 'file', dir: './states' }],
  ] as const)('%s is %j', (text, expected) => {
    const problems: Problem[] = [];
    expect(parseStateLocation(text, '--state-dir', problems)).toEqual(expected);
    expect(problems).toEqual([]);
  });

  it.each(['s3://', 's3:/team-state', 's3://ab', 's3://Team-State/x', 's3://team_state', 's3://-team/x', 's3://team..state', 's3://10.0.0.1/x', 's3://team-state/a//b', 's3://team-state/../x', 's3://team-state/a b'])(
    '%s is a problem on the field that gave it',
    (text) => {
      const problems: Problem[] = [];
      expect(parseStateLocation(text, 'ECS_WIZARD_STATE_DIR', problems)).toBeUndefined();
      expect(problems).toHaveLength(1);
      expect(problems[0]!.path).toBe('ECS_WIZARD_STATE_DIR');
      expect(problems[0]!.message).toContain(text);
    },
  );

  it('the environment variable may name an S3 prefix, kept as a URL (not resolved as a path)', () => {
    const opts = commonOptions({}, ctx({ ECS_WIZARD_STATE_DIR: 's3://team-state/web/' }));
    expect(opts.state).toEqual({ kind: 's3', bucket: 'team-state', prefix: 'web' });
    expect(opts.stateDir).toBe('s3://team-state/web');
  });

  it('without either, the state stays in ./.ecs-wizard', () => {
    expect(commonOptions({}, ctx()).state).toEqual({ kind: 'file', dir: '/work/here/.ecs-wizard' });
  });
});

describe('--lock-timeout', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['250ms', 250],
    ['45', 45_000],
    ['1.5m', 90_000],
    ['0', 0],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(commonOptions({ lockTimeout: text }, ctx()).lockTimeoutMs).toBe(ms);
  });

  it('defaults to 0: a held lock fails at once', () => {
    expect(commonOptions({}, ctx()).lockTimeoutMs).toBe(0);
  });

  it('a bad duration and a bad URL are reported together, each by its field', () => {
    const err = (() => {
      try {
        commonOptions({ lockTimeout: '5 minutes', stateDir: 's3://X' }, ctx());
      } catch (e) {
        return e;
      }
    })();
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as { problems: Problem[] }).problems.map((p) => p.path)).toEqual(['--lock-timeout', '--state-dir']);
    expect(commonOptions.bind(null, { lockTimeout: '25h' }, ctx())).toThrow(/--lock-timeout/);
  });
});
