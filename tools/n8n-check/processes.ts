/**
 * Child processes with bounds: every command has a timeout, every long-running process is
 * started in its own process group so that stopping it also stops what it started (n8n's task
 * runner), and whatever is still running when this script exits is stopped too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createWriteStream, existsSync, readFileSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

import { freePort, sleep } from '../../test/support/loopback';

export { freePort, sleep };

const running = new Set<ChildProcess>();

/** Signals the child's process group; `evenAfterExit` reaches children that outlive their parent. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals, evenAfterExit = false): void {
	if (child.pid === undefined) return;
	if (!evenAfterExit && (child.exitCode !== null || child.signalCode !== null)) return;
	try {
		process.kill(-child.pid, signal);
	} catch {
		// The group is already gone.
	}
}

/** Stops every process group this script started and has not stopped yet. */
export function killAllStarted(): void {
	for (const child of running) killGroup(child, 'SIGKILL');
	running.clear();
}

const exitActions: Array<() => void> = [];

/** Runs `action` (synchronous) when this script exits, even on Ctrl-C. */
export function atExit(action: () => void): void {
	exitActions.push(action);
}

process.on('exit', () => {
	killAllStarted();
	for (const action of exitActions) action();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.on(signal, () => {
		process.stderr.write(`\n${signal}: stopping what was started, removing temporary folders\n`);
		killAllStarted();
		process.exit(130);
	});
}

/**
 * The environment for a child: this one without what `npm run` and the caller's shell put there
 * for n8n, npm or Node (npm_config_local_prefix would point npm at this repository, an inherited
 * N8N_* or DB_* could change what is tested), plus `extra`.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (/^(npm_|N8N_|DB_|NODE_OPTIONS$|NODE_PATH$|EXECUTIONS_|GENERIC_TIMEZONE$)/i.test(key)) continue;
		env[key] = value;
	}
	return { ...env, ...extra };
}

/** PATH with the folder of `nodeBin` first, so that `node` in children is that Node. */
export function pathWith(nodeBin: string): string {
	return [dirname(nodeBin), process.env.PATH ?? ''].join(delimiter);
}

export interface RunOptions {
	cwd: string;
	env?: NodeJS.ProcessEnv;
	timeoutMs: number;
}

export interface RunResult {
	code: number | null;
	stdout: string;
	stderr: string;
	ms: number;
}

/** Runs a command to its end, or kills it after `timeoutMs`. Never rejects for a bad exit code. */
export async function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
	const started = Date.now();
	const child = spawn(command, args, {
		cwd: options.cwd,
		env: options.env ?? cleanEnv(),
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	running.add(child);
	let stdout = '';
	let stderr = '';
	child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
	child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	let timedOut = false;
	const timer = setTimeout(() => {
		timedOut = true;
		killGroup(child, 'SIGKILL');
	}, options.timeoutMs);
	const code = await new Promise<number | null>((resolve) => {
		child.on('error', (error) => {
			stderr += `\n${error.message}`;
			resolve(null);
		});
		child.on('close', (exitCode) => resolve(exitCode));
	});
	clearTimeout(timer);
	// Whatever the command left behind in its group (n8n execute's task runner) goes with it.
	killGroup(child, 'SIGKILL', true);
	running.delete(child);
	if (timedOut) stderr += `\n[killed after ${Math.round(options.timeoutMs / 1000)} s]`;
	return { code: timedOut ? null : code, stdout, stderr, ms: Date.now() - started };
}

/** Like `run`, but throws with the command's last output lines unless it exits with 0. */
export async function runOrThrow(command: string, args: string[], options: RunOptions): Promise<RunResult> {
	const result = await run(command, args, options);
	if (result.code !== 0) {
		throw new Error(
			`\`${[command, ...args].join(' ')}\` in ${options.cwd} failed (exit ${result.code ?? 'timeout'}):\n` +
				tail(`${result.stdout}\n${result.stderr}`, 25),
		);
	}
	return result;
}

/** A long-running process (n8n start, Chromium) whose output goes to a log file. */
export class Background {
	readonly exited: Promise<number | null>;

	/** The last 64 KiB of its output, for waitForOutput. */
	private recentOutput = '';

	private readonly outputSeen = new EventEmitter();

	private constructor(
		private readonly child: ChildProcess,
		readonly logFile: string,
	) {
		this.exited = new Promise((resolve) => {
			child.on('error', () => resolve(null));
			child.on('close', (code) => resolve(code));
		});
		void this.exited.then(() => {
			running.delete(child);
			this.outputSeen.emit('exit');
		});
		for (const stream of [child.stdout, child.stderr]) {
			stream?.on('data', (chunk: Buffer) => {
				this.recentOutput = (this.recentOutput + chunk.toString()).slice(-65_536);
				this.outputSeen.emit('data');
			});
		}
	}

	/** Resolves with the first match of `pattern` in the output; rejects on exit or after `timeoutMs`. */
	async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
		return await new Promise((resolve, reject) => {
			const finish = (outcome: () => void) => {
				clearTimeout(timer);
				this.outputSeen.off('data', look).off('exit', exited);
				outcome();
			};
			const look = (): boolean => {
				const match = this.recentOutput.match(pattern);
				if (match) finish(() => resolve(match));
				return match !== null;
			};
			const exited = () => finish(() => reject(new Error(`exited before printing ${pattern}:\n${tail(this.recentOutput, 15)}`)));
			const timer = setTimeout(
				() => finish(() => reject(new Error(`did not print ${pattern} within ${timeoutMs / 1000} s:\n${tail(this.recentOutput, 15)}`))),
				timeoutMs,
			);
			this.outputSeen.on('data', look).on('exit', exited);
			if (!look() && this.hasExited) exited();
		});
	}

	static start(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string }) {
		const log = createWriteStream(options.logFile, { flags: 'a' });
		const child = spawn(command, args, {
			cwd: options.cwd,
			env: options.env,
			detached: true,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		running.add(child);
		child.stdout?.pipe(log, { end: false });
		child.stderr?.pipe(log, { end: false });
		child.on('close', () => log.end());
		return new Background(child, options.logFile);
	}

	get hasExited(): boolean {
		return this.child.exitCode !== null || this.child.signalCode !== null;
	}

	/** SIGTERM to the whole group, then SIGKILL if it is not gone within `graceMs`. */
	async stop(graceMs: number): Promise<'stopped' | 'killed'> {
		if (this.hasExited) return 'stopped';
		killGroup(this.child, 'SIGTERM');
		const gone = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
		if (gone) {
			// The task runner may outlive its parent by a moment.
			killGroup(this.child, 'SIGKILL', true);
			return 'stopped';
		}
		killGroup(this.child, 'SIGKILL');
		await Promise.race([this.exited, sleep(5_000)]);
		return 'killed';
	}

	/** SIGKILL to the whole group, as a crash or an OOM kill would end it; resolves once it is gone. */
	async kill(): Promise<void> {
		killGroup(this.child, 'SIGKILL');
		await Promise.race([this.exited, sleep(10_000)]);
	}

	logTail(lines: number): string {
		return existsSync(this.logFile) ? tail(readFileSync(this.logFile, 'utf8'), lines) : '(no log)';
	}
}


export function tail(text: string, lines: number): string {
	return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** npm's own CLI script, to run it with a chosen Node; and the node-gyp that comes with it. */
export function npmTools(): { npmCli: string; nodeGyp: string } {
	let npmCli = process.env.npm_execpath;
	if (!npmCli || !/npm-cli\.js$/.test(npmCli)) {
		const onPath = (process.env.PATH ?? '')
			.split(delimiter)
			.map((folder) => join(folder, 'npm'))
			.find((candidate) => existsSync(candidate));
		if (!onPath) throw new Error('npm is not on PATH');
		npmCli = join(dirname(realpathSync(onPath)), 'npm-cli.js');
	}
	const nodeGyp = join(dirname(dirname(npmCli)), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
	if (!existsSync(npmCli) || !existsSync(nodeGyp)) {
		throw new Error(`npm's CLI or its node-gyp not found (looked for ${npmCli} and ${nodeGyp})`);
	}
	return { npmCli, nodeGyp };
}
