import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Pool } from 'pg';

import { freePort, sleep } from './loopback';

/**
 * A real PostgreSQL server on 127.0.0.1, from Debian's server binaries (the `postgresql` package,
 * which test/system/provision.sh installs), run from a temporary folder: initdb there, the
 * postmaster in the foreground as a child process in its own process group, its socket and log
 * in the same folder. The system's clusters and services are never touched. PostgreSQL refuses to
 * run as root; as root the server runs as the `postgres` user (setpriv, which execs without a
 * parent of its own, so the pid kept is the postmaster's).
 */
export interface PostgresCredentialData {
	host: string;
	port: number;
	database: string;
	user: string;
	password: string;
	ssl: string;
	[key: string]: string | number;
}

/** Debian's server binaries, newest version first: /usr/lib/postgresql/<version>/bin. */
export function postgresBinaries(): string {
	const root = '/usr/lib/postgresql';
	const versions = existsSync(root)
		? readdirSync(root)
				.filter((version) => existsSync(join(root, version, 'bin', 'postgres')))
				.sort((a, b) => Number(b) - Number(a))
		: [];
	if (!versions.length) {
		throw new Error('PostgreSQL\'s server is not installed (no /usr/lib/postgresql/<version>/bin/postgres): run bash test/system/provision.sh as root');
	}
	return join(root, versions[0], 'bin');
}

function idOf(kind: '-u' | '-g', user: string): number {
	return Number(execFileSync('id', [kind, user], { encoding: 'utf8' }).trim());
}

export class TestPostgres {
	private postmaster?: ChildProcess;
	private exited?: Promise<void>;
	private pool?: Pool;
	private readonly killOnExit = () => {
		if (this.postmaster?.pid !== undefined) this.signal('SIGKILL');
	};

	private constructor(
		readonly dir: string,
		readonly port: number,
		private readonly bin: string,
	) {}

	/** Starts a fresh server; a port taken in between is tried again (3 times at most). */
	static async start(): Promise<TestPostgres> {
		const bin = postgresBinaries();
		let lastError: unknown;
		for (let attempt = 1; attempt <= 3; attempt++) {
			const server = new TestPostgres(mkdtempSync(join(tmpdir(), 'payroll-postgres-')), await freePort(), bin);
			try {
				server.initialize();
				await server.startPostmaster();
				return server;
			} catch (error) {
				lastError = error;
				await server.stop();
			}
		}
		throw lastError;
	}

	get dataDirectory(): string {
		return join(this.dir, 'data');
	}

	get logFile(): string {
		return join(this.dir, 'postgres.log');
	}

	/** What the node's Postgres credential holds to reach this server (trust login, no password). */
	credential(overrides: Partial<PostgresCredentialData> = {}): PostgresCredentialData {
		return { host: '127.0.0.1', port: this.port, database: 'postgres', user: 'postgres', password: '', ssl: 'disable', ...overrides };
	}

	private connection(database = 'postgres') {
		return { host: '127.0.0.1', port: this.port, database, user: 'postgres', password: '' };
	}

	/** A query of the test's own, on a pool the test shares. */
	async query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]> {
		this.pool ??= this.newPool();
		return (await this.pool.query(text, values)).rows as Row[];
	}

	/** A pool of its own, as a second n8n process or worker would have. */
	newPool(max = 4, database = 'postgres'): Pool {
		const pool = new Pool({ ...this.connection(database), max });
		pool.on('error', () => undefined);
		return pool;
	}

	private asPostgres(args: string[]): { command: string; args: string[] } {
		if (process.getuid?.() !== 0) return { command: args[0], args: args.slice(1) };
		return { command: 'setpriv', args: ['--reuid=postgres', '--regid=postgres', '--init-groups', 'env', `HOME=${this.dir}`, ...args] };
	}

	private initialize(): void {
		// The server's processes (user postgres, as root) must reach into the folder.
		chmodSync(this.dir, 0o755);
		mkdirSync(this.dataDirectory, { mode: 0o700 });
		if (process.getuid?.() === 0) {
			for (const path of [this.dir, this.dataDirectory]) chownSync(path, idOf('-u', 'postgres'), idOf('-g', 'postgres'));
		}
		const { command, args } = this.asPostgres([join(this.bin, 'initdb'), '-D', this.dataDirectory, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
		execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
	}

	private async startPostmaster(): Promise<void> {
		const { command, args } = this.asPostgres([
			join(this.bin, 'postgres'),
			'-D',
			this.dataDirectory,
			'-p',
			String(this.port),
			'-k',
			this.dir,
			'-c',
			'listen_addresses=127.0.0.1',
			// A test server: nothing has to survive a power cut.
			'-c',
			'fsync=off',
			'-c',
			'synchronous_commit=off',
			'-c',
			'full_page_writes=off',
		]);
		const output = openSync(this.logFile, 'a');
		try {
			this.postmaster = spawn(command, args, { cwd: this.dir, detached: true, stdio: ['ignore', output, output] });
		} finally {
			closeSync(output);
		}
		const postmaster = this.postmaster;
		this.exited = new Promise((resolve) => postmaster.once('exit', () => resolve()));
		process.once('exit', this.killOnExit);
		let exited = false;
		void this.exited.then(() => (exited = true));
		// Bounded polling of the daemon's readiness: a connection that answers a query.
		const deadline = Date.now() + 20_000;
		while (Date.now() < deadline && !exited) {
			const probe = new Pool({ ...this.connection(), max: 1, connectionTimeoutMillis: 1_000 });
			probe.on('error', () => undefined);
			const ready = await probe.query('SELECT 1').then(
				() => true,
				() => false,
			);
			await probe.end();
			if (ready) return;
			await sleep(100);
		}
		throw new Error(`PostgreSQL did not start on 127.0.0.1:${this.port}${exited ? ' (it exited)' : ''}:\n${this.log().slice(-3000)}`);
	}

	log(): string {
		return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
	}

	private signal(signal: NodeJS.Signals): void {
		try {
			// The postmaster, not its group: its helper processes make groups of their own and end with it.
			this.postmaster?.kill(signal);
		} catch {
			// already gone
		}
	}

	/**
	 * Fast shutdown (SIGINT: sessions are ended, the postmaster waits for its processes), SIGQUIT
	 * then SIGKILL if it does not end in time; then the folder goes. Safe to call twice.
	 */
	async stop(): Promise<void> {
		await this.pool?.end().catch(() => undefined);
		this.pool = undefined;
		const postmaster = this.postmaster;
		if (postmaster && postmaster.exitCode === null && postmaster.signalCode === null) {
			for (const [signal, waitMs] of [['SIGINT', 10_000], ['SIGQUIT', 5_000], ['SIGKILL', 5_000]] as const) {
				this.signal(signal);
				let timer: NodeJS.Timeout | undefined;
				const gone = await Promise.race([this.exited?.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)))]);
				clearTimeout(timer);
				if (gone) break;
			}
		}
		process.removeListener('exit', this.killOnExit);
		this.postmaster = undefined;
		if (!process.env.KEEP_POSTGRES_DIR) rmSync(this.dir, { recursive: true, force: true });
	}
}
