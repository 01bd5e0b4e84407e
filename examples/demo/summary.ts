import { simpleParser, type ParsedMail } from 'mailparser';
import type { ExecutionError, ExecutionStatus, IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { ReceivedMessage } from '../../test/support/testSmtpServer';
import type { SampleEmployee } from './payslips';
import { batchOfMail } from './progress';
import { count } from './text';

/** One line of the summary: what became of one employee's payslip. */
export interface SummaryRow {
	position: number;
	employeeId: string;
	name: string;
	address: string;
	/** The node's `mail.status`, or `missing` when the item came out of neither output. */
	status: string;
	batch: number | null;
	messageId: string | null;
	stage: string;
	error: string;
}

/** A message the server received, with the employee it was for. */
export interface ReceivedPayslip {
	employee: SampleEmployee;
	message: ReceivedMessage;
	parsed: ParsedMail;
}

export interface RunFacts {
	employees: SampleEmployee[];
	/** The PDF each employee's item carried; none for the employee whose PDF is "missing". */
	pdfs: Map<string, Buffer>;
	outputs: INodeExecutionData[][];
	status: ExecutionStatus;
	error?: ExecutionError;
	messages: ReceivedMessage[];
	loginMethods: Array<{ method: string; succeeded: boolean }>;
	archive: string;
	sender: string;
	batchSize: number;
	waitSeconds: number;
}

export interface Verdict {
	rows: SummaryRow[];
	received: ReceivedPayslip[];
	/** Empty when the demo behaved as designed; otherwise one sentence per deviation. */
	problems: string[];
}

/** Arrival times are the server's, taken before it answers, so only a faulty pause is shorter. */
const CLOCK_TOLERANCE_MS = 5;

function mailOf(item: INodeExecutionData): IDataObject {
	return (item.json.mail ?? {}) as IDataObject;
}

function bare(messageId: string | null | undefined): string {
	return (messageId ?? '').replace(/^<|>$/g, '');
}

function headerSection(raw: Buffer): string {
	const text = raw.toString('latin1');
	const end = text.search(/\r?\n\r?\n/);
	return (end < 0 ? text : text.slice(0, end)).toLowerCase();
}

function rowsOf(facts: RunFacts, problems: string[]): SummaryRow[] {
	const byEmployee = new Map<string, INodeExecutionData[]>();
	for (const item of [...facts.outputs[0], ...(facts.outputs[1] ?? [])]) {
		const id = String(item.json.employeeId);
		byEmployee.set(id, [...(byEmployee.get(id) ?? []), item]);
	}
	return facts.employees.map((employee): SummaryRow => {
		const items = byEmployee.get(employee.employeeId) ?? [];
		if (items.length !== 1) {
			problems.push(`${employee.name} came out of the node ${items.length} times instead of once`);
		}
		const mail = items.length ? mailOf(items[0]) : {};
		const error = (mail.error ?? {}) as IDataObject;
		return {
			position: employee.position,
			employeeId: employee.employeeId,
			name: employee.name,
			address: employee.email,
			status: items.length ? String(mail.status) : 'missing',
			batch: (mail.batch as number | null | undefined) ?? null,
			messageId: (mail.messageId as string | null | undefined) ?? null,
			stage: String(error.stage ?? ''),
			error: String(error.message ?? ''),
		};
	});
}

function checkOutputs(facts: RunFacts, rows: SummaryRow[], problems: string[]): void {
	const [sent, failed = []] = facts.outputs;
	const designed = facts.employees.filter((employee) => employee.role !== 'ordinary');
	const expectedSent = facts.employees.length - designed.length;
	if (sent.length !== expectedSent) problems.push(`${sent.length} items on Sent, expected ${expectedSent}`);
	if (failed.length !== designed.length) problems.push(`${failed.length} items on Failed, expected ${designed.length}`);
	for (const item of sent) {
		const mail = mailOf(item);
		if (mail.status !== 'sent') problems.push(`${String(item.json.name)} is on Sent with status "${String(mail.status)}"`);
	}
	for (const row of rows) {
		const employee = facts.employees[row.position - 1];
		const expected = { ordinary: 'sent', badAddress: 'failed', missingPdf: 'failed' }[employee.role];
		if (row.status !== expected) {
			problems.push(`${row.name} has status "${row.status}", expected "${expected}"${row.error ? `: ${row.error}` : ''}`);
		}
		const stage = { ordinary: '', badAddress: 'validation', missingPdf: 'attachment' }[employee.role];
		if (stage && row.stage !== stage) {
			problems.push(`${row.name} failed at stage "${row.stage}", expected "${stage}"`);
		}
	}
}

async function checkMessages(facts: RunFacts, rows: SummaryRow[], problems: string[]): Promise<ReceivedPayslip[]> {
	const ordinary = facts.employees.filter((employee) => employee.role === 'ordinary');
	if (facts.messages.length !== ordinary.length) {
		problems.push(`the SMTP server received ${facts.messages.length} mails, expected ${ordinary.length}`);
	}
	const received: ReceivedPayslip[] = [];
	for (const [index, message] of facts.messages.entries()) {
		const recipients = message.to.filter((address) => address !== facts.archive);
		const employee = facts.employees.find((candidate) => candidate.email === recipients[0]);
		if (!employee || recipients.length !== 1) {
			problems.push(`the server received a mail for ${message.to.join(', ')}, which is no one's payslip`);
			continue;
		}
		const parsed = await simpleParser(message.raw);
		received.push({ employee, message, parsed });
		const who = `the mail to ${employee.email}`;
		if (employee.role !== 'ordinary') problems.push(`${who} should not have been sent (${employee.role})`);
		if (message.from !== facts.sender) problems.push(`${who} came from ${message.from}`);
		if (!message.to.includes(facts.archive)) problems.push(`${who} had no archive copy to ${facts.archive} in its envelope`);
		if (headerSection(message.raw).includes(facts.archive.toLowerCase())) {
			problems.push(`${who} shows the archive address in its headers`);
		}
		const pdfs = parsed.attachments.filter((attachment) => attachment.contentType === 'application/pdf');
		const expectedPdf = facts.pdfs.get(employee.employeeId);
		if (pdfs.length !== 1 || !expectedPdf || !pdfs[0].content.equals(expectedPdf)) {
			problems.push(`${who} does not carry exactly the employee's payslip PDF (found ${pdfs.length} PDFs)`);
		}
		const row = rows[employee.position - 1];
		if (bare(parsed.messageId) !== bare(row.messageId)) {
			problems.push(`${who} has Message-ID ${parsed.messageId}, the node reported ${row.messageId}`);
		}
		const batch = batchOfMail(index, facts.batchSize);
		if (row.batch !== batch) problems.push(`${who} was mail ${index + 1}, so in batch ${batch}; the node says ${row.batch}`);
	}
	const sentTwice = received.length - new Set(received.map(({ employee }) => employee.email)).size;
	if (sentTwice > 0) problems.push(`${sentTwice} payslips arrived more than once`);
	return received;
}

function checkPauses(facts: RunFacts, problems: string[]): void {
	const waitMs = facts.waitSeconds * 1000;
	for (let index = 1; index < facts.messages.length; index++) {
		if (batchOfMail(index, facts.batchSize) === batchOfMail(index - 1, facts.batchSize)) continue;
		const pause = facts.messages[index].arrivedAt - facts.messages[index - 1].arrivedAt;
		if (pause < waitMs - CLOCK_TOLERANCE_MS) {
			problems.push(
				`batch ${batchOfMail(index, facts.batchSize)} began ${(pause / 1000).toFixed(2)} s after the previous one, ` +
					`less than the ${facts.waitSeconds} s wait`,
			);
		}
	}
}

/** Compares what happened with what the demo was designed to show. */
export async function judgeRun(facts: RunFacts): Promise<Verdict> {
	const problems: string[] = [];
	if (facts.status !== 'success' || facts.error) {
		problems.push(`the workflow ended with status "${facts.status}"${facts.error ? `: ${facts.error.message}` : ''}`);
	}
	const rows = rowsOf(facts, problems);
	checkOutputs(facts, rows, problems);
	const received = await checkMessages(facts, rows, problems);
	checkPauses(facts, problems);
	if (facts.loginMethods.length === 0) problems.push('the node never logged in');
	for (const { method, succeeded } of facts.loginMethods) {
		if (method !== 'LOGIN' || !succeeded) problems.push(`a login attempt used ${method} and ${succeeded ? 'succeeded' : 'failed'}`);
	}
	return { rows, received, problems };
}

function table(header: string[], lines: string[][]): string {
	const widths = header.map((title, column) =>
		column === header.length - 1 ? 0 : Math.max(title.length, ...lines.map((line) => line[column].length)),
	);
	const format = (cells: string[]) =>
		cells
			.map((cell, column) => cell.padEnd(widths[column]))
			.join('  ')
			.trimEnd();
	const separator = widths.map((width, column) => '-'.repeat(width || header[column].length)).join('  ');
	return [format(header), separator, ...lines.map(format)].join('\n');
}

/** The per-employee table and the totals, as printed at the end of the demo. */
export function formatSummary(rows: SummaryRow[]): string {
	const header = ['#', 'Employee', 'Address', 'Status', 'Batch', 'Message-ID', 'Error'];
	const lines = rows.map((row) => [
		String(row.position),
		row.name,
		row.address,
		row.status,
		row.batch === null ? '-' : String(row.batch),
		row.messageId ?? '-',
		row.error ? `[${row.stage}] ${row.error}` : '',
	]);
	const withStatus = (status: string) => rows.filter((row) => row.status === status).length;
	const batches = new Set(rows.map((row) => row.batch).filter((batch) => batch !== null)).size;
	const failedStages = rows
		.filter((row) => row.status === 'failed')
		.map((row) => row.stage)
		.join(', ');
	const totals =
		`Totals: ${count(rows.length, 'employee')}, ${withStatus('sent')} sent, ${withStatus('failed')} failed` +
		`${failedStages ? ` (${failedStages})` : ''}, ${count(batches, 'batch', 'batches')}`;
	return `${table(header, lines)}\n\n${totals}\n`;
}
