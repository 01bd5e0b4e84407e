/**
 * The payroll run of the scaling checks: the payroll system posts a month's payslips (200 PDFs
 * and the employee list) to a production webhook; a Code node makes one item per employee with
 * their PDF; Payroll Mail sends in batches of 20 with a 2 s wait, Skip Already Sent on. What
 * arrives at the SMTP server is judged by batch windows (below) and copies per employee.
 */
import type { TestSmtpServer } from '../../test/support/testSmtpServer';
import { ARCHIVE, payslipPdf, SENDER } from './payrollWorkflow';

export const EMPLOYEES = 200;
export const BATCH_SIZE = 20;
export const BATCH_WAIT_S = 2;
export const JOURNAL_TABLE = 'payroll_mail_journal';

export const staff = Array.from({ length: EMPLOYEES }, (_, index) => {
	const number = String(index + 1).padStart(3, '0');
	return { employeeId: `E${number}`, name: `Employee ${number}`, email: `employee${number}@example.com`, file: `payslip_${number}` };
});

const SPLIT = `// One item per employee, with their payslip PDF (stored by n8n as it received it) as binary "data".
const { body } = $input.first().json;
const files = $input.first().binary;
return JSON.parse(body.employees).map((employee) => ({
  json: { employeeId: employee.employeeId, name: employee.name, email: employee.email, period: body.period },
  binary: { data: files[employee.file] },
}));`;

export interface Credentials {
	smtp: { id: string; name: string };
	postgres?: { id: string; name: string };
}

/** The workflow; with a Postgres credential Skip Already Sent records in its journal table, else in n8n's database. */
export function webhookWorkflow(path: string, credentials: Credentials) {
	const node = (name: string, type: string, typeVersion: number, x: number, parameters: object) => ({
		id: name.toLowerCase().replace(/\W+/g, '-'),
		name,
		type,
		typeVersion,
		position: [x, 0],
		parameters,
	});
	return {
		name: `Payroll Mail at scale (${credentials.postgres ? 'PostgreSQL journal' : "n8n's database"})`,
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			{ ...node('Payroll System', 'n8n-nodes-base.webhook', 2, 0, { httpMethod: 'POST', path, responseMode: 'lastNode', responseData: 'noData', options: {} }), webhookId: path },
			node('Payslips', 'n8n-nodes-base.code', 2, 220, { jsCode: SPLIT }),
			{
				...node('Payroll Mail', 'n8n-nodes-payroll-mail.payrollMail', 1, 440, {
					fromEmail: `Payroll Office <${SENDER}>`,
					toEmail: '={{ $json.email }}',
					subject: '=Your payslip for {{ $json.period }}',
					text: '=Hello {{ $json.name }}, your payslip is attached.',
					attachments: 'data',
					bccEmail: ARCHIVE,
					batchSize: BATCH_SIZE,
					batchWait: BATCH_WAIT_S,
					options: {
						skipAlreadySent: true,
						idempotencyKey: '={{ $json.employeeId }}-{{ $json.period }}',
						maxRetries: 0,
						...(credentials.postgres ? { ledgerStore: 'postgres', ledgerTable: JOURNAL_TABLE } : {}),
					},
				}),
				credentials: { payrollSmtpApi: credentials.smtp, ...(credentials.postgres ? { postgres: credentials.postgres } : {}) },
			},
			node('Sent', 'n8n-nodes-base.noOp', 1, 660, {}),
			node('Failed', 'n8n-nodes-base.noOp', 1, 660, {}),
		],
		connections: {
			'Payroll System': { main: [[{ node: 'Payslips', type: 'main', index: 0 }]] },
			Payslips: { main: [[{ node: 'Payroll Mail', type: 'main', index: 0 }]] },
			'Payroll Mail': { main: [[{ node: 'Sent', type: 'main', index: 0 }], [{ node: 'Failed', type: 'main', index: 0 }]] },
		},
	};
}

/** The payroll system's call: the month's employee list and one PDF per employee, as multipart form data. */
export async function callWebhook(baseUrl: string, path: string, period: string, signal?: AbortSignal): Promise<{ status: number; ms: number }> {
	const started = Date.now();
	const form = new FormData();
	form.set('period', period);
	form.set('employees', JSON.stringify(staff.map(({ employeeId, name, email, file }) => ({ employeeId, name, email, file }))));
	for (const employee of staff) form.set(employee.file, new Blob([payslipPdf(`${employee.name} ${period}`)], { type: 'application/pdf' }), `${employee.file}.pdf`);
	const response = await fetch(`${baseUrl}/webhook/${path}`, { method: 'POST', body: form, signal: signal ?? AbortSignal.timeout(300_000) });
	await response.text();
	return { status: response.status, ms: Date.now() - started };
}

/**
 * Mails in a row that the provider sees as one batch: arrivals (the server reading a mail's final
 * dot) less than the batch wait apart. The node waits the batch wait after a batch's last mail has
 * ended before the next batch's first begins, so two batches are always further apart than that;
 * mails closer together are one window, whichever execution sent them.
 */
export function batchWindows(arrivals: number[], waitMs = BATCH_WAIT_S * 1000): number[] {
	const sorted = [...arrivals].sort((a, b) => a - b);
	const sizes: number[] = [];
	sorted.forEach((arrival, index) => {
		if (index === 0 || arrival - sorted[index - 1] >= waitMs) sizes.push(0);
		sizes[sizes.length - 1] += 1;
	});
	return sizes;
}

/** Copies of each employee's mail of a month at the server, by address (the archive copy is the office's). */
export function copiesAtServer(server: TestSmtpServer, since: number): Map<string, number> {
	const copies = new Map(staff.map(({ email }) => [email, 0]));
	for (const message of server.messages.slice(since)) {
		for (const address of message.to) if (copies.has(address)) copies.set(address, copies.get(address)! + 1);
	}
	return copies;
}

/**
 * The SMTP side of a kill: counts the mails of a run from the moment it is armed, holds the reply
 * to the `at`-th (so that the kill comes after the server has it and before the node learns it),
 * and calls `kill` there.
 */
export class KillHooks {
	private armed: { at: number; kill: () => void } | undefined;
	/** The server's number of the mail whose reply is held. */
	private held = 0;

	/** `dataSoFar`: the server's DATA count now (it numbers mails over its whole life). */
	arm(dataSoFar: number, at: number, kill: () => void): void {
		this.armed = { at: dataSoFar + at, kill };
		this.held = dataSoFar + at;
	}

	disarm(): void {
		this.armed = undefined;
		this.held = 0;
	}

	readonly onMessageEvent = (event: string, message: number): void => {
		if (event !== 'dataComplete' || !this.armed || message !== this.armed.at) return;
		const { kill } = this.armed;
		this.armed = undefined;
		kill();
	};

	/** Two minutes: the process is killed long before. */
	readonly replyDelayMs = (data: number): number => (data === this.held ? 120_000 : 0);
}
