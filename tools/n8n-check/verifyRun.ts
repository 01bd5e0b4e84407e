/**
 * Judges the workflow run twice: from n8n's run data (what each output held) and from the SMTP
 * server (what really arrived: envelope with the archive copy, headers without it, the PDF).
 */
import { simpleParser } from 'mailparser';

import type { TestSmtpServer } from '../../test/support/testSmtpServer';
import { ARCHIVE, badEmployee, BOUNCE_MAILS, BOUNCED, goodEmployees, payslipPdf, PERIOD, SENDER, SMTP_USER } from './payrollWorkflow';
import type { RunResult } from './processes';
import { tail } from './processes';
import type { TargetReport } from './report';

interface Item {
	json: Record<string, unknown> & {
		name?: string;
		mail?: { status?: string; to?: string[]; accepted?: string[]; batch?: number; error?: { stage?: string; message?: string } };
	};
	binary?: Record<string, { fileName?: string; mimeType?: string }>;
}
interface TaskData {
	data?: { main?: Item[][] };
}
export interface RunOutput {
	status?: string;
	finished?: boolean;
	data: { resultData: { runData: Record<string, TaskData[]>; error?: { message?: string } } };
}

/** `n8n execute --rawOutput` prints log lines, then the run as indented JSON: `{` to `}` at column 0. */
export function parseRunOutput(result: RunResult): RunOutput {
	const output = `${result.stdout}\n${result.stderr}`;
	const start = result.stdout.search(/^\{$/m);
	const end = result.stdout.lastIndexOf('\n}');
	if (result.code !== 0 || start < 0 || end < start) {
		throw new Error(`n8n execute exited with ${result.code ?? 'a timeout'} and no run data:\n${tail(output, 30)}`);
	}
	const run = JSON.parse(result.stdout.slice(start, end + 2)) as RunOutput;
	const error = run.data.resultData.error;
	if (error) throw new Error(`the execution failed: ${error.message}`);
	return run;
}

function outputOf(run: RunOutput, node: string, index: number): Item[] {
	return run.data.resultData.runData[node]?.[0]?.data?.main?.[index] ?? [];
}

const summarize = (items: Item[]) =>
	items
		.map(({ json: { name, mail }, binary }) =>
			JSON.stringify({ name, ...mail, stage: mail?.error?.stage, error: mail?.error?.message, file: binary?.data?.fileName }),
		)
		.join('\n') || 'nothing';

export function checkRunData(report: TargetReport, run: RunOutput): void {
	const sent = outputOf(run, 'Payroll Mail', 0);
	const failed = outputOf(run, 'Payroll Mail', 1);
	report.expect(
		'Sent output: the 2 good employees, status sent, archive copy accepted, PDF kept',
		sent.length === 2 &&
			goodEmployees.every((employee, index) => {
				const { json, binary } = sent[index];
				return (
					json.name === employee.name &&
					json.mail?.status === 'sent' &&
					json.mail.to?.join() === employee.email &&
					json.mail.accepted?.includes(ARCHIVE) === true &&
					json.mail.batch === 1 &&
					binary?.data?.fileName === employee.file
				);
			}),
		`Sent held:\n${summarize(sent)}`,
	);
	const failure = failed[0]?.json;
	report.expect(
		'Failed output: the bad address alone, stage validation',
		failed.length === 1 &&
			failure.name === badEmployee.name &&
			failure.mail?.status === 'failed' &&
			failure.mail.error?.stage === 'validation' &&
			(failure.mail.error.message ?? '').includes(badEmployee.email),
		`Failed held:\n${summarize(failed)}`,
	);
	const noOps = [outputOf(run, 'Sent', 0).length, outputOf(run, 'Failed', 0).length];
	report.expect(
		'the No Op on Sent got 2 items, the one on Failed 1',
		noOps.join() === '2,1',
		`Sent/Failed No Ops got ${noOps.join('/')} items`,
	);
	const bounced = outputOf(run, 'Payroll Mail Bounces', 0).map((item) => item.json);
	const other = outputOf(run, 'Payroll Mail Bounces', 1).map((item) => item.json);
	report.expect(
		'Payroll Mail Bounces: the bounce on Bounced (recipient, 5.1.1, mail ID), the reply on Other',
		bounced.length === 1 &&
			bounced[0].recipient === BOUNCED.recipient &&
			bounced[0].status === BOUNCED.status &&
			bounced[0].mailId === BOUNCED.mailId &&
			other.length === 1 &&
			other[0].file === BOUNCE_MAILS[1],
		`Bounced held ${JSON.stringify(bounced)}, Other ${JSON.stringify(other)}`,
	);
}

export async function checkDelivery(report: TargetReport, smtp: TestSmtpServer): Promise<void> {
	const { messages } = smtp;
	report.expect(
		'SMTP server received exactly 2 messages, logged in as the credential user',
		messages.length === 2 && messages.every((message) => message.user === SMTP_USER),
		`received ${messages.length}: ${JSON.stringify(messages.map(({ from, to, user }) => ({ from, to, user })))}`,
	);
	const problems: string[] = [];
	for (const employee of goodEmployees) {
		const message = messages.find((candidate) => candidate.to.includes(employee.email));
		if (!message) {
			problems.push(`no message to ${employee.email}`);
			continue;
		}
		const envelope = [...message.to].sort().join();
		if (message.from !== SENDER || envelope !== [employee.email, ARCHIVE].sort().join()) {
			problems.push(`${employee.email}: envelope ${message.from} -> ${envelope}`);
		}
		const headers = message.raw.toString('latin1').split(/\r?\n\r?\n/)[0];
		if (headers.includes(ARCHIVE)) problems.push(`${employee.email}: the archive address is in the headers`);
		const parsed = await simpleParser(message.raw);
		if (parsed.subject !== `Your payslip for ${PERIOD}`) problems.push(`${employee.email}: subject "${parsed.subject}"`);
		if (!(parsed.text ?? '').includes(`Hello ${employee.name}`)) problems.push(`${employee.email}: text "${parsed.text}"`);
		const pdfs = parsed.attachments.map((attachment) => `${attachment.filename} (${attachment.contentType})`);
		const [attachment] = parsed.attachments;
		if (
			parsed.attachments.length !== 1 ||
			attachment.filename !== employee.file ||
			attachment.contentType !== 'application/pdf' ||
			!attachment.content.equals(payslipPdf(employee.name))
		) {
			problems.push(`${employee.email}: attachments ${pdfs.join(', ') || 'none'}, expected ${employee.file} with their PDF`);
		}
	}
	if (messages.some((message) => message.to.includes(badEmployee.email))) problems.push('a message went to the bad address');
	report.expect(
		'each message: envelope to the employee + archive (BCC), no archive in headers, subject, text, their PDF attached',
		problems.length === 0,
		problems.join('\n'),
	);
}
