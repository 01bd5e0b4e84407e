/**
 * `npm run demo`: the Payroll Mail node run by n8n's own execution engine against an SMTP server
 * on this computer, with sample payslips, two designed failures, progress and a summary.
 * `runDemo` is what the tests call; `main` is the command line around it.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';

import type { INodeParameters } from 'n8n-workflow';

import type { HarnessItem } from '../../test/harness';
import { writeEmlFiles } from './emlFiles';
import { prepareN8nEnvironment } from './n8nEnvironment';
import { absoluteOutDir, DEFAULT_OPTIONS, HELP, parseCommand, type DemoOptions } from './options';
import { COMPANY, payslipFileName, payslipPdf, sampleEmployees, type SampleEmployee } from './payslips';
import { ProgressDisplay, plannedBatches, type Output } from './progress';
import { demoCredential, startDemoSmtpServer } from './smtpServer';
import { formatSummary, judgeRun, type SummaryRow } from './summary';
import { count } from './text';

export type { DemoOptions } from './options';
export type { Output } from './progress';

const PACKAGE_DIR = join(__dirname, '..', '..');
const BUILT_NODE = join(PACKAGE_DIR, 'dist', 'nodes', 'PayrollMail', 'PayrollMail.node.js');
const PAYROLL_MAIL = 'n8n-nodes-payroll-mail.payrollMail';
const SENDER_ADDRESS = 'payroll@example.com';

export interface DemoResult {
	/** 0: everything went as designed; 1: it did not, see `problems`. */
	exitCode: number;
	problems: string[];
	rows: SummaryRow[];
	/** The .eml files written, one per mail the server received. */
	emlFiles: string[];
	outDir: string;
	durationMs: number;
}

function seconds(ms: number): string {
	return `${(ms / 1000).toFixed(1)} s`;
}

/** What a clerk would type into the node; the same parameters the README describes. */
function nodeParameters(options: DemoOptions): INodeParameters {
	return {
		fromEmail: COMPANY.payrollOffice,
		toEmail: '={{ $json.email }}',
		subject: '=Your payslip for {{ $json.periodLabel }}',
		emailFormat: 'text',
		text:
			'=Dear {{ $json.firstName }},\n\nplease find attached your payslip for {{ $json.periodLabel }}.\n\n' +
			`Kind regards\nPayroll Office, ${COMPANY.name}`,
		attachments: 'data',
		bccEmail: COMPANY.archive,
		batchSize: options.batchSize,
		batchWait: options.waitSeconds,
	};
}

function itemOf(employee: SampleEmployee, pdf: Buffer | undefined): HarnessItem {
	const json = {
		employeeId: employee.employeeId,
		name: employee.name,
		firstName: employee.firstName,
		email: employee.email,
		period: employee.period,
		periodLabel: employee.periodLabel,
	};
	if (!pdf) return { json };
	return { json, binary: { data: { data: pdf, fileName: payslipFileName(employee), mimeType: 'application/pdf' } } };
}

function introduction(out: Output, options: DemoOptions, staff: SampleEmployee[]): void {
	const badAddress = staff.find((employee) => employee.role === 'badAddress')!;
	const missingPdf = staff.find((employee) => employee.role === 'missingPdf')!;
	const batching =
		options.batchSize > 0
			? `${options.batchSize} mails per batch, ${options.waitSeconds.toFixed(1)} s between batches`
			: 'all mails in one batch';
	out.write(
		'Payroll Mail demo\n' +
			'=================\n' +
			`An SMTP server starts on this computer, ${staff.length} sample payslips are made, and n8n's\n` +
			`engine runs the Payroll Mail node: ${batching},\n` +
			`and an archive copy (BCC) of every mail to ${COMPANY.archive}.\n` +
			`On purpose, ${badAddress.name} (#${badAddress.position}) has a bad address ("${badAddress.email}") and\n` +
			`${missingPdf.name} (#${missingPdf.position}) has no payslip PDF: both must come out on "Failed".\n\n`,
	);
}

/** Runs the whole demo once and says whether it went as designed; never throws. */
export async function runDemo(
	options: Partial<DemoOptions> = {},
	out: Output = process.stdout,
): Promise<DemoResult> {
	const settings: DemoOptions = { ...DEFAULT_OPTIONS, ...options };
	const outDir = absoluteOutDir(settings);
	const started = Date.now();
	const result: DemoResult = { exitCode: 1, problems: [], rows: [], emlFiles: [], outDir, durationMs: 0 };
	if (!existsSync(BUILT_NODE)) {
		result.problems.push('the node is not built: run "npm run build" first ("npm run demo" does)');
		return finish(out, result, started);
	}

	prepareN8nEnvironment();
	const staff = sampleEmployees(settings.employees);
	introduction(out, settings, staff);

	const server = await startDemoSmtpServer();
	try {
		out.write(`SMTP server   127.0.0.1:${server.port}, wants a LOGIN as ${SENDER_ADDRESS}; stops at the end\n`);
		const madeAt = Date.now();
		const pdfs = new Map<string, Buffer>();
		for (const employee of staff) {
			if (employee.role !== 'missingPdf') pdfs.set(employee.employeeId, await payslipPdf(employee));
		}
		out.write(`Payslips      ${count(pdfs.size, 'PDF')} made in ${seconds(Date.now() - madeAt)} (one A4 page each, amounts in CHF)\n\n`);

		// Loaded only now: n8n-core reads N8N_USER_FOLDER when it is first loaded.
		const { runWorkflow } = await import('../../test/harness');
		const expectedMessages = staff.filter((employee) => employee.role === 'ordinary').length;
		const plan = { expectedMessages, batchSize: settings.batchSize, waitSeconds: settings.waitSeconds, archive: COMPANY.archive };
		const runStarted = Date.now();
		const progress = new ProgressDisplay(server, out, plan, runStarted, staff.map((employee) => employee.email));
		progress.start();
		let run;
		try {
			run = await runWorkflow({
				packageDir: PACKAGE_DIR,
				nodeUnderTest: {
					type: PAYROLL_MAIL,
					parameters: nodeParameters(settings),
					credentials: { payrollSmtpApi: demoCredential(server) },
				},
				items: staff.map((employee) => itemOf(employee, pdfs.get(employee.employeeId))),
			});
		} finally {
			progress.stop();
		}
		const [sent, failed = []] = run.outputs;
		out.write(
			`\nThe node finished after ${seconds(Date.now() - runStarted)}: ${count(sent.length, 'item')} on "Sent", ` +
				`${failed.length} on "Failed" (${count(plannedBatches(plan), 'batch', 'batches')} planned)\n\n`,
		);

		const verdict = await judgeRun({
			employees: staff,
			pdfs,
			outputs: run.outputs,
			status: run.status,
			error: run.error,
			messages: server.messages,
			loginMethods: server.authAttempts(),
			archive: COMPANY.archive,
			sender: SENDER_ADDRESS,
			batchSize: settings.batchSize,
			waitSeconds: settings.waitSeconds,
		});
		result.rows = verdict.rows;
		result.problems.push(...verdict.problems);
		out.write(`Summary\n\n${formatSummary(verdict.rows)}\n`);

		result.emlFiles = writeEmlFiles(outDir, verdict.received);
		const shown = relative(process.cwd(), outDir);
		const where = shown && !shown.startsWith('..') ? `./${shown}/` : outDir;
		out.write(`Every mail as the server received it (${count(result.emlFiles.length, '.eml file')}, open them with any mail program): ${where}\n`);
	} catch (error) {
		result.problems.push(`the demo itself failed: ${(error as Error).stack ?? String(error)}`);
	} finally {
		await server.close();
	}
	return finish(out, result, started);
}

function finish(out: Output, result: DemoResult, started: number): DemoResult {
	result.durationMs = Date.now() - started;
	result.exitCode = result.problems.length === 0 ? 0 : 1;
	const sent = result.rows.filter((row) => row.status === 'sent').length;
	if (result.exitCode === 0) {
		out.write(
			`\nAs designed: ${count(sent, 'payslip')} sent, each with its PDF and the archive copy; the bad address ` +
				`and the missing PDF failed alone (${seconds(result.durationMs)}).\n`,
		);
	} else {
		out.write(`\nNOT as designed (${seconds(result.durationMs)}):\n${result.problems.map((problem) => `  - ${problem}\n`).join('')}`);
	}
	return result;
}

/** The command line: `npm run demo -- [--employees N] [--batch-size N] [--wait SECONDS] [--out DIR]`. */
export async function main(
	argv: string[],
	out: Output = process.stdout,
	errors: Output = process.stderr,
): Promise<number> {
	const command = parseCommand(argv);
	if ('error' in command) {
		errors.write(`${command.error}\n\n${HELP}`);
		return 2;
	}
	if (command.help) {
		out.write(HELP);
		return 0;
	}
	return (await runDemo(command.options, out)).exitCode;
}

if (require.main === module) {
	void main(process.argv.slice(2)).then((code) => {
		process.exitCode = code;
	});
}
