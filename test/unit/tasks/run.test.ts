import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, RunTaskCommand, StopTaskCommand, type Task } from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { AwsClients } from '../../../src/aws/clients.js';
import { run } from '../../../src/cli/commands/run.js';
import type { CliContext } from '../../../src/cli/context.js';
import { exitCodeFor } from '../../../src/cli/exit.js';
import { quitNotice } from '../../../src/cli/interrupt.js';
import { StateFile, emptyState, stateFilePath } from '../../../src/engine/state.js';
import { isWizardError } from '../../../src/errors.js';
import { neverRan, parseRunRequest, watchRun } from '../../../src/tasks/run.js';
import { targetService } from '../../../src/tasks/target.js';
import { sdkError } from '../../support/aws-wire.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import { FAST_TIMING, tempDir } from '../../support/stack.js';
import { CTRL_C, scriptedPrompter } from '../wizard/scripted-prompter.js';

const ecs = mockClient(ECSClient);
const logs = mockClient(CloudWatchLogsClient);
afterEach(() => {
  ecs.reset();
  logs.reset();
  quitNotice.message = undefined;
});

const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/ask/0123456789abcdef0123456789abcdef';

describe('run: the request, before any AWS call', () => {
  it('keeps the command word for word (no shell in between), the environment and the size', () => {
    expect(parseRunRequest({ env: ['A=1', 'B='], cpu: '512', memory: '1024' }, ['sh', '-c', "echo 'a b'; exit 3"])).toEqual({ command: ['sh', '-c', "echo 'a b'; exit 3"], env: { A: '1', B: '' }, cpu: 512, memory: 1024, detach: false });
  });

  it('says why a task never ran, in words: the stop code, ECS\'s reason and the container\'s', () => {
    expect(neverRan({ taskArn: TASK, exitCode: null, stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: not found' })).toBe('the task failed to start: CannotPullContainerError: not found');
    expect(neverRan({ taskArn: TASK, exitCode: null, stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.', containerReason: 'host gone' })).toBe('its Spot host was reclaimed: Your Spot Task was interrupted.; host gone');
  });
});

/**
 * Ctrl-C while `run` waits: on a terminal it asks whether to stop the task (default yes); "no", or
 * Ctrl-C at the question, leaves it running and says how to stop it. Exit 130 either way.
 */
describe('run: Ctrl-C on a terminal', () => {
  async function interrupt(answer: unknown, onStop: () => Promise<object> = async () => ({})): Promise<{ code: number; stderr: string; asked: string[] }> {
    const dir = tempDir();
    const state = new StateFile(stateFilePath(dir, 'ask'), { ...emptyState('ask'), answers: validateAnswers({ stack: 'ask' }), region: 'us-east-1' });
    await state.update(() => undefined);
    const controller = new AbortController();
    ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'ask', status: 'ACTIVE', taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/ask:3' }] });
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'PROVISIONING' }], failures: [] });
    // The task runs on; the user presses Ctrl-C while it is described.
    ecs.on(DescribeTasksCommand).callsFake(async () => {
      controller.abort();
      return { tasks: [{ taskArn: TASK, lastStatus: 'RUNNING' }] };
    });
    ecs.on(StopTaskCommand).callsFake(onStop);
    logs.on(GetLogEventsCommand).resolves({ events: [], nextForwardToken: 'f/1' });
    let stderr = '';
    const script = scriptedPrompter([['Stop task 0123456789abcdef0123456789abcdef?', answer]]);
    const ctx: CliContext = {
      stdout: { write: () => true } as unknown as NodeJS.WritableStream,
      stderr: { write: (s: string) => ((stderr += s), true) } as unknown as NodeJS.WritableStream,
      stdin: process.stdin,
      env: { NO_COLOR: '1', TERM: 'dumb' },
      cwd: dir,
      isTTY: true,
      makeClients: (target) => new AwsClients({ ...target, region: 'us-east-1', endpointUrl: 'http://127.0.0.1:9' }),
      timing: FAST_TIMING,
      signal: controller.signal,
      prompter: async () => script,
    };
    let code: number;
    try {
      code = await run('ask', ['./migrate'], { stateDir: dir }, ctx);
    } catch (err) {
      if (!isWizardError(err)) throw err;
      code = exitCodeFor(err);
    }
    return { code, stderr, asked: script.asked };
  }

  it('"yes" (the default) stops the task: StopTask, exit 130', async () => {
    const r = await interrupt(undefined);
    expect(r.asked).toEqual(['Stop task 0123456789abcdef0123456789abcdef?']);
    expect(r.code).toBe(130);
    expect(ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'ask', task: TASK, reason: 'Stopped by ecs-wizard run (Ctrl-C)' }]);
  });

  it('"no" leaves it running and says how to stop it: no StopTask, exit 130', async () => {
    const r = await interrupt(false);
    expect(r.code).toBe(130);
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
    expect(r.stderr).toContain(`Task 0123456789abcdef0123456789abcdef is left running: stop it with \`aws ecs stop-task --cluster ask --task ${TASK}\`.`);
  });

  it('Ctrl-C again, at the question, leaves it running too', async () => {
    const r = await interrupt(CTRL_C);
    expect(r.code).toBe(130);
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
    expect(r.stderr).toContain('is left running: stop it with `aws ecs stop-task');
  });

  it('while the task runs, a second Ctrl-C (main quits at once) has its words ready', async () => {
    // GIVEN the run is stopped by Ctrl-C between RunTask and the question (the words main prints on a second Ctrl-C)
    let during: string | undefined;
    await interrupt(true, async () => {
      during = quitNotice.message;
      return {};
    });
    expect(during).toBe(`Task 0123456789abcdef0123456789abcdef is left running: stop it with \`aws ecs stop-task --cluster ask --task ${TASK}\`.`);
    // AND once the task is stopped, nothing is said on the way out
    expect(quitNotice.message).toBeUndefined();
  });
});

describe('run: watching the task', () => {
  const target = targetService({ ...emptyState('ask'), answers: validateAnswers({ stack: 'ask' }), resources: {} }, undefined, 'run');
  const started = { taskArn: TASK, taskId: TASK.split('/').pop()!, cluster: 'ask', taskDefinitionArn: 'td', enableExecuteCommand: false };
  const env = () => ({ aws: new AwsClients({ region: 'us-east-1', endpointUrl: 'http://127.0.0.1:9' }), timing: FAST_TIMING, signal: new AbortController().signal, tags: [] });
  const stopped = { taskArn: TASK, lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', containers: [{ name: 'app', exitCode: 5 }] } satisfies Task;

  it('prints the stream\'s lines as they come, in order, from the task\'s own stream, and ends with the container\'s exit code', async () => {
    ecs.on(DescribeTasksCommand).resolvesOnce({ tasks: [{ taskArn: TASK, lastStatus: 'RUNNING' }] }).resolves({ tasks: [stopped] });
    logs
      .on(GetLogEventsCommand)
      .resolvesOnce({ events: [{ timestamp: 1, message: 'one\n' }, { timestamp: 2, message: 'two' }], nextForwardToken: 'f/2' })
      .resolvesOnce({ events: [], nextForwardToken: 'f/2' })
      .resolvesOnce({ events: [{ timestamp: 3, message: 'three' }], nextForwardToken: 'f/3' })
      .resolves({ events: [], nextForwardToken: 'f/3' });
    const lines: string[] = [];
    const o = await watchRun(env(), target, started, { progress: () => undefined, warn: () => undefined, logLine: (l) => void lines.push(l.message) });
    expect(lines).toEqual(['one', 'two', 'three']);
    expect(o).toMatchObject({ exitCode: 5, stopCode: 'EssentialContainerExited' });
    expect(logs.commandCalls(GetLogEventsCommand)[0]!.args[0].input).toEqual({ logGroupName: '/ecs/ask', logStreamName: `ecs/app/${started.taskId}`, startFromHead: true });
    expect(logs.commandCalls(GetLogEventsCommand)[2]!.args[0].input).toMatchObject({ nextToken: 'f/2' });
  });

  it('output it may not read is said once, and the wait for the exit code goes on', async () => {
    ecs.on(DescribeTasksCommand).resolvesOnce({ tasks: [{ taskArn: TASK, lastStatus: 'RUNNING' }] }).resolves({ tasks: [stopped] });
    logs.on(GetLogEventsCommand).rejects(await sdkError(CloudWatchLogsClient, GetLogEventsCommand, 'AccessDeniedException', 'User is not authorized to perform: logs:GetLogEvents', { status: 400 }));
    const warnings: string[] = [];
    const o = await watchRun(env(), target, started, { progress: () => undefined, warn: (w) => void warnings.push(w), logLine: () => undefined });
    expect(o.exitCode).toBe(5);
    expect(warnings).toEqual([expect.stringContaining("The task's output cannot be read from /ecs/ask (AccessDeniedException")]);
    expect(logs.commandCalls(GetLogEventsCommand)).toHaveLength(1);
  });
});
