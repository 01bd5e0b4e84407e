/**
 * Payroll Mail at scale in real n8n 2.x: queue mode (main, Redis, PostgreSQL, two workers, binary
 * data in the database, the PostgreSQL journal) and, for comparison, regular mode (one n8n, SQLite,
 * n8n's own store). In each: a month of 200 payslips posted to a production webhook twice a second
 * apart, then another month whose n8n process is killed with SIGKILL at the 95th mail and posted
 * again. Started from run.ts for the 2.x target.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

import { TestSmtpServer } from '../../test/support/testSmtpServer';
import { n8nInstall, nodeRuntime, type N8nInstall, type NodeRuntime } from './cache';
import { N8nInstance, RestClient } from './n8nInstance';
import { credentialData, SMTP_PASSWORD, SMTP_USER } from './payrollWorkflow';
import { BATCH_SIZE, BATCH_WAIT_S, EMPLOYEES, JOURNAL_TABLE, KillHooks, webhookWorkflow, type Credentials } from './payrollWebhook';
import { StopTarget, TargetReport } from './report';
import { crashAndRerun, PublicApi, retriedWebhook, type CrashRun, type RetriedWebhook } from './scalingRuns';
import { sleep } from './processes';
import { startQueueStack, type QueueStack } from './queueStack';
import type { Target } from './targets';

const KILL_AT = 95;

async function setUp(report: TargetReport, rest: RestClient, baseUrl: string, server: TestSmtpServer, postgres?: { port: number }) {
	const owner = { email: 'owner@example.com', password: 'Payroll-Check-2026' };
	await rest.post('/rest/owner/setup', { ...owner, firstName: 'Payroll', lastName: 'Bureau' });
	await rest.post('/rest/login', { emailOrLdapLoginId: owner.email, password: owner.password });
	const credentials: Credentials = {
		smtp: await rest.post<{ id: string; name: string }>('/rest/credentials', { name: 'Provider SMTP', type: 'payrollSmtpApi', data: credentialData(SMTP_PASSWORD, server.port) }),
	};
	if (postgres) {
		// n8n's own Postgres credential, on the database n8n itself uses.
		credentials.postgres = await rest.post<{ id: string; name: string }>('/rest/credentials', {
			name: 'Payroll journal',
			type: 'postgres',
			data: { host: '127.0.0.1', port: postgres.port, database: 'n8n', user: 'postgres', password: '', ssl: 'disable', allowUnauthorizedCerts: false, sshTunnel: false, maxConnections: 10 },
		});
	}
	const path = `payslips-${postgres ? 'queue' : 'regular'}`;
	const workflow = await rest.post<{ id: string; versionId: string }>('/rest/workflows', webhookWorkflow(path, credentials));
	await rest.post(`/rest/workflows/${workflow.id}/activate`, { versionId: workflow.versionId });
	await webhookRegistered(baseUrl, path);
	const api = await PublicApi.create(rest, baseUrl);
	report.pass(`${postgres ? 'queue mode' : 'regular mode'}: owner, credentials${postgres ? ' (Payroll Mail SMTP and n8n\'s Postgres)' : ''}, webhook workflow active`);
	return { workflowId: workflow.id, path, api };
}

/**
 * Waits (bounded) until n8n serves the production webhook: a GET is then refused as "registered
 * for POST requests" instead of "not registered". Activation returns before that in regular mode.
 */
async function webhookRegistered(baseUrl: string, path: string): Promise<void> {
	const deadline = Date.now() + 30_000;
	while (Date.now() < deadline) {
		const answer = await fetch(`${baseUrl}/webhook/${path}`, { signal: AbortSignal.timeout(5_000) }).then(async (response) => response.text(), () => '');
		if (answer.includes('not registered for GET requests')) return;
		await sleep(250);
	}
	throw new Error(`n8n did not register the webhook ${path} within 30 s`);
}

function smtpServer(hooks: KillHooks): Promise<TestSmtpServer> {
	return TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD }, onMessageEvent: hooks.onMessageEvent, replyDelayMs: hooks.replyDelayMs });
}

/** Which worker's log says it started the execution. */
function workerOf(stack: QueueStack, executionId: string): string | undefined {
	return stack.workers.find((worker) => new RegExp(`started execution ${executionId}\\b`).test(worker.log()))?.name;
}

async function queueMode(report: TargetReport, n8n: { install: N8nInstall; node: NodeRuntime }, tarball: string, workDir: string) {
	const hooks = new KillHooks();
	const server = await smtpServer(hooks);
	let stack: QueueStack | undefined;
	try {
		stack = await report.step('queue mode: PostgreSQL, Redis, n8n main and 2 workers started', () => startQueueStack(n8n, tarball, join(workDir, 'queue')), (started) => Object.entries(started.timings).map(([name, s]) => `${name} ${s.toFixed(1)} s`).join(', '));
		const queue = stack;
		for (const [name, seconds] of Object.entries(queue.timings)) report.timings.push([`queue: ${name}`, seconds]);
		const rest = new RestClient(queue.baseUrl);
		const { workflowId, path, api } = await setUp(report, rest, queue.baseUrl, server, queue.postgres);
		const base = { baseUrl: queue.baseUrl, path, workflowId, api, server };

		const retried = await report.timed('queue: retried webhook', () => retriedWebhook(report, 'queue mode, retried webhook', { ...base, period: '2026-11', store: 'postgres' }));
		const workers = [workerOf(queue, retried.sending.id), workerOf(queue, retried.skipping.id)];
		report.expect(
			`queue mode, retried webhook: the two executions ran on different workers (${workers.join(', ')})`,
			workers.every(Boolean) && workers[0] !== workers[1],
			`executions ${retried.sending.id}, ${retried.skipping.id} on ${JSON.stringify(workers)}`,
		);
		report.expect(
			'queue mode: the payslips were read from n8n\'s database (binary data ids database:…)',
			retried.sending.binaryIds.length === EMPLOYEES && retried.sending.binaryIds.every((id) => id.startsWith('database:')),
			`binary ids: ${JSON.stringify(retried.sending.binaryIds.slice(0, 3))}`,
		);
		const waited = queue.workers.find((worker) => worker.name === workers[1])?.log() ?? '';
		report.expect(
			'queue mode: the other worker waited for the account, naming the execution holding it',
			new RegExp(`is busy \\(execution ${retried.sending.id} sends from it\\)`).test(waited),
			'no "is busy" line in its log',
		);
		await journalMatchesServer(report, queue, server, '2026-11', EMPLOYEES);

		let killed: string | undefined;
		const crash = await report.timed('queue: crash and run again', () =>
			crashAndRerun(report, 'queue mode, worker killed', { ...base, hooks, period: '2026-12', at: KILL_AT }, async () => {
				const running = Math.max(...queue.workers.flatMap((worker) => [...worker.log().matchAll(/started execution (\d+)/g)].map((match) => Number(match[1]))));
				const worker = queue.workers.find((candidate) => workerOf(queue, String(running)) === candidate.name)!;
				killed = worker.name;
				await worker.kill();
			}),
		);
		report.expect(`queue mode, worker killed: the month posted again ran on the other worker`, workerOf(queue, crash.rerun.id) !== killed, `killed ${killed}, rerun on ${workerOf(queue, crash.rerun.id)}`);
		await journalMatchesServer(report, queue, server, '2026-12', EMPLOYEES - crash.unknown.length, crash.unknown);
		return { retried, crash };
	} finally {
		await stack?.stop();
		await server.close();
	}
}

/** One accepted journal row per mail the server delivered, with its Message-ID; the unknown one still claimed. */
async function journalMatchesServer(report: TargetReport, stack: QueueStack, server: TestSmtpServer, period: string, delivered: number, unknown: string[] = []) {
	const pool = stack.postgres.newPool(1, 'n8n');
	const rows = await pool
		.query<{ state: string; message_id: string; recipients: string[] }>(`SELECT state, message_id, recipients FROM ${JOURNAL_TABLE} WHERE idempotency_key LIKE $1`, [`%-${period}`])
		.then((result) => result.rows)
		.finally(async () => pool.end());
	const atServer = new Set(
		server.messages
			.filter((message) => message.raw.toString('latin1').includes(`Your payslip for ${period}`))
			.map((message) => /^Message-ID:\s*(<[^>]+>)/im.exec(message.raw.toString('latin1'))?.[1]),
	);
	const accepted = rows.filter((row) => row.state === 'accepted');
	report.expect(
		`queue mode, ${period}: the journal holds one accepted row per mail delivered (${accepted.length}), each with the Message-ID the server got${unknown.length ? '; the unknown one still claimed' : ''}`,
		accepted.length === delivered && accepted.every((row) => atServer.has(row.message_id)) && unknown.every((email) => rows.some((row) => row.recipients[0] === email && row.state === 'claimed')),
		`rows by state: ${JSON.stringify(rows.reduce<Record<string, number>>((sum, row) => ({ ...sum, [row.state]: (sum[row.state] ?? 0) + 1 }), {}))}; mails of ${period} at the server: ${atServer.size}`,
	);
}

async function regularMode(report: TargetReport, n8n: { install: N8nInstall; node: NodeRuntime }, workDir: string, nodesFolder: string) {
	const hooks = new KillHooks();
	const server = await smtpServer(hooks);
	const userFolder = join(workDir, 'regular');
	mkdirSync(join(userFolder, '.n8n'), { recursive: true });
	symlinkSync(nodesFolder, join(userFolder, '.n8n', 'nodes'));
	const instance = await N8nInstance.create(n8n.install, n8n.node, userFolder, {});
	try {
		await report.step('regular mode: one n8n (SQLite, n8n\'s own store) started', () => report.timed('regular: n8n start', () => instance.start(180_000)), (ms) => `${(ms / 1000).toFixed(1)} s`);
		const rest = new RestClient(instance.baseUrl);
		const { workflowId, path, api } = await setUp(report, rest, instance.baseUrl, server);
		const base = { baseUrl: instance.baseUrl, path, workflowId, api, server };
		const retried = await report.timed('regular: retried webhook', () => retriedWebhook(report, 'regular mode, retried webhook', { ...base, period: '2026-11', store: 'n8n' }));
		let restartMs = 0;
		const crash = await report.timed('regular: crash and run again', () =>
			crashAndRerun(report, 'regular mode, n8n killed', { ...base, hooks, period: '2026-12', at: KILL_AT }, async () => {
				await instance.kill();
				restartMs = await instance.start(180_000);
				await webhookRegistered(instance.baseUrl, path);
			}),
		);
		report.timings.push(['regular: n8n restart after the kill', restartMs / 1000]);
		return { retried, crash };
	} finally {
		await instance.stop();
		await server.close();
	}
}

function comparison(queue: { retried: RetriedWebhook; crash: CrashRun }, regular: { retried: RetriedWebhook; crash: CrashRun }): string[] {
	const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
	const line = (name: string, run: { retried: RetriedWebhook; crash: CrashRun }) =>
		`${name}: retried webhook ${run.retried.mailsAtServer} mails at the server, ${run.retried.duplicates} duplicates, largest batch window ${Math.max(...run.retried.windows)} ` +
		`(${run.retried.windows.length} windows), first call ${s(run.retried.calls[0].ms)}, second call ${s(run.retried.calls[1].ms)}; crash at mail ${run.crash.killedAtMail}: ` +
		`${run.crash.mailsAtServer} mails at the server, ${run.crash.duplicates} duplicates, ${run.crash.unknown.length} reported unknown, largest window ${Math.max(...run.crash.windows)}, run again ${s(run.crash.rerunMs)}`;
	return [
		`scaling (${EMPLOYEES} employees, batches of ${BATCH_SIZE}, ${BATCH_WAIT_S} s wait):`,
		line('queue mode, PostgreSQL journal, 2 workers', queue),
		line('regular mode, n8n\'s own store', regular),
	];
}

export async function runScalingChecks(target: Target, tarball: string, workDir: string, keep: boolean): Promise<TargetReport> {
	const report = new TargetReport(`n8n ${target.n8nVersion} at scale: queue mode and regular mode`);
	const dir = mkdtempSync(join(workDir, 'scaling-'));
	try {
		const node = await nodeRuntime(target.node);
		report.nodeVersion = node.version;
		const install = await n8nInstall(target, node);
		report.install = `cached in ${install.dir}`;
		const queue = await queueMode(report, { install, node }, tarball, dir);
		const regular = await regularMode(report, { install, node }, dir, join(dir, 'queue', 'community-nodes', '.n8n', 'nodes'));
		report.notes.push(...comparison(queue, regular));
	} catch (error) {
		if (!(error instanceof StopTarget)) report.fail('unexpected error', error instanceof Error ? (error.stack ?? error.message) : String(error));
	} finally {
		if (keep) report.notes.push(`folders and n8n logs kept: ${dir}`);
		else rmSync(dir, { recursive: true, force: true });
	}
	return report;
}
