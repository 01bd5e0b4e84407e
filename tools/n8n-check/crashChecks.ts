/**
 * Skip Already Sent across a crash, in real n8n with its real database: `n8n execute` is killed
 * with SIGKILL at a point of a run of 30 payslips, then the same workflow is run again in the same
 * user folder. Every employee must have their mail exactly once at the server, or be the one mail
 * that was on its way, reported as an unknown outcome and not sent again.
 */
import type { TestSmtpServer } from '../../test/support/testSmtpServer';
import type { N8nInstance, RestClient } from './n8nInstance';
import { ARCHIVE, payslipRunWorkflow, SENDER } from './payrollWorkflow';
import { sleep } from './processes';
import type { TargetReport } from './report';
import { parseRunOutput, type RunOutput } from './verifyRun';

type MessageEvent = 'mailFrom' | 'dataStarted' | 'dataComplete' | 'accepted';

interface KillPoint {
	name: string;
	event: MessageEvent;
	message: number;
	/** Hold the server's reply to this message, so that the kill comes before it. */
	holdReply?: boolean;
	/** Batches of 10 with a long wait: the kill comes inside the wait. */
	inBatchWait?: boolean;
}

const STAFF = Array.from({ length: 30 }, (_, index) => ({
	name: `Employee ${index + 1}`,
	email: `employee${String(index + 1).padStart(2, '0')}@example.com`,
}));

export const KILL_POINTS: KillPoint[] = [
	{ name: 'after 10 of 30 mails', event: 'mailFrom', message: 11 },
	{ name: 'during the DATA of the 11th mail', event: 'dataStarted', message: 11 },
	{ name: 'after the 11th mail, before the server\'s 250', event: 'dataComplete', message: 11, holdReply: true },
	{ name: 'right after the server\'s 250 for the 11th mail', event: 'accepted', message: 11 },
	{ name: 'in the wait between the first two batches of 10', event: 'accepted', message: 10, inBatchWait: true },
];

/** The crash workflow of one kill point: 30 employees, Skip Already Sent with a key per employee. */
export function crashWorkflow(point: KillPoint, credential: { id: string; name: string }) {
	return payslipRunWorkflow({ name: `Payroll Mail crash check: ${point.name}` }, STAFF, {
		parameters: {
			fromEmail: SENDER,
			toEmail: '={{ $json.email }}',
			subject: '=Your payslip for {{ $json.period }}',
			text: '=Hello {{ $json.name }}',
			bccEmail: ARCHIVE,
			...(point.inBatchWait ? { batchSize: 10, batchWait: 5 } : {}),
			options: { skipAlreadySent: true, idempotencyKey: '={{ $json.email }}-{{ $json.period }}', maxRetries: 0 },
		},
		credentials: { payrollSmtpApi: credential },
	});
}

/** Saves one crash workflow per kill point; returns their ids, in KILL_POINTS' order. */
export async function saveCrashWorkflows(rest: RestClient, credential: { id: string; name: string }): Promise<string[]> {
	const ids: string[] = [];
	for (const point of KILL_POINTS) ids.push((await rest.post<{ id: string }>('/rest/workflows', crashWorkflow(point, credential))).id);
	return ids;
}

/**
 * The SMTP side of the crash checks: counts each kind of event from the start of a check, holds
 * the reply to the message of a kill point that wants it, and calls the check's kill there.
 */
export class CrashServerHooks {
	private counts = new Map<MessageEvent, number>();

	/** The server's DATA count when the check began: it numbers messages over its whole life. */
	private dataAtStart = 0;

	private point: KillPoint | undefined;

	private onPoint: (() => void) | undefined;

	arm(point: KillPoint | undefined, dataSoFar: number, onPoint?: () => void): void {
		this.counts = new Map();
		this.dataAtStart = dataSoFar;
		this.point = point;
		this.onPoint = onPoint;
	}

	readonly onMessageEvent = (event: MessageEvent): void => {
		const count = (this.counts.get(event) ?? 0) + 1;
		this.counts.set(event, count);
		if (this.point && event === this.point.event && count === this.point.message) {
			const kill = this.onPoint;
			this.onPoint = undefined;
			kill?.();
		}
	};

	/** A reply held 60 s: n8n is killed long before it. */
	readonly replyDelayMs = (data: number): number =>
		this.point?.holdReply && data - this.dataAtStart === this.point.message ? 60_000 : 0;
}

export async function crashChecks(
	report: TargetReport,
	instance: N8nInstance,
	server: TestSmtpServer,
	hooks: CrashServerHooks,
	workflowIds: string[],
): Promise<void> {
	for (const [index, point] of KILL_POINTS.entries()) {
		server.messages.splice(0);
		let killing: Promise<void> | undefined;
		hooks.arm(point, server.dataCommands, () => {
			// Inside a batch wait: the confirmation of the 10th mail is written within milliseconds.
			killing = (point.inBatchWait ? sleep(2_000) : Promise.resolve()).then(async () => execution.kill());
		});
		const execution = instance.background(['execute', `--id=${workflowIds[index]}`, '--rawOutput']);
		const ended = await Promise.race([execution.exited.then(() => 'exited'), sleep(180_000).then(() => 'timeout')]);
		await killing;
		hooks.arm(undefined, server.dataCommands);
		if (!report.expect(`crash ${point.name}: n8n killed there`, killing !== undefined, `n8n ${ended} without reaching the point:\n${execution.logTail(20)}`)) continue;
		const sentBefore = server.messages.length;
		const rerun = await report.timed(`re-run after crash ${point.name}`, async () =>
			parseRunOutput(await instance.cli(['execute', `--id=${workflowIds[index]}`, '--rawOutput'], 180_000)),
		).catch((error: Error) => error);
		if (rerun instanceof Error) {
			report.fail(`crash ${point.name}: re-run`, rerun.message);
			continue;
		}
		judge(report, point, rerun, server, sentBefore);
	}
}

function judge(report: TargetReport, point: KillPoint, rerun: RunOutput, server: TestSmtpServer, sentBefore: number): void {
	const items = (rerun.data.resultData.runData['Payroll Mail']?.[0]?.data?.main ?? []).flat();
	const mails = new Map(items.map((item) => [String(item.json.email), item.json.mail as { status?: string; error?: { code?: string } }]));
	const copies = new Map(STAFF.map(({ email }) => [email, 0]));
	for (const message of server.messages) for (const address of message.to) if (copies.has(address)) copies.set(address, copies.get(address)! + 1);
	const unknown = STAFF.filter(({ email }) => mails.get(email)?.error?.code === 'EOUTCOMEUNKNOWN');
	const wrong = STAFF.filter(({ email }) => {
		const isUnknown = unknown.some((employee) => employee.email === email);
		return isUnknown ? copies.get(email)! > 1 : copies.get(email) !== 1;
	});
	const detail =
		`before the crash ${sentBefore} mails, after the re-run ${server.messages.length}; ` +
		`copies per employee ${JSON.stringify(Object.fromEntries(copies))}; ` +
		`re-run statuses ${JSON.stringify(Object.fromEntries([...mails].map(([email, mail]) => [email, mail?.error?.code ?? mail?.status])))}`;
	report.expect(
		`crash ${point.name}, run again: every employee exactly once at the server, ${point.inBatchWait ? 'none' : 'at most the one on its way'} reported unknown`,
		items.length === STAFF.length && wrong.length === 0 && unknown.length <= (point.inBatchWait ? 0 : 1),
		detail,
	);
}
