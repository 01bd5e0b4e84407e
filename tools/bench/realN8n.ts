/**
 * The bench's senders inside a real n8n: the install `npm run test:n8n` caches (n8n 2.41.1 on Node
 * 24), this package packed and installed as n8n's Community Nodes installer does, one workflow per
 * sender (Manual Trigger → Code making the payslips → Payroll Mail or Send Email), run by
 * `n8n execute`. A sender's time is its node's executionTime in the run data: n8n's start and the
 * Code node are not in it. Binary data in n8n's filesystem mode.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { n8nInstall, nodeRuntime, type NodeRuntime } from '../n8n-check/cache';
import { installCommunityPackage } from '../n8n-check/communityPackage';
import { N8nInstance } from '../n8n-check/n8nInstance';
import { workflowNode } from '../n8n-check/payrollWorkflow';
import { cleanEnv, npmTools, runOrThrow } from '../n8n-check/processes';
import { targets } from '../n8n-check/targets';
import { parseRunOutput } from '../n8n-check/verifyRun';
import { PACKAGE_DIR } from '../../test/node/payrollRun';
import { cpuSplitPerMail, type CpuSplit } from './cpuProfileSummary';
import { monotonicMicros } from './measure';
import { benchEmployees, PAYSLIP_FILE_NAME } from './payslips';
import { emailSendCredential, emailSendParameters, payrollMailCredential, payrollMailParameters, type SinkAddress } from './scenarios';

export const REAL_N8N_TARGET = targets[0];

export interface RealRun {
	/** The node's executionTime from the run data, in s. */
	nodeSeconds: number;
	sent: number;
	failed: number;
}

/** The sending node's entry in the run data: its start (wall clock, ms), time taken (ms) and outputs. */
interface RealTask {
	startTime: number;
	executionTime: number;
	data?: { main?: unknown[][] };
}

/** What a sender is, inside n8n: Payroll Mail with `connections`, or Send Email (`connections` 0). */
export interface RealSender {
	kind: 'payrollMail' | 'emailSend';
	connections: number;
}

const NODE_NAME = { payrollMail: 'Payroll Mail', emailSend: 'Send Email' };

/**
 * Distinct payslip files the workflow stores; the employees share them in turn. n8n's task runner
 * hands every stored file to n8n as a list of numbers, about 25 ms per 100 KB file here: a file per
 * employee would make the Code node take longer than the sending. The sender reads and encodes
 * each employee's file all the same, from the same page-cached folder.
 */
const DISTINCT_PAYSLIPS = 20;

/**
 * The payslips, made in the workflow: PDF-like files of `pdfBytes`, stored through n8n's binary
 * helpers, so that they sit in its binary-data folder as a PDF read by an earlier node would.
 */
function payslipCode(employees: number, pdfBytes: number): string {
	const staff = benchEmployees(employees);
	return [
		`const staff = ${JSON.stringify(staff)};`,
		`const filler = 'payroll '.repeat(${Math.ceil(pdfBytes / 8)}).slice(0, ${pdfBytes});`,
		'const payslips = [];',
		`for (let index = 0; index < Math.min(staff.length, ${DISTINCT_PAYSLIPS}); index++) {`,
		"  const pdf = Buffer.from('%PDF-1.4\\n% payslip ' + index + '\\n' + filler);",
		`  payslips.push(await this.helpers.prepareBinaryData(pdf, ${JSON.stringify(PAYSLIP_FILE_NAME)}, 'application/pdf'));`,
		'}',
		'return staff.map((employee, index) => ({ json: employee, binary: { data: { ...payslips[index % payslips.length] } } }));',
	].join('\n');
}

/** The sender's id in the bench's tables: `payrollMail-3`, `emailSend`. */
export const realId = (sender: RealSender) => (sender.kind === 'emailSend' ? 'emailSend' : `payrollMail-${sender.connections}`);

function workflowId(sender: RealSender): string {
	return sender.kind === 'emailSend' ? 'benchEmailSend' : `benchPayrollMail${sender.connections}`;
}

function workflow(sender: RealSender, code: string) {
	const sending =
		sender.kind === 'payrollMail'
			? {
					...workflowNode(NODE_NAME.payrollMail, 'n8n-nodes-payroll-mail.payrollMail', 1, [440, 0], payrollMailParameters(sender.connections)),
					credentials: { payrollSmtpApi: { id: 'benchPayrollSmtp', name: 'Bench Payroll SMTP' } },
				}
			: {
					...workflowNode(NODE_NAME.emailSend, 'n8n-nodes-base.emailSend', 2.1, [440, 0], emailSendParameters()),
					credentials: { smtp: { id: 'benchSmtp', name: 'Bench SMTP' } },
				};
	return {
		id: workflowId(sender),
		name: `Bench ${sending.name} ${sender.connections}`,
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [workflowNode('Manual Trigger', 'n8n-nodes-base.manualTrigger', 1, [0, 0], {}), workflowNode('Payslips', 'n8n-nodes-base.code', 2, [220, 0], { jsCode: code }), sending],
		connections: {
			'Manual Trigger': { main: [[{ node: 'Payslips', type: 'main', index: 0 }]] },
			Payslips: { main: [[{ node: sending.name, type: 'main', index: 0 }]] },
		},
	};
}

export class RealN8n {
	private constructor(
		private readonly instance: N8nInstance,
		private readonly workDir: string,
		readonly description: string,
	) {}

	/** The Node the real n8n runs on: bare nodemailer is measured on it too. */
	get node(): NodeRuntime {
		return this.instance.node;
	}

	/** Node and n8n from the cache (installed there on first use: minutes), the package packed and installed. */
	static async prepare(log: (line: string) => void): Promise<RealN8n> {
		const workDir = mkdtempSync(join(tmpdir(), 'payroll-mail-bench-n8n-'));
		try {
			const node = await nodeRuntime(REAL_N8N_TARGET.node);
			const install = await n8nInstall(REAL_N8N_TARGET, node);
			const { npmCli } = npmTools();
			const packed = await runOrThrow(process.execPath, [npmCli, 'pack', '--json', '--pack-destination', workDir], {
				cwd: PACKAGE_DIR,
				env: cleanEnv(),
				timeoutMs: 5 * 60_000,
			});
			const [{ filename }] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
			const userFolder = join(workDir, 'user');
			await installCommunityPackage(join(workDir, filename), userFolder);
			const env = { ...REAL_N8N_TARGET.env, N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem', N8N_LOG_LEVEL: 'info' };
			const instance = await N8nInstance.create(install, node, userFolder, env);
			const description = `n8n ${REAL_N8N_TARGET.n8nVersion} on Node ${node.version} (${install.dir}), n8n execute, filesystem binary mode`;
			log(`real n8n: ${description}`);
			return new RealN8n(instance, workDir, description);
		} catch (error) {
			rmSync(workDir, { recursive: true, force: true });
			throw error;
		}
	}

	/** Saves the senders' workflows and credentials for a sink at `server`:`port`, replacing earlier ones. */
	async save(senders: RealSender[], server: SinkAddress, port: number, employees: number, pdfBytes: number): Promise<void> {
		const code = payslipCode(employees, pdfBytes);
		const credentials = [
			{ id: 'benchPayrollSmtp', name: 'Bench Payroll SMTP', type: 'payrollSmtpApi', data: payrollMailCredential(server, port) },
			{ id: 'benchSmtp', name: 'Bench SMTP', type: 'smtp', data: emailSendCredential(server, port) },
		];
		const credentialsFile = join(this.workDir, 'credentials.json');
		const workflowsFile = join(this.workDir, 'workflows.json');
		writeFileSync(credentialsFile, JSON.stringify(credentials));
		writeFileSync(workflowsFile, JSON.stringify(senders.map((sender) => workflow(sender, code))));
		await this.cli(['import:credentials', `--input=${credentialsFile}`]);
		await this.cli(['import:workflow', `--input=${workflowsFile}`]);
	}

	/** Runs one sender's workflow; its node's time comes from the run data. */
	async run(sender: RealSender): Promise<RealRun> {
		const { task } = await this.execute(sender);
		const [sent = [], failed = []] = task.data?.main ?? [];
		return { nodeSeconds: task.executionTime / 1000, sent: sent.length, failed: failed.length };
	}

	/**
	 * Runs the sender's workflow once more under `node --cpu-prof` and splits the main thread's CPU
	 * of the node's own run (its start and time in the run data) per mail, by whose code it is.
	 */
	async cpuSplit(sender: RealSender, mails: number): Promise<CpuSplit> {
		const profileDir = mkdtempSync(join(this.workDir, 'cpu-profile-'));
		try {
			const { task } = await this.execute(sender, { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` });
			// The profile's clock is the system's monotonic one, the run data's is the wall clock.
			const monotonicMinusWallUs = monotonicMicros() - Date.now() * 1000;
			const startUs = task.startTime * 1000 + monotonicMinusWallUs;
			const window = { label: realId(sender), startUs, endUs: startUs + task.executionTime * 1000 };
			const [profile] = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
			if (!profile) throw new Error(`n8n execute wrote no CPU profile into ${profileDir}`);
			return cpuSplitPerMail(join(profileDir, profile), PACKAGE_DIR, [window], mails);
		} finally {
			rmSync(profileDir, { recursive: true, force: true });
		}
	}

	remove(): void {
		rmSync(this.workDir, { recursive: true, force: true });
	}

	private async execute(sender: RealSender, extraEnv?: NodeJS.ProcessEnv): Promise<{ task: RealTask }> {
		const run = parseRunOutput(await this.instance.cli(['execute', `--id=${workflowId(sender)}`, '--rawOutput'], 600_000, extraEnv));
		const task = run.data.resultData.runData[NODE_NAME[sender.kind]]?.[0] as Partial<RealTask> | undefined;
		if (task?.executionTime === undefined || task.startTime === undefined) throw new Error(`the run data of ${NODE_NAME[sender.kind]} has no executionTime`);
		return { task: task as RealTask };
	}

	private async cli(args: string[]): Promise<void> {
		const result = await this.instance.cli(args, 300_000);
		if (result.code !== 0) throw new Error(`n8n ${args[0]} failed (exit ${result.code}):\n${`${result.stdout}\n${result.stderr}`.slice(-2_000)}`);
	}
}
