/**
 * n8n in queue mode on loopback, as a payroll bureau runs it: PostgreSQL (n8n's database, binary
 * data included) and Redis (the queue), each started from a temporary folder, one `n8n start`
 * (main: editor, REST API, production webhooks) and two `n8n worker --concurrency=1`. Every n8n
 * process has its own user folder whose `.n8n/nodes` is a link to one community-nodes folder,
 * where the package is installed as n8n installs it; n8n loads it from there in every process.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

import { TestPostgres } from '../../test/support/postgres';
import type { N8nInstall, NodeRuntime } from './cache';
import { installCommunityPackage } from './communityPackage';
import { Background, cleanEnv, freePort, pathWith, sleep } from './processes';

/** Short Bull lock settings, so that a job whose worker died is noticed in seconds, not a minute. */
export const QUEUE_LOCKS = { QUEUE_WORKER_LOCK_DURATION: '5000', QUEUE_WORKER_LOCK_RENEW_TIME: '2500', QUEUE_WORKER_STALLED_INTERVAL: '5000' };

/** Redis from a temporary folder: no persistence, loopback only. */
export class TestRedis {
	private constructor(
		readonly port: number,
		private readonly process: Background,
	) {}

	static async start(dir: string): Promise<TestRedis> {
		mkdirSync(dir, { recursive: true });
		const port = await freePort();
		const config = join(dir, 'redis.conf');
		writeFileSync(config, [`bind 127.0.0.1`, `port ${port}`, 'protected-mode yes', 'daemonize no', 'save ""', 'appendonly no', `dir ${dir}`, 'logfile ""', ''].join('\n'));
		const redis = new TestRedis(port, Background.start('redis-server', [config], { cwd: dir, env: cleanEnv(), logFile: join(dir, 'redis.log') }));
		const deadline = Date.now() + 15_000;
		while (Date.now() < deadline && !redis.process.hasExited) {
			if (await ping(port)) return redis;
			await sleep(100);
		}
		throw new Error(`Redis did not answer PING on 127.0.0.1:${port}:\n${redis.process.logTail(20)}`);
	}

	async stop(): Promise<void> {
		await this.process.stop(5_000);
	}
}

function ping(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect(port, '127.0.0.1');
		const done = (ok: boolean) => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(1_000, () => done(false));
		socket.on('error', () => done(false));
		socket.on('connect', () => socket.write('PING\r\n'));
		socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
	});
}

/** One n8n process of the stack, its log in its user folder. */
export class N8nProcess {
	private process?: Background;

	constructor(
		readonly name: string,
		readonly userFolder: string,
		private readonly command: string[],
		private readonly env: NodeJS.ProcessEnv,
		private readonly readiness: { url: string; ready: (status: number, body: string) => boolean },
		private readonly n8n: { install: N8nInstall; node: NodeRuntime },
	) {}

	get logFile(): string {
		return join(this.userFolder, `${this.name}.log`);
	}

	log(): string {
		try {
			return readFileSync(this.logFile, 'utf8');
		} catch {
			return '';
		}
	}

	/** Starts it and waits (bounded polling) until it says it is ready; returns the milliseconds it took. */
	async start(timeoutMs: number): Promise<number> {
		const started = Date.now();
		this.process = Background.start(this.n8n.node.bin, [this.n8n.install.n8nBin, ...this.command], { cwd: this.userFolder, env: this.env, logFile: this.logFile });
		while (Date.now() - started < timeoutMs) {
			if (this.process.hasExited) throw new Error(`${this.name} exited while starting:\n${this.process.logTail(30)}`);
			const answer = await fetch(this.readiness.url, { signal: AbortSignal.timeout(2_000) }).then(
				async (response) => ({ status: response.status, body: await response.text() }),
				() => undefined,
			);
			if (answer && this.readiness.ready(answer.status, answer.body)) return Date.now() - started;
			await sleep(500);
		}
		throw new Error(`${this.name} was not ready after ${timeoutMs / 1000} s:\n${this.process.logTail(30)}`);
	}

	/** SIGKILL to its process group (n8n and its task runner), as when a worker's host dies. */
	async kill(): Promise<void> {
		await this.process?.kill();
	}

	async stop(): Promise<'stopped' | 'killed' | 'not started'> {
		return this.process ? await this.process.stop(20_000) : 'not started';
	}
}

export interface QueueStack {
	postgres: TestPostgres;
	redis: TestRedis;
	main: N8nProcess;
	workers: N8nProcess[];
	baseUrl: string;
	timings: Record<string, number>;
	stop(): Promise<void>;
}

/** A user folder whose community nodes are the shared folder's. */
function userFolderLinkedTo(nodesFolder: string, userFolder: string): string {
	mkdirSync(join(userFolder, '.n8n'), { recursive: true });
	symlinkSync(nodesFolder, join(userFolder, '.n8n', 'nodes'));
	return userFolder;
}

export async function startQueueStack(n8n: { install: N8nInstall; node: NodeRuntime }, tarball: string, workDir: string): Promise<QueueStack> {
	const timings: Record<string, number> = {};
	const time = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
		const started = Date.now();
		try {
			return await work();
		} finally {
			timings[label] = (Date.now() - started) / 1000;
		}
	};
	const stopping: Array<() => Promise<unknown>> = [];
	const stop = async () => {
		for (const step of stopping.reverse()) await step().catch(() => undefined);
	};
	try {
		const postgres = await time('PostgreSQL start', async () => TestPostgres.start());
		stopping.push(async () => postgres.stop());
		await postgres.query('CREATE DATABASE n8n');
		const redis = await time('Redis start', async () => TestRedis.start(join(workDir, 'redis')));
		stopping.push(async () => redis.stop());

		const shared = join(workDir, 'community-nodes');
		await time('package install', async () => installCommunityPackage(tarball, shared));
		const nodesFolder = join(shared, '.n8n', 'nodes');
		const common = {
			PATH: pathWith(n8n.node.bin),
			TZ: 'UTC',
			N8N_ENCRYPTION_KEY: 'payroll-mail-queue-check',
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(postgres.port),
			DB_POSTGRESDB_DATABASE: 'n8n',
			DB_POSTGRESDB_USER: 'postgres',
			DB_POSTGRESDB_PASSWORD: '',
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(redis.port),
			N8N_DEFAULT_BINARY_DATA_MODE: 'database',
			OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_SECURE_COOKIE: 'false',
			N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '10',
			N8N_LOG_LEVEL: 'info',
			...QUEUE_LOCKS,
		};
		const mainPort = await freePort();
		const mainFolder = userFolderLinkedTo(nodesFolder, join(workDir, 'main'));
		const main = new N8nProcess(
			'main',
			mainFolder,
			['start'],
			cleanEnv({ ...common, HOME: mainFolder, N8N_USER_FOLDER: mainFolder, N8N_PORT: String(mainPort), N8N_LISTEN_ADDRESS: '127.0.0.1', N8N_HOST: '127.0.0.1', N8N_RUNNERS_BROKER_PORT: String(await freePort()) }),
			{ url: `http://127.0.0.1:${mainPort}/rest/settings`, ready: (status, body) => status === 200 && body.startsWith('{"data":') },
			n8n,
		);
		stopping.push(async () => main.stop());
		// Main first: it migrates the database.
		await time('n8n main start', async () => main.start(180_000));
		const workers: N8nProcess[] = [];
		for (const name of ['worker-1', 'worker-2']) {
			const folder = userFolderLinkedTo(nodesFolder, join(workDir, name));
			const health = await freePort();
			const worker = new N8nProcess(
				name,
				folder,
				['worker', '--concurrency=1'],
				cleanEnv({
					...common,
					HOME: folder,
					N8N_USER_FOLDER: folder,
					N8N_RUNNERS_BROKER_PORT: String(await freePort()),
					QUEUE_HEALTH_CHECK_ACTIVE: 'true',
					QUEUE_HEALTH_CHECK_PORT: String(health),
					N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
				}),
				{ url: `http://127.0.0.1:${health}/healthz/readiness`, ready: (status) => status === 200 },
				n8n,
			);
			stopping.push(async () => worker.stop());
			workers.push(worker);
		}
		await time('n8n workers start', async () => Promise.all(workers.map(async (worker) => worker.start(180_000))));
		return { postgres, redis, main, workers, baseUrl: `http://127.0.0.1:${mainPort}`, timings, stop };
	} catch (error) {
		await stop();
		throw error;
	}
}
