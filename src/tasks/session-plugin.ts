import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * AWS's session-manager-plugin: the program that carries an ECS Exec session over a websocket
 * between this terminal and the container. ecs-wizard starts it exactly as the AWS CLI's
 * `aws ecs execute-command` does (awscli/customizations/ecs/executecommand.py).
 */
export const PLUGIN = 'session-manager-plugin';

/** The plugin's path on PATH (Windows: with its PATHEXT extensions), or undefined. */
export function findPlugin(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? '').split(platform === 'win32' ? ';' : path.delimiter).filter(Boolean);
  const exts = platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').filter(Boolean) : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const file = path.join(dir, `${PLUGIN}${ext}`);
      try {
        if (!statSync(file).isFile()) continue;
        if (platform !== 'win32') accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here, or not executable: the next directory
      }
    }
  }
  return undefined;
}

/** How to install the plugin on this operating system: AWS's documented commands (Systems Manager user guide). */
export function installHint(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const base = 'https://s3.amazonaws.com/session-manager-downloads/plugin/latest';
  const arm = arch === 'arm64';
  if (platform === 'darwin') {
    const dir = arm ? 'mac_arm64' : 'mac';
    return [
      'Install AWS\'s session-manager-plugin (macOS):',
      `  curl "${base}/${dir}/session-manager-plugin.pkg" -o "session-manager-plugin.pkg"`,
      '  sudo installer -pkg session-manager-plugin.pkg -target /',
      '  sudo ln -s /usr/local/sessionmanagerplugin/bin/session-manager-plugin /usr/local/bin/session-manager-plugin',
    ].join('\n');
  }
  if (platform === 'win32') {
    return `Install AWS's session-manager-plugin (Windows): download and run ${base}/windows/SessionManagerPluginSetup.exe, then open a new terminal.`;
  }
  return [
    'Install AWS\'s session-manager-plugin (Linux):',
    `  Debian/Ubuntu: curl "${base}/${arm ? 'ubuntu_arm64' : 'ubuntu_64bit'}/session-manager-plugin.deb" -o "session-manager-plugin.deb" && sudo dpkg -i session-manager-plugin.deb`,
    `  Amazon Linux/RHEL/Fedora: sudo yum install -y ${base}/${arm ? 'linux_arm64' : 'linux_64bit'}/session-manager-plugin.rpm`,
  ].join('\n');
}

/** What ExecuteCommand answered, as the plugin reads it. */
export interface ExecSession {
  /** ECS's `session` object exactly as it came (sessionId, streamUrl, tokenValue). */
  session: { sessionId?: string; streamUrl?: string; tokenValue?: string };
  region: string;
  /** The profile the command used ('' for none: the plugin then uses the default chain). */
  profile: string;
  cluster: string;
  taskId: string;
  /** The container's runtimeId (DescribeTasks): the SSM target is `ecs:<cluster>_<task id>_<runtime id>`. */
  runtimeId: string;
  /** The ECS endpoint the ExecuteCommand call went to. */
  endpoint: string;
}

/**
 * The plugin's arguments, as the AWS CLI passes them for ECS: the session JSON, the region,
 * "StartSession", the profile name or "", the SSM target as JSON, and the ECS client's endpoint URL.
 */
export function pluginArgs(s: ExecSession): string[] {
  return [JSON.stringify(s.session), s.region, 'StartSession', s.profile, JSON.stringify({ Target: `ecs:${s.cluster}_${s.taskId}_${s.runtimeId}` }), s.endpoint];
}

/**
 * Runs the plugin with this terminal (stdio inherited) and resolves to its exit status. While it
 * runs, Ctrl-C, Ctrl-\ and Ctrl-Z belong to the session: the AWS CLI ignores them in its own
 * process (ignore_user_entered_signals) so that only the plugin, and the shell at the other end,
 * act on them. `whileRunning` is told when the terminal is handed over and back.
 */
export function runPlugin(file: string, args: string[], opts: { env: NodeJS.ProcessEnv; stdout?: 'inherit' | 'stderr'; whileRunning?: (running: boolean) => void }): Promise<number> {
  const ignore = (): void => undefined;
  const signals: NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT'] : ['SIGINT', 'SIGQUIT', 'SIGTSTP'];
  for (const s of signals) process.on(s, ignore);
  opts.whileRunning?.(true);
  const done = (): void => {
    for (const s of signals) process.removeListener(s, ignore);
    opts.whileRunning?.(false);
  };
  return new Promise<number>((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['inherit', opts.stdout === 'stderr' ? 2 : 'inherit', 'inherit'], env: opts.env });
    child.once('error', (err) => {
      done();
      reject(err);
    });
    child.once('exit', (code, signal) => {
      done();
      // Killed by a signal: the shell's convention, 128 + its number.
      const n = signal ? ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] : undefined;
      resolve(code ?? (n ? 128 + n : 1));
    });
  });
}
