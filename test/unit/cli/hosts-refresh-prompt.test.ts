import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { AwsClients } from '../../../src/aws/clients.js';
import { StateFile, emptyState, stateFilePath } from '../../../src/engine/state.js';
import { hostsRefresh } from '../../../src/cli/commands/hosts.js';
import type { CliContext } from '../../../src/cli/context.js';
import { isWizardError } from '../../../src/errors.js';
import type { RollSpec } from '../../../src/hosts/roll.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import { FAST_TIMING, tempDir } from '../../support/stack.js';
import { scriptedPrompter } from '../wizard/scripted-prompter.js';

const asg = mockClient(AutoScalingClient);
afterEach(() => asg.reset());

/**
 * `hosts refresh` in a terminal asks before it replaces anything; what the roll does after the
 * answer must show live, like `--yes` shows it (the reporter is paused for the question, not closed).
 */
describe('hosts refresh in a terminal', () => {
  it('after "yes", the roll\'s steps reach the terminal', async () => {
    // GIVEN a stack whose state holds an interrupted roll of one host, and a group AWS no longer has
    const dir = tempDir();
    const spec: RollSpec = { reason: 't3.small → t3.medium', groupName: 'ask-ecs', clusterName: 'ask', serviceName: 'ask', hosts: [{ instanceId: 'i-0123456789abcdef0' }], original: { minSize: 1, maxSize: 2, desiredCapacity: 1 } };
    const state = new StateFile(stateFilePath(dir, 'ask'), { ...emptyState('ask'), answers: validateAnswers({ stack: 'ask' }), region: 'us-east-1' });
    await state.update((s) => void (s.roll = { startedAt: new Date().toISOString(), spec: spec as unknown as Record<string, unknown>, resources: {} }));
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    let stdout = '';
    let stderr = '';
    let askedAt = -1;
    const script = scriptedPrompter([['Replace these hosts?', true]]);
    const ctx: CliContext = {
      stdout: { write: (s: string) => ((stdout += s), true) } as unknown as NodeJS.WritableStream,
      stderr: { write: (s: string) => ((stderr += s), true) } as unknown as NodeJS.WritableStream,
      stdin: process.stdin,
      env: { NO_COLOR: '1' },
      cwd: dir,
      isTTY: true,
      makeClients: (target) => new AwsClients({ ...target, region: 'us-east-1' }),
      timing: FAST_TIMING,
      signal: new AbortController().signal,
      prompter: async () => ({ ...script, confirm: (q) => ((askedAt = stderr.length), script.confirm(q)) }),
    };
    // WHEN the user answers yes
    const error = await hostsRefresh('ask', { stateDir: dir }, ctx).catch((e: unknown) => e);
    // THEN it asked, naming the roll, and the failing step (the group is gone) shows after the answer
    expect(script.remaining()).toBe(0);
    expect(stdout).toContain('Continue replacing 1 instance of stack "ask" one at a time (t3.small → t3.medium)');
    expect(isWizardError(error, 'STEP_FAILED')).toBe(true);
    expect(askedAt).toBeGreaterThanOrEqual(0);
    expect(stderr.slice(askedAt)).toContain('✖ Spare host: failed — The Auto Scaling group ask-ecs no longer exists');
  });
});
