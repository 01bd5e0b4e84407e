import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { KeyPair } from '../support/certificates';
import { freePort, sleep } from '../support/loopback';

/**
 * A real Postfix on 127.0.0.1, configured as a company relay: STARTTLS with a certificate from
 * the test CA, Cyrus SASL (sasldb: PLAIN, LOGIN, CRAM-MD5), relaying for logged-in clients only,
 * SMTPUTF8 and 8BITMIME on. What it relays is "delivered to the outside world" by Postfix's
 * virtual(8) agent into one Maildir per recipient under a temporary folder, where tests read it.
 *
 * Everything lives in one temporary folder: main.cf and master.cf, the queue, the data
 * directory, the SASL database, the Maildirs and Postfix's log (maillog_file via postlogd).
 * Postfix's master runs as a child process in the foreground (`master -c <dir> -d`, its own
 * process group). The system's main.cf and master.cf are not used, and nothing in /etc/postfix or
 * /var/spool/postfix is written (Postfix only reads its package files, such as postfix-files).
 */

export const RELAY_HOST_NAME = 'mail.payroll.test';

/** The Payroll Mail SMTP credential of a clerk who logs in to the relay, its certificate verified through the test CA. */
export function relayCredential(port: number, caCertificate: string, login: { user: string; password: string }): Record<string, string | number | boolean> {
	return { host: '127.0.0.1', port, connection: 'startTls', authMethod: 'login', ...login, advancedTls: true, caCertificate };
}

export interface PostfixPrerequisites {
	/** Empty when the suite can run. */
	problems: string[];
	version?: string;
	daemonDirectory?: string;
	commandDirectory?: string;
}

const POSTCONF = ['/usr/sbin/postconf', 'postconf'];
const SASLPASSWD = ['/usr/sbin/saslpasswd2', 'saslpasswd2'];

function firstWorking(candidates: string[], args: string[]): { command: string; output: string } | undefined {
	for (const command of candidates) {
		try {
			return { command, output: execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' }) };
		} catch {
			// try the next
		}
	}
	return undefined;
}

/** `id -u user` (the user's id) or `id -g user` (the id of the user's primary group). */
function idOf(kind: '-u' | '-g', user: string): number | undefined {
	try {
		return Number(execFileSync('id', [kind, user], { stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim());
	} catch {
		return undefined;
	}
}

function groupExists(group: string): boolean {
	try {
		execFileSync('getent', ['group', group], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
}

/** What the suite needs: root, Postfix with Cyrus SASL, saslpasswd2, the postfix user. */
export function postfixPrerequisites(): PostfixPrerequisites {
	const problems: string[] = [];
	if (process.platform !== 'linux') problems.push(`this is ${process.platform}, not Linux`);
	if (process.getuid?.() !== 0) problems.push('not running as root (Postfix\'s master must start as root)');
	const postconf = firstWorking(POSTCONF, ['-d', '-h', 'mail_version', 'daemon_directory', 'command_directory']);
	if (!postconf) {
		problems.push('Postfix is not installed (no postconf)');
		return { problems };
	}
	const [version, daemonDirectory, commandDirectory] = postconf.output.trim().split('\n');
	if (!existsSync(join(daemonDirectory, 'master'))) problems.push(`no ${join(daemonDirectory, 'master')}`);
	if (!existsSync(join(commandDirectory, 'postfix'))) problems.push(`no ${join(commandDirectory, 'postfix')}`);
	const saslTypes = firstWorking([postconf.command], ['-a']);
	if (!saslTypes?.output.split('\n').includes('cyrus')) problems.push('this Postfix has no Cyrus SASL support (postconf -a)');
	if (!firstWorking(SASLPASSWD, ['-v'])) problems.push('saslpasswd2 is not installed (Debian package sasl2-bin)');
	if (idOf('-u', 'postfix') === undefined) problems.push('there is no user "postfix"');
	if (!groupExists('postdrop')) problems.push('there is no group "postdrop"');
	const [major, minor] = version.split('.').map(Number);
	if (major < 3 || (major === 3 && minor < 4)) problems.push(`Postfix ${version} is older than 3.4 (no maillog_file)`);
	return { problems, version, daemonDirectory, commandDirectory };
}

export interface PostfixRelayOptions {
	/** Server key and certificate (for 127.0.0.1), issued by the test CA. */
	certificate: KeyPair;
	/** SASL users, "local@realm" → password. */
	users: Record<string, string>;
	/** Every address that gets a Maildir; mail to any other address bounces. */
	mailboxes: string[];
	/** Postfix's message_size_limit in bytes. */
	messageSizeLimit: number;
	/**
	 * Accept mail for addresses without a Maildir and bounce it afterwards, as a relay that knows
	 * its mailboxes only at delivery does (by default such a recipient is refused at RCPT TO).
	 */
	acceptUnlisted?: boolean;
	/**
	 * Addresses whose delivery is deferred ("mailbox temporarily unavailable"), retried every
	 * second, with a delay warning after a second instead of hours.
	 */
	deferred?: string[];
}

/** Resolves with the greeting once something on the port says 220, or undefined. */
function greeting(port: number): Promise<string | undefined> {
	return new Promise((resolve) => {
		const socket = connect(port, '127.0.0.1');
		let text = '';
		const done = (value: string | undefined) => {
			socket.destroy();
			resolve(value);
		};
		socket.setTimeout(2_000, () => done(undefined));
		socket.on('data', (chunk) => {
			text += chunk.toString('utf8');
			if (text.includes('\n')) {
				socket.write('QUIT\r\n');
				done(text.startsWith('220 ') ? text.trim() : undefined);
			}
		});
		socket.on('error', () => done(undefined));
	});
}

function filesUnder(dir: string): string[] {
	if (!existsSync(dir)) return [];
	return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
		entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
	);
}

/** SIGKILL to the process group master leads (master was spawned detached: its pid is the group's). */
function killGroup(masterPid: number) {
	try {
		process.kill(-masterPid, 'SIGKILL');
	} catch {
		// already gone
	}
}

export class PostfixRelay {
	private master?: ChildProcess;
	private masterExit?: Promise<void>;
	// Should the test process end without stop() (a crash), Postfix does not outlive it.
	private readonly killOnExit = () => {
		if (this.master?.pid !== undefined) killGroup(this.master.pid);
	};

	private constructor(
		readonly dir: string,
		readonly port: number,
		readonly version: string,
		private readonly prerequisites: Required<PostfixPrerequisites>,
	) {}

	get configDirectory() {
		return join(this.dir, 'etc');
	}

	get logFile() {
		return join(this.dir, 'maillog');
	}

	/** Writes the configuration, creates the queue with `postfix check`, starts master. */
	static async start(options: PostfixRelayOptions): Promise<PostfixRelay> {
		const prerequisites = postfixPrerequisites();
		if (prerequisites.problems.length) throw new Error(`Postfix cannot run here: ${prerequisites.problems.join('; ')}`);
		const found = prerequisites as Required<PostfixPrerequisites>;
		let lastError: unknown;
		// The free port is only free until Postfix binds it; another process may take it first.
		for (let attempt = 1; attempt <= 3; attempt++) {
			const relay = new PostfixRelay(mkdtempSync(join(tmpdir(), 'payroll-postfix-')), await freePort(), found.version, found);
			try {
				relay.configure(options);
				await relay.startMaster();
				return relay;
			} catch (error) {
				lastError = error;
				await relay.stop();
			}
		}
		throw lastError;
	}

	private configure(options: PostfixRelayOptions) {
		const { dir } = this;
		const uid = idOf('-u', 'postfix') as number;
		const gid = idOf('-g', 'postfix') as number;
		const etc = this.configDirectory;
		const sasl = join(etc, 'sasl');
		// Postfix's own processes (user postfix) must reach into the folder.
		chmodSync(dir, 0o755);
		for (const sub of ['etc', 'etc/sasl', 'spool', 'data', 'mail']) mkdirSync(join(dir, sub), { recursive: true });
		for (const owned of ['data', 'mail']) chownSync(join(dir, owned), uid, gid);

		writeFileSync(join(etc, 'server.key'), options.certificate.key, { mode: 0o600 });
		writeFileSync(join(etc, 'server.crt'), options.certificate.cert);

		const mailboxLines = options.mailboxes.map((address) => {
			const at = address.lastIndexOf('@');
			return `${address} ${address.slice(at + 1)}/${address.slice(0, at)}/`;
		});
		writeFileSync(join(etc, 'mailboxes'), `${mailboxLines.join('\n')}\n`);
		const deferred = options.deferred ?? [];
		writeFileSync(join(etc, 'transport'), deferred.map((address) => `${address} retry:4.2.1 mailbox temporarily unavailable\n`).join(''));

		// Debian's Postfix looks for the Cyrus application file in $config_directory/sasl
		// (cyrus_sasl_config_path is set to the same folder for other builds).
		writeFileSync(
			join(sasl, 'smtpd.conf'),
			[
				'pwcheck_method: auxprop',
				'auxprop_plugin: sasldb',
				`sasldb_path: ${join(sasl, 'sasldb2')}`,
				'mech_list: PLAIN LOGIN CRAM-MD5',
				'',
			].join('\n'),
		);
		const saslpasswd = SASLPASSWD.find((candidate) => candidate.startsWith('/') && existsSync(candidate)) ?? 'saslpasswd2';
		for (const [user, password] of Object.entries(options.users)) {
			const at = user.lastIndexOf('@');
			execFileSync(saslpasswd, ['-p', '-c', '-f', join(sasl, 'sasldb2'), '-u', user.slice(at + 1), user.slice(0, at)], {
				input: password,
				stdio: ['pipe', 'pipe', 'pipe'],
			});
		}
		// smtpd reads it as user postfix; Postfix wants its configuration owned by root.
		if (Object.keys(options.users).length) {
			chownSync(join(sasl, 'sasldb2'), 0, gid);
			chmodSync(join(sasl, 'sasldb2'), 0o640);
		}

		const main = {
			compatibility_level: '3.6',
			config_directory: etc,
			queue_directory: join(dir, 'spool'),
			data_directory: join(dir, 'data'),
			mail_owner: 'postfix',
			setgid_group: 'postdrop',
			myhostname: RELAY_HOST_NAME,
			mydomain: 'payroll.test',
			myorigin: '$myhostname',
			inet_interfaces: '127.0.0.1',
			inet_protocols: 'ipv4',
			// No network is trusted: relaying is for logged-in clients only.
			mynetworks: '',
			smtpd_relay_restrictions: 'permit_sasl_authenticated, reject_unauth_destination',
			smtpd_recipient_restrictions: '',
			// No local domain: every recipient is "the outside world" and subject to the relay rules;
			// the outside world is simulated by virtual(8) writing one Maildir per address.
			mydestination: '',
			relay_domains: '',
			local_recipient_maps: '',
			alias_maps: '',
			alias_database: '',
			local_transport: 'error:local delivery is off on this test relay',
			default_transport: 'virtual',
			virtual_mailbox_base: join(dir, 'mail'),
			virtual_mailbox_maps: `texthash:${join(etc, 'mailboxes')}`,
			virtual_uid_maps: `static:${uid}`,
			virtual_gid_maps: `static:${gid}`,
			message_size_limit: String(options.messageSizeLimit),
			virtual_mailbox_limit: String(Math.max(options.messageSizeLimit * 4, 51_200_000)),
			smtputf8_enable: 'yes',
			smtpd_tls_security_level: 'may',
			smtpd_tls_chain_files: `${join(etc, 'server.key')}, ${join(etc, 'server.crt')}`,
			smtpd_tls_auth_only: 'yes',
			smtpd_tls_loglevel: '1',
			smtpd_tls_session_cache_database: '',
			smtpd_sasl_auth_enable: 'yes',
			smtpd_sasl_type: 'cyrus',
			smtpd_sasl_path: 'smtpd',
			cyrus_sasl_config_path: sasl,
			smtpd_sasl_security_options: 'noanonymous',
			smtpd_sasl_tls_security_options: 'noanonymous',
			// A refused command is answered at once, not after Postfix's default 1 s penalty.
			smtpd_error_sleep_time: '0',
			...(options.acceptUnlisted ? { smtpd_reject_unlisted_recipient: 'no' } : {}),
			...(deferred.length
				? {
						transport_maps: `texthash:${join(etc, 'transport')}`,
						delay_warning_time: '1s',
						queue_run_delay: '1s',
						minimal_backoff_time: '1s',
						maximal_backoff_time: '1s',
					}
				: {}),
			maillog_file: this.logFile,
			maillog_file_prefixes: dir,
			biff: 'no',
			append_dot_mydomain: 'no',
		};
		writeFileSync(
			join(etc, 'main.cf'),
			[
				'# Written by test/mta/postfixRelay.ts for one test run.',
				...Object.entries(main).map(([name, value]) => `${name} = ${value}`),
				'',
			].join('\n'),
		);
		// service type private unpriv chroot wakeup maxproc command; nothing runs chrooted.
		const services = [
			`127.0.0.1:${this.port} inet n - n - - smtpd`,
			'cleanup unix n - n - 0 cleanup',
			'qmgr unix n - n 300 1 qmgr',
			'tlsmgr unix - - n 1000? 1 tlsmgr',
			'rewrite unix - - n - - trivial-rewrite',
			'bounce unix - - n - 0 bounce',
			'defer unix - - n - 0 bounce',
			'trace unix - - n - 0 bounce',
			'verify unix - - n - 1 verify',
			'flush unix n - n 1000? 0 flush',
			'proxymap unix - - n - - proxymap',
			'error unix - - n - - error',
			'retry unix - - n - - error',
			'discard unix - - n - - discard',
			'virtual unix - n n - - virtual',
			'anvil unix - - n - 1 anvil',
			'scache unix - - n - 1 scache',
			'postlog unix-dgram n - n - 1 postlogd',
		];
		writeFileSync(join(etc, 'master.cf'), `${services.join('\n')}\n`);

		// Creates the queue's folders with the owners and modes Postfix wants; fails on a bad main.cf.
		execFileSync(join(this.prerequisites.commandDirectory, 'postfix'), ['-c', etc, 'check'], { stdio: ['ignore', 'pipe', 'pipe'] });
	}

	private async startMaster() {
		const output = openSync(join(this.dir, 'master.out'), 'a');
		try {
			// detached: its own process group, so master's SIGTERM handler can end all its processes.
			this.master = spawn(join(this.prerequisites.daemonDirectory, 'master'), ['-c', this.configDirectory, '-d'], {
				cwd: this.dir,
				detached: true,
				stdio: ['ignore', output, output],
			});
		} finally {
			closeSync(output);
		}
		const master = this.master;
		this.masterExit = new Promise((resolve) => master.once('exit', () => resolve()));
		process.once('exit', this.killOnExit);
		let exited = false;
		void this.masterExit.then(() => (exited = true));
		const deadline = Date.now() + 15_000;
		while (Date.now() < deadline && !exited) {
			if (await greeting(this.port)) {
				// The probe's session is logged as ended before any test takes a mark.
				await this.waitForSessionsToEnd(0);
				return;
			}
			await sleep(100);
		}
		throw new Error(
			`Postfix did not start on 127.0.0.1:${this.port}${exited ? ' (master exited)' : ''}:\n${this.diagnostics()}`,
		);
	}

	/** The end of Postfix's log and the master's own output, for error messages. */
	diagnostics(lines = 40): string {
		const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
		return [read(join(this.dir, 'master.out')), read(this.logFile)].join('\n').trim().split('\n').slice(-lines).join('\n');
	}

	/** Postfix's log, whole or from a mark taken with logMark(). */
	log(from = 0): string {
		return existsSync(this.logFile) ? readFileSync(this.logFile).subarray(from).toString('utf8') : '';
	}

	logMark(): number {
		return existsSync(this.logFile) ? readFileSync(this.logFile).length : 0;
	}

	/** Waits (bounded) until the log since the mark has `count` lines matching the pattern. */
	async waitForLog(from: number, pattern: RegExp, count = 1, timeoutMs = 10_000): Promise<string[]> {
		const deadline = Date.now() + timeoutMs;
		const matching = () => this.log(from).split('\n').filter((line) => pattern.test(line));
		while (matching().length < count && Date.now() < deadline) await sleep(50);
		const lines = matching();
		if (lines.length < count) {
			throw new Error(`Postfix's log has ${lines.length} of ${count} lines matching ${pattern}:\n${this.diagnostics()}`);
		}
		return lines;
	}

	/**
	 * Waits (bounded) until every SMTP session since the mark has ended, so that what the log says
	 * of one test's sessions is complete and none of it spills past the next test's mark.
	 */
	async waitForSessionsToEnd(from: number, timeoutMs = 10_000): Promise<void> {
		const count = (pattern: RegExp) => this.log(from).match(pattern)?.length ?? 0;
		const deadline = Date.now() + timeoutMs;
		while (Date.now() < deadline) {
			const connects = count(/\]: connect from /g);
			if (connects > 0 && count(/\]: disconnect from /g) >= connects) return;
			await sleep(50);
		}
		throw new Error(`SMTP sessions since the mark did not end within ${timeoutMs} ms:\n${this.diagnostics()}`);
	}

	/**
	 * What the SMTP sessions since the mark did, added up from Postfix's closing line of each
	 * ("disconnect from … ehlo=2 starttls=1 auth=0/1 commands=3/4"): command → tries and successes.
	 */
	sessionCommands(from: number): Record<string, { ok: number; total: number }> {
		const totals: Record<string, { ok: number; total: number }> = {};
		for (const line of this.log(from).split('\n').filter((text) => /\]: disconnect from /.test(text))) {
			for (const [, command, ok, total] of line.matchAll(/ ([a-z]+)=(\d+)(?:\/(\d+))?/g)) {
				const sum = (totals[command] ??= { ok: 0, total: 0 });
				sum.ok += Number(ok);
				sum.total += Number(total ?? ok);
			}
		}
		return totals;
	}

	private maildir(address: string): string {
		const at = address.lastIndexOf('@');
		return join(this.dir, 'mail', address.slice(at + 1), address.slice(0, at), 'new');
	}

	/** The messages delivered to an address's Maildir, oldest first by file name. */
	messagesFor(address: string): Buffer[] {
		const dir = this.maildir(address);
		if (!existsSync(dir)) return [];
		return readdirSync(dir)
			.sort()
			.map((name) => readFileSync(join(dir, name)));
	}

	/** Messages still in Postfix's queue (received, not yet delivered or bounced). */
	queuedMessages(): number {
		const spool = join(this.dir, 'spool');
		return ['maildrop', 'incoming', 'active', 'deferred', 'hold'].reduce((sum, queue) => sum + filesUnder(join(spool, queue)).length, 0);
	}

	/**
	 * Waits (bounded) until the queue is empty and every address has at least the expected
	 * number of messages; the caller then asserts exact counts.
	 */
	async waitForDelivery(expected: Record<string, number>, timeoutMs = 15_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		const missing = () =>
			Object.entries(expected).filter(([address, count]) => this.messagesFor(address).length < count);
		while (Date.now() < deadline) {
			if (this.queuedMessages() === 0 && missing().length === 0) return;
			await sleep(100);
		}
		const report = missing().map(([address, count]) => `${address}: ${this.messagesFor(address).length} of ${count}`);
		throw new Error(
			`Postfix did not deliver in ${timeoutMs} ms (${this.queuedMessages()} queued; ${report.join(', ') || 'counts reached'}):\n${this.diagnostics()}`,
		);
	}

	/**
	 * Waits (bounded) until an address's Maildir holds at least `count` messages, whatever stays in
	 * the queue (a deferred mail does); the caller then asserts the exact count.
	 */
	async waitForMessages(address: string, count: number, timeoutMs = 30_000): Promise<Buffer[]> {
		const deadline = Date.now() + timeoutMs;
		while (this.messagesFor(address).length < count && Date.now() < deadline) await sleep(100);
		const messages = this.messagesFor(address);
		if (messages.length < count) {
			throw new Error(`${address} has ${messages.length} of ${count} messages after ${timeoutMs} ms:\n${this.diagnostics()}`);
		}
		return messages;
	}

	/** Waits (bounded) until at most `count` messages are left in the queue (e.g. the deferred ones). */
	async waitForQueue(count: number, timeoutMs = 30_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (this.queuedMessages() > count && Date.now() < deadline) await sleep(100);
		if (this.queuedMessages() > count) throw new Error(`Postfix's queue still holds ${this.queuedMessages()} messages:\n${this.diagnostics()}`);
	}

	/**
	 * Stops master (SIGTERM: it ends its own processes), then makes sure nothing of its process
	 * group is left, then removes the folder. Safe to call twice.
	 */
	async stop(): Promise<void> {
		const master = this.master;
		if (master?.pid !== undefined) {
			if (master.exitCode === null && master.signalCode === null) {
				master.kill('SIGTERM');
				let timer: NodeJS.Timeout | undefined;
				const stopped = await Promise.race([
					this.masterExit?.then(() => true),
					new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 5_000))),
				]);
				clearTimeout(timer);
				if (!stopped) {
					master.kill('SIGKILL');
					await this.masterExit;
				}
			}
			killGroup(master.pid);
		}
		process.removeListener('exit', this.killOnExit);
		this.master = undefined;
		if (!process.env.KEEP_POSTFIX_DIR) rmSync(this.dir, { recursive: true, force: true });
	}
}
