/**
 * One n8n user folder, served by `n8n start` on loopback ports for the REST checks and used by
 * `n8n execute` for the workflow run. Nothing in it talks to the internet on purpose: telemetry,
 * personalization, templates and version checks are off.
 */
import { join } from 'node:path';

import type { N8nInstall, NodeRuntime } from './cache';
import { Background, cleanEnv, freePort, pathWith, run, sleep, type RunResult } from './processes';

export class N8nInstance {
	private server?: Background;
	private constructor(
		readonly install: N8nInstall,
		readonly node: NodeRuntime,
		readonly userFolder: string,
		readonly port: number,
		private readonly env: NodeJS.ProcessEnv,
	) {}

	static async create(install: N8nInstall, node: NodeRuntime, userFolder: string, extraEnv: Record<string, string>) {
		const port = await freePort();
		const brokerPort = await freePort();
		const env = cleanEnv({
			PATH: pathWith(node.bin),
			N8N_USER_FOLDER: userFolder,
			N8N_PORT: String(port),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: '127.0.0.1',
			N8N_RUNNERS_BROKER_PORT: String(brokerPort),
			N8N_ENCRYPTION_KEY: 'payroll-mail-n8n-check',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			// The editor would fetch banners from n8n's servers (1.x); the browser check allows only n8n.
			N8N_DYNAMIC_BANNERS_ENABLED: 'false',
			N8N_SECURE_COOKIE: 'false',
			N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '10',
			N8N_LOG_LEVEL: 'info',
			DB_TYPE: 'sqlite',
			...extraEnv,
		});
		return new N8nInstance(install, node, userFolder, port, env);
	}

	get baseUrl(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	get logFile(): string {
		return join(this.userFolder, 'n8n-start.log');
	}

	/**
	 * Starts `n8n start` and waits until /rest/settings answers with its JSON. Not sooner: while
	 * starting, n8n answers every path with 200 "n8n is starting up", and 1.x's /healthz/readiness
	 * is 200 once the database is migrated, before the REST routes exist.
	 */
	async start(timeoutMs: number): Promise<number> {
		const started = Date.now();
		this.server = Background.start(this.node.bin, [this.install.n8nBin, 'start'], {
			cwd: this.userFolder,
			env: this.env,
			logFile: this.logFile,
		});
		while (Date.now() - started < timeoutMs) {
			if (this.server.hasExited) throw new Error(`n8n exited while starting:\n${this.server.logTail(30)}`);
			try {
				const response = await fetch(`${this.baseUrl}/rest/settings`, { signal: AbortSignal.timeout(2_000) });
				const body = await response.text();
				if (response.status === 200 && body.startsWith('{"data":')) return Date.now() - started;
			} catch {
				// Not listening yet.
			}
			await sleep(500);
		}
		throw new Error(`n8n was not ready after ${timeoutMs / 1000} s:\n${this.server.logTail(30)}`);
	}

	/** SIGKILL to n8n's process group, as a crash or an OOM kill ends it. */
	async kill(): Promise<void> {
		await this.server?.kill();
		this.server = undefined;
	}

	async stop(): Promise<string> {
		if (!this.server) return 'not started';
		const how = await this.server.stop(20_000);
		this.server = undefined;
		return how;
	}

	serverLogTail(lines: number): string {
		return this.server?.logTail(lines) ?? '';
	}

	/** An n8n CLI command left running, its output in a log file, e.g. to be killed midway. */
	background(args: string[]): Background {
		return Background.start(this.node.bin, [this.install.n8nBin, ...args], {
			cwd: this.userFolder,
			env: this.env,
			logFile: join(this.userFolder, `n8n-${args[0]}.log`),
		});
	}

	/** An n8n CLI command against the same user folder (run while the server is stopped). */
	/** Runs an n8n command; `extraEnv` (e.g. NODE_OPTIONS for a CPU profile) for this command only. */
	async cli(args: string[], timeoutMs: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
		return await run(this.node.bin, [this.install.n8nBin, ...args], {
			cwd: this.userFolder,
			env: { ...this.env, ...extraEnv },
			timeoutMs,
		});
	}
}

/**
 * The browser id the REST client sends; n8n ties the session cookie to it, so a browser given
 * the cookie must send the same one (the editor keeps it in localStorage `n8n-browserId`).
 */
export const BROWSER_ID = 'payroll-mail-n8n-check';

/** n8n's REST API as the editor uses it: the n8n-auth cookie and a browser-id header. */
export class RestClient {
	private cookie = '';

	constructor(private readonly baseUrl: string) {}

	async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
		const response = await fetch(`${this.baseUrl}${path}`, {
			method,
			headers: {
				'content-type': 'application/json',
				'browser-id': BROWSER_ID,
				...(this.cookie ? { cookie: this.cookie } : {}),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
			signal: AbortSignal.timeout(60_000),
		});
		const auth = response.headers.getSetCookie().find((cookie) => cookie.startsWith('n8n-auth='));
		if (auth) this.cookie = auth.split(';')[0];
		const text = await response.text();
		if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 500)}`);
		// Most routes wrap their answer in { data }; /types/*.json do not.
		const parsed = JSON.parse(text) as { data?: T };
		return parsed.data ?? (parsed as T);
	}

	/** The session's `n8n-auth` cookie value, once logged in (for the browser check). */
	get authCookie(): string | undefined {
		return this.cookie ? this.cookie.slice('n8n-auth='.length) : undefined;
	}

	async get<T>(path: string): Promise<T> {
		return await this.request<T>('GET', path);
	}

	async post<T>(path: string, body: unknown): Promise<T> {
		return await this.request<T>('POST', path, body);
	}
}
