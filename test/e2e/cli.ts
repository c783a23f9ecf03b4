import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stackNames } from '../../src/steps/names.js';
import { registerFakeAgents } from '../support/fake-agent.js';

/** The built CLI (run `npm run build` first), as an operator or a script would start it. */
export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/ecs-wizard.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Only what the CLI needs: never the developer's AWS config, never a real endpoint. */
export function cliEnv(motoEnv: Record<string, string>, home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...motoEnv,
  };
}

export function startCli(args: string[], opts: { env: Record<string, string>; cwd: string }): { child: ChildProcess; done: Promise<CliRun>; stderrSoFar: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done, stderrSoFar: () => stderr };
}

export function runCli(args: string[], opts: { env: Record<string, string>; cwd: string }): Promise<CliRun> {
  return startCli(args, opts).done;
}

/**
 * `runCli` while the fake ECS agent joins the stack's instances to its cluster as they launch
 * (moto runs no agent), for a create that waits for container instances.
 */
export async function runCliWithAgents(args: string[], opts: { env: Record<string, string>; cwd: string; endpoint: string; stack: string }): Promise<CliRun> {
  const { done } = startCli(args, opts);
  let ended = false;
  void done.then(() => (ended = true));
  const n = stackNames(opts.stack);
  while (!ended) {
    // Before the cluster and group exist this fails or finds nothing; the agent just tries again.
    await registerFakeAgents(opts.endpoint, n.cluster, n.autoScalingGroup).catch(() => 0);
    await new Promise((r) => setTimeout(r, 250));
  }
  return done;
}
