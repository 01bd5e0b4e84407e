import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ICredentialDataDecryptedObject, IDataObject, INodeParameters } from 'n8n-workflow';

/** What the other process is asked to run: employees `from`..`to` (from 1) of payrollRun's list. */
export interface WorkerJob {
	employees: { from: number; to: number };
	parameters: INodeParameters;
	credentials: { payrollSmtpApi: ICredentialDataDecryptedObject; postgres: ICredentialDataDecryptedObject };
	executionId: string;
}

export type WorkerMessage =
	| { kind: 'ready' }
	| { kind: 'done'; items: IDataObject[][]; status: string; logs: string[] }
	| { kind: 'failed'; error: string };

export type WorkerResult = Extract<WorkerMessage, { kind: 'done' }>;

/**
 * A second n8n worker, as far as Payroll Mail can tell: the node loaded and run by n8n's engine in
 * a process of its own (workerProcessMain.ts), with its own module state (the account lock of
 * its process, n8n's deduplication service), sharing only the SMTP server and the database. It
 * can be killed with SIGKILL in the middle of a run, as a crashed worker is.
 */
export class WorkerProcess {
	private readonly messages: WorkerMessage[] = [];
	private readonly waiters: Array<() => void> = [];
	readonly exited: Promise<number | null>;

	private constructor(private readonly child: ChildProcess) {
		child.on('message', (message: WorkerMessage) => {
			this.messages.push(message);
			for (const wake of this.waiters.splice(0)) wake();
		});
		this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
		void this.exited.then(() => {
			for (const wake of this.waiters.splice(0)) wake();
		});
	}

	/** Forks the process and waits (bounded) until it has loaded n8n's engine and the node. */
	static async start(): Promise<WorkerProcess> {
		// Its user folder goes when it does, however it ends: a worker killed with SIGKILL cleans up nothing.
		const userFolder = mkdtempSync(join(tmpdir(), 'n8n-worker-'));
		const child = fork(join(__dirname, 'workerProcessMain.ts'), [], {
			execArgv: ['-r', 'ts-node/register/transpile-only'],
			env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', N8N_USER_FOLDER: userFolder },
			stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
		});
		child.once('exit', () => rmSync(userFolder, { recursive: true, force: true }));
		const worker = new WorkerProcess(child);
		await worker.next('ready', 60_000);
		return worker;
	}

	get pid(): number {
		return this.child.pid ?? 0;
	}

	/** Starts a run; the promise settles with its outputs (json only) and the node's log lines. */
	async run(job: WorkerJob, timeoutMs = 60_000): Promise<WorkerResult> {
		this.child.send(job);
		return (await this.next('done', timeoutMs)) as WorkerResult;
	}

	/** SIGKILL, as the kernel ends a crashed worker: no cleanup of any kind; resolves once it is gone. */
	async kill(): Promise<void> {
		this.child.kill('SIGKILL');
		await this.exited;
	}

	async stop(): Promise<void> {
		if (this.child.exitCode === null && this.child.signalCode === null) await this.kill();
	}

	private async next(kind: 'ready' | 'done', timeoutMs: number): Promise<WorkerMessage> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const index = this.messages.findIndex((message) => message.kind === kind || message.kind === 'failed');
			if (index >= 0) {
				const [message] = this.messages.splice(index, 1);
				if (message.kind === 'failed') throw new Error(`the worker process failed: ${message.error}`);
				return message;
			}
			if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`the worker process exited (${this.child.exitCode ?? this.child.signalCode}) before "${kind}"`);
			const left = deadline - Date.now();
			if (left <= 0) throw new Error(`the worker process sent no "${kind}" within ${timeoutMs / 1000} s`);
			let timer: NodeJS.Timeout | undefined;
			await new Promise<void>((resolve) => {
				this.waiters.push(resolve);
				timer = setTimeout(resolve, left);
			});
			clearTimeout(timer);
		}
	}
}
