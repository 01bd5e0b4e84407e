/**
 * The three ways of sending the same payslips that the bench compares, each against a fresh
 * sink: Payroll Mail and n8n's Send Email node through n8n's engine, and nodemailer's pool alone.
 */
import { createTransport } from 'nodemailer';
import DataStream from 'nodemailer/lib/smtp-connection/data-stream';
import type { ICredentialDataDecryptedObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { NODE_UNDER_TEST, runWorkflow, type BinaryMode } from '../../test/harness/engine';
import { clerkParameters, PACKAGE_DIR, PAYROLL_MAIL } from '../../test/node/payrollRun';
import { EMAIL_SEND } from './emailSendPackage';
import {
	garbageCollectionsBetween,
	MachineLoad,
	measuredWindows,
	MemorySampler,
	monotonicMicros,
	type GcTotals,
	type MemoryPeaks,
} from './measure';
import { PAYSLIP_FILE_NAME, payslipSource, type BenchEmployee } from './payslips';
import { PROVIDER_LOGIN, type Sink, type SinkReport } from './smtpSink';

export type ScenarioKind = 'payrollMail' | 'emailSend' | 'nodemailer';

export interface Scenario {
	/** e.g. `payrollMail-1`: kind and connections. */
	id: string;
	kind: ScenarioKind;
	label: string;
	/** Connections allowed at once (Send Email opens one per mail, one at a time). */
	connections: number;
}

/** Where the sink listens, and whether it is the Internet provider (STARTTLS and a login) or the LAN relay. */
export interface SinkAddress {
	host: string;
	provider: boolean;
}

export interface Workload {
	employees: BenchEmployee[];
	server: SinkAddress;
	/** Every employee's payslip, in memory, for the source node and for bare nodemailer alike. */
	payslips: Buffer[];
	binaryMode: BinaryMode;
	emailSendPackageDir?: string;
}

export interface Measurement {
	scenario: string;
	mails: number;
	/** From the start to the end of the sending: the node's own run, or nodemailer's first to last send. */
	seconds: number;
	mailsPerSecond: number;
	/** First to last arrival at the sink. */
	arrivalSpanSeconds: number;
	sink: Omit<SinkReport, 'arrivals'>;
	/** CPU the bench process spent over `seconds` (the node's run, or nodemailer's sending), in s. */
	clientCpuSeconds?: number;
	/** Share of both cores busy during the measurement, everything on the machine included. */
	machineBusyPercent?: number;
	/** Garbage collections of the bench process during `seconds`. */
	gc?: GcTotals;
	memory?: MemoryPeaks;
}

const FROM = 'Payroll Office <payroll@example.com>';

function subjectOf(employee: BenchEmployee): string {
	return `Your payslip for ${employee.period}`;
}

function textOf(employee: BenchEmployee): string {
	return `Dear ${employee.name}, your payslip is attached.`;
}

/** Payroll Mail's credential for the sink: plaintext without login, or STARTTLS and AUTH LOGIN. */
export function payrollMailCredential({ host, provider }: SinkAddress, port: number): ICredentialDataDecryptedObject {
	return provider
		? { host, port, connection: 'startTls', authMethod: 'login', user: PROVIDER_LOGIN.user, password: PROVIDER_LOGIN.pass, advancedTls: true, allowUnauthorizedCerts: true }
		: { host, port, connection: 'plaintext', authMethod: 'none' };
}

/** Send Email's SMTP credential for the same sink. */
export function emailSendCredential({ host, provider }: SinkAddress, port: number): ICredentialDataDecryptedObject {
	return provider
		? { host, port, secure: false, disableStartTls: false, allowUnauthorizedCerts: true, user: PROVIDER_LOGIN.user, password: PROVIDER_LOGIN.pass }
		: { host, port, secure: false, disableStartTls: true, user: '', password: '' };
}

export function payrollMailParameters(connections: number): INodeParameters {
	return clerkParameters({ batchSize: 0, batchWait: 0, mailDelay: 0, options: { parallelConnections: connections } });
}

/** Send Email (v2.1, what n8n adds today) set up as a clerk would for the same mail. */
export function emailSendParameters(): INodeParameters {
	return {
		resource: 'email',
		operation: 'send',
		fromEmail: FROM,
		toEmail: '={{ $json.email }}',
		subject: '=Your payslip for {{ $json.period }}',
		emailFormat: 'text',
		text: '=Dear {{ $json.name }}, your payslip is attached.',
		// No "sent automatically with n8n" line, so both nodes send the same text.
		// The Internet provider's certificate is self-signed; the LAN relay speaks no TLS.
		options: { fileAttachments: 'data', appendAttribution: false, allowUnauthorizedCerts: true },
	};
}

function check(condition: boolean, message: string): void {
	if (!condition) throw new Error(message);
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
	const { user, system } = process.cpuUsage(start);
	return (user + system) / 1e6;
}

function finish(
	scenario: Scenario,
	mails: number,
	seconds: number,
	clientCpuSeconds: number,
	gc: GcTotals,
	report: SinkReport,
	memory?: MemoryPeaks,
): Measurement {
	check(report.messages === mails, `${scenario.label}: the sink took ${report.messages} of ${mails} mails`);
	const { arrivals, ...sink } = report;
	return {
		scenario: scenario.id,
		mails,
		seconds,
		mailsPerSecond: mails / seconds,
		arrivalSpanSeconds: arrivals.length > 1 ? (arrivals[arrivals.length - 1] - arrivals[0]) / 1000 : 0,
		sink,
		clientCpuSeconds,
		gc,
		memory,
	};
}

interface EngineRunOptions {
	/**
	 * Samples memory from the node's start to its end. No collection is forced before: a forced
	 * full GC with 10,000 items in the heap leaves V8 with an old-space limit so tight that a GC
	 * storm follows (500 full GCs where n8n would have none), which would be the bench's own doing.
	 */
	sampleMemory?: boolean;
}

async function throughEngine(
	scenario: Scenario,
	workload: Workload,
	sink: Sink,
	source: ReturnType<typeof payslipSource>,
	options: EngineRunOptions = {},
): Promise<Measurement> {
	const port = await sink.open();
	const mails = workload.employees.length;
	const sampler = options.sampleMemory ? new MemorySampler(20) : undefined;
	let memory: MemoryPeaks | undefined;
	let cpuAtStart = process.cpuUsage();
	let clientCpuSeconds = 0;
	let startUs = 0;
	let nodeStartedAt = Number.NaN;
	let nodeEndedAt = Number.NaN;
	let result;
	try {
		const common = {
			source,
			binaryMode: workload.binaryMode,
			deleteBinaryData: true,
			onNodeStarted: (nodeName: string) => {
				if (nodeName !== NODE_UNDER_TEST) return;
				sampler?.start();
				cpuAtStart = process.cpuUsage();
				startUs = monotonicMicros();
				nodeStartedAt = performance.now();
			},
			onNodeFinished: (nodeName: string) => {
				if (nodeName !== NODE_UNDER_TEST) return;
				nodeEndedAt = performance.now();
				measuredWindows.push({ label: scenario.id, startUs, endUs: monotonicMicros() });
				clientCpuSeconds = cpuSecondsSince(cpuAtStart);
				memory = sampler?.stop();
			},
		};
		result =
			scenario.kind === 'payrollMail'
				? await runWorkflow({
						...common,
						packageDir: PACKAGE_DIR,
						nodeUnderTest: {
							type: PAYROLL_MAIL,
							parameters: payrollMailParameters(scenario.connections),
							credentials: { payrollSmtpApi: payrollMailCredential(workload.server, port) },
						},
					})
				: await runWorkflow({
						...common,
						packageDir: workload.emailSendPackageDir ?? '',
						nodeUnderTest: {
							type: EMAIL_SEND,
							parameters: emailSendParameters(),
							credentials: { smtp: emailSendCredential(workload.server, port) },
						},
					});
	} finally {
		if (sampler && !memory) memory = sampler.stop();
	}
	const report = await sink.close();
	check(result.status === 'success', `${scenario.label}: the execution ended "${result.status}": ${result.error?.message ?? ''}`);
	const sent: INodeExecutionData[] = result.outputs[0] ?? [];
	const failed = result.outputs[1] ?? [];
	check(
		sent.length === mails && failed.length === 0,
		`${scenario.label}: ${sent.length} sent, ${failed.length} failed of ${mails}` +
			(failed.length ? ` (first failure: ${JSON.stringify(failed[0].json.mail)})` : ''),
	);
	const gc = await garbageCollectionsBetween(nodeStartedAt, nodeEndedAt);
	return finish(scenario, mails, (nodeEndedAt - nodeStartedAt) / 1000, clientCpuSeconds, gc, report, memory);
}

/** Payroll Mail or Send Email through n8n's engine; the payslips come from memory through the source node. */
export async function runEngineScenario(scenario: Scenario, workload: Workload, sink: Sink): Promise<Measurement> {
	const source = payslipSource(workload.employees, (_, index) => workload.payslips[index]);
	return throughEngine(scenario, workload, sink, source);
}

/** Payroll Mail with payslips streamed from a generator into n8n's binary storage, memory sampled. */
export async function runScaleScenario(
	scenario: Scenario,
	workload: Omit<Workload, 'payslips'>,
	sink: Sink,
	source: ReturnType<typeof payslipSource>,
): Promise<Measurement> {
	return throughEngine(scenario, { ...workload, payslips: [] }, sink, source, { sampleMemory: true });
}

/** nodemailer's pool on its own: the same messages, attachments already in memory, no n8n. */
export async function runNodemailerScenario(scenario: Scenario, workload: Workload, sink: Sink): Promise<Measurement> {
	// Payroll Mail puts its own dot-stuffing into the nodemailer it loads; the peer runs nodemailer's.
	check((DataStream.prototype as unknown as { _transform: () => void })._transform.name === '_transform', "bare nodemailer is not running nodemailer's own DataStream");
	const port = await sink.open();
	const { employees, payslips } = workload;
	const cpuAtStart = process.cpuUsage();
	const startUs = monotonicMicros();
	const startedAt = performance.now();
	const { host, provider } = workload.server;
	const security = provider
		? { requireTLS: true, auth: PROVIDER_LOGIN, tls: { rejectUnauthorized: false } }
		: { ignoreTLS: true };
	const transporter = createTransport({ host, port, secure: false, ...security, pool: true, maxConnections: scenario.connections });
	let endedAt: number;
	let clientCpuSeconds: number;
	try {
		const infos = await Promise.all(
			employees.map(async (employee, index) =>
				transporter.sendMail({
					from: FROM,
					to: employee.email,
					subject: subjectOf(employee),
					text: textOf(employee),
					attachments: [{ filename: PAYSLIP_FILE_NAME, contentType: 'application/pdf', content: payslips[index] }],
				}),
			),
		);
		check(
			infos.every((info) => info.accepted.length === 1),
			`${scenario.label}: a mail was not accepted`,
		);
	} finally {
		transporter.close();
		endedAt = performance.now();
		measuredWindows.push({ label: scenario.id, startUs, endUs: monotonicMicros() });
		clientCpuSeconds = cpuSecondsSince(cpuAtStart);
	}
	const gc = await garbageCollectionsBetween(startedAt, endedAt);
	return finish(scenario, employees.length, (endedAt - startedAt) / 1000, clientCpuSeconds, gc, await sink.close());
}

/** One measurement, with how busy the whole machine was meanwhile. */
export async function runScenario(scenario: Scenario, workload: Workload, sink: Sink): Promise<Measurement> {
	const load = new MachineLoad();
	const measurement =
		scenario.kind === 'nodemailer'
			? await runNodemailerScenario(scenario, workload, sink)
			: await runEngineScenario(scenario, workload, sink);
	return { ...measurement, machineBusyPercent: load.busyPercent() };
}
