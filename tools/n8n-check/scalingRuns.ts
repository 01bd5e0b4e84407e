/**
 * The two payroll runs the scaling checks make, in any n8n set-up, and how they are judged:
 * - a retried webhook: the payroll system calls twice, a second apart, with the same month;
 * - a crash: the n8n process running the month is killed with SIGKILL while the server holds the
 *   reply to one mail (the server has it, n8n does not know), then the month is posted again.
 * Both are judged at the SMTP server (copies per employee, batch windows) and from n8n's run data
 * through its public API.
 */
import type { TestSmtpServer } from '../../test/support/testSmtpServer';
import type { RestClient } from './n8nInstance';
import { batchWindows, BATCH_SIZE, callWebhook, copiesAtServer, EMPLOYEES, KillHooks, staff } from './payrollWebhook';
import { sleep } from './processes';
import type { TargetReport } from './report';

export interface Mail {
	status?: string;
	sentAt?: string | null;
	messageId?: string | null;
	error?: { code?: string; message?: string };
}
export interface ExecutionResult {
	id: string;
	status: string;
	mails: Map<string, Mail>;
	/** Binary data ids of the items Payroll Mail received, e.g. `database:<uuid>`. */
	binaryIds: string[];
}

/** n8n's public API, with a key made through the REST API as the editor makes one. */
export class PublicApi {
	private constructor(
		private readonly baseUrl: string,
		private readonly key: string,
	) {}

	static async create(rest: RestClient, baseUrl: string): Promise<PublicApi> {
		const key = await rest.post<{ rawApiKey: string }>('/rest/api-keys', { label: 'payroll-check', scopes: ['execution:read', 'execution:list'], expiresAt: null });
		return new PublicApi(baseUrl, key.rawApiKey);
	}

	private async get<T>(path: string): Promise<T> {
		const response = await fetch(`${this.baseUrl}/api/v1${path}`, { headers: { 'X-N8N-API-KEY': this.key }, signal: AbortSignal.timeout(60_000) });
		if (!response.ok) throw new Error(`GET /api/v1${path}: HTTP ${response.status} ${(await response.text()).slice(0, 300)}`);
		return (await response.json()) as T;
	}

	/** The workflow's executions, newest first. */
	async executions(workflowId: string): Promise<Array<{ id: string; status: string }>> {
		const { data } = await this.get<{ data: Array<{ id: string | number; status: string }> }>(`/executions?workflowId=${workflowId}&limit=50`);
		return data.map((execution) => ({ ...execution, id: String(execution.id) })).sort((a, b) => Number(b.id) - Number(a.id));
	}

	async execution(id: string): Promise<ExecutionResult> {
		type Item = { json: { email?: string; mail?: Mail }; binary?: { data?: { id?: string } } };
		const execution = await this.get<{ status: string; data?: { resultData?: { runData?: Record<string, Array<{ data?: { main?: Item[][] } }>> } } }>(`/executions/${id}?includeData=true`);
		const runData = execution.data?.resultData?.runData ?? {};
		const items = (runData['Payroll Mail']?.[0]?.data?.main ?? []).flat();
		return {
			id,
			status: execution.status,
			mails: new Map(items.map((item) => [String(item.json.email), item.json.mail ?? {}])),
			binaryIds: (runData.Payslips?.[0]?.data?.main?.[0] ?? []).map((item) => item.binary?.data?.id ?? ''),
		};
	}

	/** Waits (bounded) until the workflow has `count` executions that are no longer running. */
	async finished(workflowId: string, count: number, timeoutMs = 180_000): Promise<Array<{ id: string; status: string }>> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const done = (await this.executions(workflowId)).filter((execution) => !['running', 'new', 'waiting'].includes(execution.status));
			if (done.length >= count) return done;
			if (Date.now() > deadline) throw new Error(`${done.length} of ${count} executions finished after ${timeoutMs / 1000} s`);
			await sleep(500);
		}
	}
}

const statusOf = (mail: Mail | undefined) => mail?.error?.code ?? mail?.status ?? 'missing';

function tally(mails: Map<string, Mail>): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const { email } of staff) counts[statusOf(mails.get(email))] = (counts[statusOf(mails.get(email))] ?? 0) + 1;
	return counts;
}

/** Arrival times of the server's mails since `since`. */
const arrivalsSince = (server: TestSmtpServer, since: number) => server.messages.slice(since).map((message) => message.arrivedAt);

export interface RetriedWebhook {
	calls: Array<{ status: number; ms: number }>;
	/** The execution that reached the account first and sent, and the one that found the month sent. */
	sending: ExecutionResult;
	skipping: ExecutionResult;
	windows: number[];
	duplicates: number;
	mailsAtServer: number;
}

/** The month posted twice, a second apart; judged and returned for the comparison. */
export async function retriedWebhook(
	report: TargetReport,
	label: string,
	run: { baseUrl: string; path: string; workflowId: string; api: PublicApi; server: TestSmtpServer; period: string; store: 'postgres' | 'n8n' },
): Promise<RetriedWebhook> {
	const since = run.server.messages.length;
	const known = (await run.api.executions(run.workflowId)).length;
	const first = callWebhook(run.baseUrl, run.path, run.period);
	await sleep(1_000);
	const calls = await Promise.all([first, callWebhook(run.baseUrl, run.path, run.period)]);
	const [newer, older] = (await run.api.finished(run.workflowId, known + 2)).slice(0, 2);
	const runs = await Promise.all([run.api.execution(older.id), run.api.execution(newer.id)]);
	// Either call's execution may reach the account first: a worker's first execution loads the
	// package and opens the journal, which can outlast the second between the calls. What must hold
	// is that one sent and the other found it all sent.
	const [sending, skipping] = tally(runs[1].mails).sent > tally(runs[0].mails).sent ? [runs[1], runs[0]] : runs;
	const whose = sending === runs[0] ? 'the first call\'s' : 'the retried call\'s';
	const copies = copiesAtServer(run.server, since);
	const windows = batchWindows(arrivalsSince(run.server, since));
	const duplicates = [...copies.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
	report.expect(`${label}: both calls answered 200`, calls.every((call) => call.status === 200), JSON.stringify(calls));
	report.expect(
		`${label}: every employee exactly once at the server (${EMPLOYEES} mails, no duplicate)`,
		[...copies.values()].every((count) => count === 1),
		`${[...copies].filter(([, count]) => count !== 1).length} employees with other than 1 copy, the first: ${JSON.stringify([...copies].filter(([, count]) => count !== 1).slice(0, 5))}`,
	);
	report.expect(
		`${label}: no batch window at the server holds more than ${BATCH_SIZE} mails across both executions (largest ${Math.max(...windows)}, ${windows.length} windows)`,
		Math.max(...windows) <= BATCH_SIZE,
		`windows: ${JSON.stringify(windows)}`,
	);
	report.expect(`${label}: one execution (${whose}) sent all ${EMPLOYEES}`, tally(sending.mails).sent === EMPLOYEES, JSON.stringify(tally(sending.mails)));
	const skippedWithRecord = staff.every(({ email }) => {
		const mail = skipping.mails.get(email);
		const sent = sending.mails.get(email);
		if (mail?.status !== 'skipped') return false;
		return run.store === 'postgres' ? mail.messageId === sent?.messageId && typeof mail.sentAt === 'string' : mail.sentAt === null;
	});
	report.expect(
		`${label}: the other skipped all ${EMPLOYEES}${run.store === 'postgres' ? ', each with the sent mail\'s Message-ID and time' : ' (n8n\'s store keeps no time)'}`,
		skippedWithRecord,
		JSON.stringify(tally(skipping.mails)),
	);
	return { calls, sending, skipping, windows, duplicates, mailsAtServer: run.server.messages.length - since };
}

export interface CrashRun {
	killedAtMail: number;
	rerun: ExecutionResult;
	rerunMs: number;
	unknown: string[];
	duplicates: number;
	windows: number[];
	mailsAtServer: number;
}

/**
 * The month posted, the process running it killed once the server has the `at`-th mail (its reply
 * held), then posted again; `kill` kills and, where n8n needs it, starts what takes over.
 */
export async function crashAndRerun(
	report: TargetReport,
	label: string,
	run: { baseUrl: string; path: string; workflowId: string; api: PublicApi; server: TestSmtpServer; hooks: KillHooks; period: string; at: number },
	kill: () => Promise<void>,
): Promise<CrashRun> {
	const since = run.server.messages.length;
	let killing: Promise<void> | undefined;
	run.hooks.arm(run.server.dataCommands, run.at, () => (killing = kill()));
	const abandoned = new AbortController();
	const firstCall = callWebhook(run.baseUrl, run.path, run.period, abandoned.signal).catch(() => undefined);
	const deadline = Date.now() + 180_000;
	while (!killing && Date.now() < deadline) await sleep(200);
	if (!killing) throw new Error(`the server never got mail ${run.at} of the month (it has ${run.server.messages.length - since})`);
	await killing;
	abandoned.abort();
	await firstCall;
	run.hooks.disarm();
	const atKill = run.server.messages.length - since;

	const known = new Set((await run.api.executions(run.workflowId)).map((execution) => execution.id));
	const call = await callWebhook(run.baseUrl, run.path, run.period);
	const done = await run.api.finished(run.workflowId, known.size + 1);
	const rerunId = done.find((execution) => !known.has(execution.id))?.id;
	if (!rerunId) throw new Error('the run made again is not among the executions');
	const rerun = await run.api.execution(rerunId);
	const copies = copiesAtServer(run.server, since);
	const unknown = staff.filter(({ email }) => rerun.mails.get(email)?.error?.code === 'EOUTCOMEUNKNOWN').map(({ email }) => email);
	const wrong = staff.filter(({ email }) => (unknown.includes(email) ? copies.get(email)! > 1 : copies.get(email) !== 1));
	const windows = batchWindows(arrivalsSince(run.server, since));
	const duplicates = [...copies.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
	report.expect(`${label}: killed with SIGKILL once the server had mail ${run.at} (${atKill} mails at the server then)`, atKill === run.at, `${atKill} mails at the kill`);
	report.expect(`${label}: the month posted again answered 200`, call.status === 200, JSON.stringify(call));
	report.expect(
		`${label}: every employee exactly once at the server, or the one mail on the wire reported unknown (${unknown.length} unknown)`,
		wrong.length === 0 && unknown.length <= 1,
		`statuses ${JSON.stringify(tally(rerun.mails))}; ${wrong.length} employees with the wrong number of copies, the first: ${JSON.stringify(wrong.slice(0, 5).map(({ email }) => [email, copies.get(email)]))}`,
	);
	report.expect(
		`${label}: the mail on the wire at the kill is the one reported unknown, naming the killed execution`,
		unknown.length === 1 && unknown[0] === staff[run.at - 1].email && /claimed by (execution \d+|an earlier execution)/.test(rerun.mails.get(unknown[0])?.error?.message ?? ''),
		`unknown: ${JSON.stringify(unknown)}; its message: ${rerun.mails.get(staff[run.at - 1].email)?.error?.message}`,
	);
	report.expect(
		`${label}: no batch window holds more than ${BATCH_SIZE} mails across the killed run and the run again (largest ${Math.max(...windows)})`,
		Math.max(...windows) <= BATCH_SIZE,
		`windows: ${JSON.stringify(windows)}`,
	);
	return { killedAtMail: run.at, rerun, rerunMs: call.ms, unknown, duplicates, windows, mailsAtServer: run.server.messages.length - since };
}
