/**
 * `npm run bench`: how fast Payroll Mail sends, next to what it should be compared with.
 *
 *   npm run bench                     both profiles (LAN relay: 1,000 employees; Internet provider:
 *                                     100), 100 KB PDF, 3 runs: Payroll Mail and bare nodemailer at
 *                                     1, 3, 5 and 10 connections and n8n's Send Email, in n8n's
 *                                     engine here, then Payroll Mail and Send Email in a real n8n
 *                                     (n8n execute); JSON in bench/results/, the chart in
 *                                     bench/speed.svg. Payroll Mail and nodemailer at 1 and 3
 *                                     connections run once more under V8's profiler: the
 *                                     main-thread CPU per mail split into the node's code,
 *                                     nodemailer, n8n's expressions and n8n's binary reads.
 *                                     About 24 minutes on 2 cores.
 *   npm run bench -- --quick          1 run, 100 and 30 employees: about 4 minutes
 *   npm run bench -- --scale          Payroll Mail with 100, 1,000, 10,000 employees × 200 KB PDF,
 *                                     3 runs each: time per mail and the node's own peak memory
 *   npm run bench -- --ledger         what Skip Already Sent's record costs per mail in n8n's real
 *                                     store, with 100, 2,000 and 20,000 entries recorded (n8n 2.x, 1.x)
 *   npm run bench -- --profile payrollMail-1
 *                                     one scenario under `node --cpu-prof`, and its hot spots
 *                                     (`--profile scale --sizes 10000`: one scale run)
 *
 * Options: --runs N, --pdf-kb N, --profiles lan,internet, --no-real-n8n, --employees N (--profile),
 * --sizes 100,1000,10000, --binary-mode filesystem|default, --wait-idle SECONDS (wait for other
 * work on the machine to end first), --no-greeting-delay (--scale and --profile: the sink greets
 * at once instead of after smtp-server's 100 ms; the comparison's sinks always greet at once).
 */
// Must come first: points n8n at a throwaway user folder before n8n-core loads.
import { removeUserFolder } from './benchEnv';

import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

import type { BinaryMode } from '../../test/harness/engine';
import { PACKAGE_DIR } from '../../test/node/payrollRun';
import { cpuSplitPerMail, summarizeCpuProfile, type CpuSplit } from './cpuProfileSummary';
import { emailSendPackage, N8N_NODES_BASE_VERSION } from './emailSendPackage';
import {
	MachineLoad,
	measuredWindows,
	megabytes,
	recordGarbageCollections,
	spread,
	type GcTotals,
	type MemoryPeaks,
	type Spread,
	type TimeWindow,
} from './measure';
import { measureLedgerCost } from './ledgerCost';
import { benchEmployees, PayslipMaker, payslipSource } from './payslips';
import { runScaleScenario, runScenario, type Measurement, type Scenario, type SinkAddress, type Workload } from './scenarios';
import { speedChart } from './chart';
import { compareSenders, CONNECTIONS, SCENARIOS, summaryTable } from './compare';
import type { ProfileId } from './profiles';
import { RealN8n } from './realN8n';
import { brokerSink, RemoteSink, SmtpSink } from './smtpSink';

const RESULTS_DIR = join(PACKAGE_DIR, 'bench', 'results');
const TS_NODE = ['-r', 'ts-node/register/transpile-only'];
/** Set by --profile for its child: where to list the measured stretches of the run. */
const WINDOWS_FILE_VARIABLE = 'PAYROLL_MAIL_BENCH_WINDOWS_FILE';
const KB = 1024;
/** Busier than this before the start, the machine is shared with other work. */
const BUSY_PERCENT = 15;

const { values: args } = parseArgs({
	options: {
		scale: { type: 'boolean', default: false },
		ledger: { type: 'boolean', default: false },
		profile: { type: 'string' },
		runs: { type: 'string' },
		employees: { type: 'string', default: '300' },
		'pdf-kb': { type: 'string' },
		sizes: { type: 'string', default: '100,1000,10000' },
		'binary-mode': { type: 'string', default: 'filesystem' },
		'wait-idle': { type: 'string' },
		'no-greeting-delay': { type: 'boolean', default: false },
		quick: { type: 'boolean', default: false },
		profiles: { type: 'string', default: 'lan,internet' },
		'no-real-n8n': { type: 'boolean', default: false },
		// Internal, for a measurement process: the sink's address, and whether it is the provider.
		host: { type: 'string', default: '127.0.0.1' },
		provider: { type: 'boolean', default: false },
		'no-warm-up': { type: 'boolean', default: false },
		// Internal: one scale measurement in a process of its own.
		'scale-child': { type: 'string' },
		// Internal: one scenario measured in a process of its own, `repeat` times.
		measure: { type: 'string' },
		repeat: { type: 'string' },
	},
	strict: true,
});

function positiveInteger(name: string, text: string): number {
	const value = Number(text);
	if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number of 1 or more, not "${text}"`);
	return value;
}

const binaryMode = args['binary-mode'] as BinaryMode;
if (binaryMode !== 'filesystem' && binaryMode !== 'default') throw new Error('--binary-mode is filesystem or default');

const greetingDelay = !args['no-greeting-delay'];
const SINK = `smtp-server ${packageVersion('smtp-server')} in its own process, plain SMTP on 127.0.0.1, ${
	greetingDelay ? "greets each new connection after smtp-server's fixed 100 ms" : 'greets new connections at once (--no-greeting-delay)'
}`;

function log(line = ''): void {
	process.stdout.write(`${line}\n`);
}

function fixed(value: number, digits = 1): string {
	return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

function spreadText({ median, min, max }: Spread, digits = 1): string {
	return `${fixed(median, digits)} (${fixed(min, digits)}–${fixed(max, digits)})`;
}

function machine() {
	const cores = cpus();
	return {
		node: process.version,
		platform: `${process.platform} ${process.arch}`,
		cpus: cores.length,
		cpuModel: cores[0]?.model ?? 'unknown',
		memoryGB: Math.round(totalmem() / 1024 ** 3),
		loadAverageAtStart: loadavg().map((load) => Math.round(load * 100) / 100),
	};
}

function gitState() {
	try {
		const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PACKAGE_DIR, encoding: 'utf8' }).trim();
		const dirty = execFileSync('git', ['status', '--porcelain', '--', 'nodes', 'credentials'], { cwd: PACKAGE_DIR, encoding: 'utf8' }).trim() !== '';
		return { commit, productionCodeChanged: dirty };
	} catch {
		return { commit: 'unknown', productionCodeChanged: false };
	}
}

function writeResults(kind: string, data: object): string {
	mkdirSync(RESULTS_DIR, { recursive: true });
	const stamp = new Date().toISOString().replace(/[:.]/g, '-');
	const file = join(RESULTS_DIR, `${stamp}${kind === 'compare' ? '' : `-${kind}`}.json`);
	writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
	return file;
}

function packageVersion(name: string, fromDir = PACKAGE_DIR): string {
	const path = require.resolve(`${name}/package.json`, { paths: [fromDir] });
	return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/**
 * Two cores are easily taken by a test run elsewhere, and the figures then mean little: with
 * --wait-idle S, waits up to S seconds for the machine to be mostly idle; says how busy it was.
 */
async function warnIfBusy(): Promise<number | undefined> {
	const waitSeconds = args['wait-idle'] === undefined ? 0 : Number(args['wait-idle']);
	const deadline = Date.now() + waitSeconds * 1000;
	let busy = await MachineLoad.sample(2_000);
	for (let round = 0; busy !== undefined && busy > BUSY_PERCENT && Date.now() < deadline && round < 10_000; round++) {
		if (round === 0) log(`machine ${busy}% busy: waiting up to ${waitSeconds} s for it to be below ${BUSY_PERCENT}%`);
		busy = await MachineLoad.sample(5_000);
	}
	if (busy === undefined) return undefined;
	log(`machine busy before start: ${busy}% of all cores${busy > BUSY_PERCENT ? '  — WARNING: other work is running; figures will be low and noisy' : ''}`);
	return busy;
}

function makeWorkload(count: number, pdfBytes: number, server: SinkAddress, emailSendPackageDir: string | undefined): Workload {
	const employees = benchEmployees(count);
	const maker = new PayslipMaker(pdfBytes);
	return { employees, server, payslips: employees.map((employee) => maker.buffer(employee)), binaryMode, emailSendPackageDir };
}

// ---- npm run bench: the comparison --------------------------------------------------------

/** The sink of --scale and --profile: the LAN relay on loopback. */
const LOOPBACK: SinkAddress = { host: '127.0.0.1', provider: false };

/** The chart the README shows; the bench redraws it on every comparison. */
const CHART_FILE = join(PACKAGE_DIR, 'bench', 'speed.svg');

async function compare(): Promise<void> {
	const startedAt = new Date();
	const quick = args.quick;
	const runs = positiveInteger('runs', args.runs ?? (quick ? '1' : '3'));
	const pdfBytes = positiveInteger('pdf-kb', args['pdf-kb'] ?? '100') * KB;
	const emailSendPackageDir = emailSendPackage(PACKAGE_DIR, (line) => log(line));
	log(`Payroll Mail bench: ${runs} run(s) per profile, ${pdfBytes / KB} KB PDF, binary mode ${binaryMode}${quick ? ' (--quick)' : ''}`);
	log(`${machine().cpus} CPUs (${machine().cpuModel}), Node ${process.version}`);
	const busyBefore = await warnIfBusy();
	const { summaries, rows, realN8n } = await compareSenders({
		runs,
		quick,
		pdfBytes,
		realN8n: !args['no-real-n8n'],
		profiles: args.profiles.split(',').map((id) => id.trim() as ProfileId),
		log,
		// On the real n8n's Node, bare nodemailer is measured as the real n8n's Payroll Mail is: the
		// first sending of a fresh process, without a warm-up.
		measure: async (scenario, sink, server, count, nodeExecutable) =>
			(await measureInChild(scenario, sink, { count, pdfBytes, server, emailSendPackageDir, nodeExecutable, warmUp: !nodeExecutable }))[0],
		cpuSplit: async (scenario, sink, server, count) => profiledSplit(scenario, sink, { count, pdfBytes, server }),
		prepareRealN8n: async () => RealN8n.prepare(log),
	});
	const table = summaryTable(summaries);
	for (const line of table) log(line);
	const finishedAt = new Date();
	const durationSeconds = (finishedAt.getTime() - startedAt.getTime()) / 1000;
	const caption = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}, ${finishedAt.toISOString().slice(0, 10)}, ${machine().cpus} CPUs, medians of ${runs} run(s); ${pdfBytes / KB} KB PDF`;
	mkdirSync(dirname(CHART_FILE), { recursive: true });
	writeFileSync(CHART_FILE, speedChart(summaries, CONNECTIONS, caption));
	const file = writeResults('compare', {
		kind: 'compare',
		command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
		startedAt: startedAt.toISOString(),
		durationSeconds,
		machine: machine(),
		git: gitState(),
		machineBusyPercentBeforeStart: busyBefore,
		config: {
			pdfBytes,
			runs,
			binaryMode,
			sink: `smtp-server ${packageVersion('smtp-server')} in its own process, greets at once`,
			payrollMail: 'batchSize 0, no waits',
			emailSend: `n8n-nodes-base@${N8N_NODES_BASE_VERSION} EmailSend v2.1 with nodemailer ${packageVersion('nodemailer', emailSendPackageDir)} (engine); n8n's own in the real n8n`,
			nodemailer: `nodemailer ${packageVersion('nodemailer')} pool, maxConnections as given, attachments from memory`,
			timing: "engine: the node under test from start to end (engine hooks); real n8n: the node's executionTime in the run data; nodemailer: createTransport to close",
			realN8n,
		},
		summaries,
		measurements: rows,
	});
	log();
	log(`${durationSeconds.toFixed(0)} s; results in ${file}; chart in ${CHART_FILE}`);
}

/** Resolves once the message has left: the process exits right after its last one. */
async function sendToParent(message: object): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		if (!process.send) return reject(new Error('this process was not started by the bench'));
		process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
	});
}

interface MeasureOptions {
	count: number;
	pdfBytes: number;
	server: SinkAddress;
	emailSendPackageDir?: string;
	/** Measurements in the one process (for a profile); 1 otherwise. */
	repeat?: number;
	/** Extra flags for the measurement process, e.g. --cpu-prof. */
	execArgv?: string[];
	env?: NodeJS.ProcessEnv;
	/** The Node to measure on; the bench's own by default. */
	nodeExecutable?: string;
	/** A warm-up run first in the same process (default); without, the measured run is the process's first. */
	warmUp?: boolean;
}

/**
 * Each measurement runs in a fresh process, after a short warm-up of the same way there: what
 * one way leaves in the heap (and V8's garbage-collection limits tuned to it) must not make the
 * next one faster or slower. The parent keeps the sink process and serves its servers.
 */
async function measureInChild(scenario: Scenario, sink: SmtpSink, options: MeasureOptions): Promise<Measurement[]> {
	const forwarded = ['--measure', scenario.id, '--employees', String(options.count), '--pdf-kb', String(options.pdfBytes / KB)];
	forwarded.push('--binary-mode', binaryMode, '--repeat', String(options.repeat ?? 1), '--host', options.server.host);
	if (options.server.provider) forwarded.push('--provider');
	if (options.warmUp === false) forwarded.push('--no-warm-up');
	const child = fork(__filename, forwarded, {
		execArgv: [...TS_NODE, ...(options.execArgv ?? [])],
		env: options.env ?? process.env,
		execPath: options.nodeExecutable,
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	const results: Measurement[] = [];
	const code = await brokerSink(child, sink, (message) => results.push(message as Measurement));
	if (code !== 0 || results.length === 0) throw new Error(`measuring ${scenario.label} failed (exit code ${code})`);
	return results;
}

/** One measurement under `node --cpu-prof`: its measured stretch's main-thread CPU per mail, by owner. */
async function profiledSplit(scenario: Scenario, sink: SmtpSink, options: MeasureOptions): Promise<CpuSplit> {
	const profileDir = mkdtempSync(join(tmpdir(), 'payroll-mail-split-'));
	try {
		const windowsFile = join(profileDir, 'measured-windows.json');
		const env = { ...process.env, [WINDOWS_FILE_VARIABLE]: windowsFile };
		const [measurement] = await measureInChild(scenario, sink, { ...options, env, execArgv: ['--cpu-prof', '--cpu-prof-dir', profileDir] });
		const [name] = readdirSync(profileDir).filter((file) => file.endsWith('.cpuprofile'));
		const windows = JSON.parse(readFileSync(windowsFile, 'utf8')) as TimeWindow[];
		return cpuSplitPerMail(join(profileDir, name), PACKAGE_DIR, windows, measurement.mails);
	} finally {
		rmSync(profileDir, { recursive: true, force: true });
	}
}

/**
 * Mails sent before a measurement in the same process, so that the JIT has seen the path; fewer to
 * the Internet provider, where round trips, not the JIT, set the pace.
 */
const WARM_UP_MAILS = { lan: 100, provider: 10 };

/** In the measurement process: a warm-up run, then `repeat` measured runs, each sent to the parent. */
async function measureChild(id: string): Promise<void> {
	const scenario = SCENARIOS.find((candidate) => candidate.id === id);
	if (!scenario) throw new Error(`unknown scenario ${id}`);
	const count = positiveInteger('employees', args.employees);
	const pdfBytes = positiveInteger('pdf-kb', args['pdf-kb'] ?? '100') * KB;
	const repeat = positiveInteger('repeat', args.repeat ?? '1');
	const emailSendPackageDir = scenario.kind === 'emailSend' ? emailSendPackage(PACKAGE_DIR, (line) => log(line)) : undefined;
	const sink = new RemoteSink();
	const server = { host: args.host, provider: args.provider };
	// Loads every module and lets the JIT compile the path; not counted.
	if (!args['no-warm-up']) {
		const warmUp = Math.min(server.provider ? WARM_UP_MAILS.provider : WARM_UP_MAILS.lan, count);
		await runScenario(scenario, makeWorkload(warmUp, pdfBytes, server, emailSendPackageDir), sink);
	}
	measuredWindows.length = 0;
	const workload = makeWorkload(count, pdfBytes, server, emailSendPackageDir);
	for (let run = 0; run < repeat; run++) await sendToParent(await runScenario(scenario, workload, sink));
	const windowsFile = process.env[WINDOWS_FILE_VARIABLE];
	if (windowsFile) writeFileSync(windowsFile, JSON.stringify(measuredWindows));
}

// ---- npm run bench -- --scale: 100 → 10,000 employees ----------------------------------

interface ScaleMeasurement {
	employees: number;
	pdfBytes: number;
	inputBytes: number;
	storeSeconds: number;
	nodeSeconds: number;
	msPerMail: number;
	connections: number;
	clientCpuSeconds: number;
	machineBusyPercent?: number;
	gc?: GcTotals;
	memory: MemoryPeaks;
	/** Peak over the baseline taken as the node started (input items in place). */
	nodeRssBytes: number;
	nodeHeapBytes: number;
}

/** In the child: one Payroll Mail run of `count` employees, memory sampled while the node runs. */
async function scaleChild(count: number): Promise<void> {
	const pdfBytes = positiveInteger('pdf-kb', args['pdf-kb'] ?? '200') * KB;
	const employees = benchEmployees(count);
	const maker = new PayslipMaker(pdfBytes);
	const storeStartedAt = performance.now();
	let storeSeconds = 0;
	const source = payslipSource(employees, (employee, index) => {
		if (index === employees.length - 1) storeSeconds = (performance.now() - storeStartedAt) / 1000;
		return maker.stream(employee);
	});
	const sink = await SmtpSink.start({ greetingDelay });
	try {
		const scenario = SCENARIOS[0];
		const load = new MachineLoad();
		const measurement = await runScaleScenario(scenario, { employees, binaryMode, server: LOOPBACK }, sink, source);
		const machineBusyPercent = load.busyPercent();
		const memory = measurement.memory!;
		const result: ScaleMeasurement = {
			employees: count,
			pdfBytes,
			inputBytes: count * pdfBytes,
			storeSeconds,
			nodeSeconds: measurement.seconds,
			msPerMail: (measurement.seconds * 1000) / count,
			connections: measurement.sink.connections,
			clientCpuSeconds: measurement.clientCpuSeconds ?? Number.NaN,
			machineBusyPercent,
			gc: measurement.gc,
			memory,
			nodeRssBytes: memory.peak.rss - memory.baseline.rss,
			nodeHeapBytes: memory.peak.heapUsed - memory.baseline.heapUsed,
		};
		const windowsFile = process.env[WINDOWS_FILE_VARIABLE];
		if (windowsFile) writeFileSync(windowsFile, JSON.stringify(measuredWindows));
		await sendToParent(result);
	} finally {
		sink.stop();
	}
}

function freeDiskBytes(path: string): number {
	const stats = statfsSync(path);
	return stats.bavail * stats.bsize;
}

async function runScaleChild(count: number, pdfKb: number): Promise<ScaleMeasurement> {
	const forwarded = ['--scale-child', String(count), '--pdf-kb', String(pdfKb), '--binary-mode', binaryMode];
	if (!greetingDelay) forwarded.push('--no-greeting-delay');
	const child = fork(__filename, forwarded, {
		execArgv: TS_NODE,
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	let result: ScaleMeasurement | undefined;
	child.on('message', (message: ScaleMeasurement) => {
		result = message;
	});
	const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
	if (!result) throw new Error(`the scale run of ${count} employees failed (exit code ${code})`);
	return result;
}

async function scale(): Promise<void> {
	const startedAt = new Date();
	const sizes = args.sizes.split(',').map((size) => positiveInteger('sizes', size.trim()));
	const pdfKb = positiveInteger('pdf-kb', args['pdf-kb'] ?? '200');
	const runs = positiveInteger('runs', args.runs ?? '3');
	const largest = Math.max(...sizes) * pdfKb * KB;
	// The largest input is on disk once at a time, next to its metadata; keep 2 GB spare.
	const needed = largest * 1.1 + 2 * 1024 ** 3;
	const free = freeDiskBytes(tmpdir());
	if (binaryMode === 'filesystem' && free < needed) {
		throw new Error(`--scale needs ${megabytes(needed)} MB free under ${tmpdir()} for the stored payslips; ${megabytes(free)} MB are`);
	}
	log(`Payroll Mail scale bench: ${sizes.join(', ')} employees × ${pdfKb} KB PDF, binary mode ${binaryMode}, ${runs} run(s) each`);
	log('each run in a fresh process; memory sampled every 20 ms while the node runs, over a baseline taken as it starts');
	const busyBefore = await warnIfBusy();
	const measurements: ScaleMeasurement[] = [];
	for (const size of sizes) {
		for (let run = 1; run <= runs; run++) {
			const measurement = await runScaleChild(size, pdfKb);
			measurements.push(measurement);
			log(
				`  ${String(size).padStart(6)} employees: ${fixed(measurement.msPerMail, 3)} ms/mail (${fixed(1000 / measurement.msPerMail)} mails/s), ` +
					`node ${fixed(measurement.nodeSeconds, 1)} s, ${measurement.connections} connection(s), ` +
					`CPU ${fixed((1000 * measurement.clientCpuSeconds) / measurement.employees, 2)} ms/mail, ` +
					`GC ${fixed((measurement.gc?.pauseMs ?? Number.NaN) / measurement.employees, 2)} ms/mail (${measurement.gc?.major ?? '?'} full), ` +
					`machine ${fixed(measurement.machineBusyPercent ?? Number.NaN, 0)}% busy, ` +
					`node's own peak: RSS +${megabytes(measurement.nodeRssBytes)} MB, heap +${megabytes(measurement.nodeHeapBytes)} MB ` +
					`(input ${megabytes(measurement.inputBytes)} MB on disk; RSS ${megabytes(measurement.memory.baseline.rss)} → ${megabytes(measurement.memory.peak.rss)} MB)`,
			);
		}
	}
	const bySize = sizes.map((size) => {
		const ofSize = measurements.filter((measurement) => measurement.employees === size);
		return {
			employees: size,
			msPerMail: spread(ofSize.map((measurement) => measurement.msPerMail)),
			nodeRssMB: spread(ofSize.map((measurement) => megabytes(measurement.nodeRssBytes))),
			nodeHeapMB: spread(ofSize.map((measurement) => megabytes(measurement.nodeHeapBytes))),
			inputMB: megabytes(size * pdfKb * KB),
		};
	});
	const at = (size: number) => bySize.find((entry) => entry.employees === size);
	const growth = (at(10_000)?.msPerMail.median ?? Number.NaN) / (at(1_000)?.msPerMail.median ?? Number.NaN);
	const peakNodeRss = Math.max(...measurements.map((measurement) => megabytes(measurement.nodeRssBytes)));
	const targets = {
		'time per mail at 10,000 ≤ 1.2 × at 1,000': growth <= 1.2,
		"node's own peak RSS < 300 MB": peakNodeRss < 300,
	};
	log();
	log('  employees   ms/mail (min–max)        node RSS +MB      node heap +MB    input MB');
	for (const entry of bySize) {
		log(
			`  ${String(entry.employees).padStart(9)}   ${spreadText(entry.msPerMail, 3).padEnd(22)}  ${spreadText(entry.nodeRssMB).padEnd(16)}  ` +
				`${spreadText(entry.nodeHeapMB).padEnd(15)}  ${entry.inputMB}`,
		);
	}
	log();
	log(`  time per mail, 10,000 / 1,000: ${fixed(growth, 2)}   target ≤ 1.20`);
	log(`  node's own peak RSS, largest: ${peakNodeRss} MB   target < 300 MB`);
	for (const [target, met] of Object.entries(targets)) log(`  ${met ? 'met   ' : 'MISSED'} ${target}`);
	const finishedAt = new Date();
	const file = writeResults('scale', {
		kind: 'scale',
		command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
		startedAt: startedAt.toISOString(),
		durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
		machine: machine(),
		git: gitState(),
		machineBusyPercentBeforeStart: busyBefore,
		config: { sizes, pdfBytes: pdfKb * KB, runs, binaryMode, sink: SINK, parallelConnections: 1, sampleIntervalMs: 20 },
		bySize,
		growth10kOver1k: growth,
		targets,
		measurements,
	});
	log();
	log(`${fixed((finishedAt.getTime() - startedAt.getTime()) / 1000)} s; results in ${file}`);
}

// ---- npm run bench -- --profile <scenario>: where the time goes -------------------------

/** `--profile scale` profiles one scale run, of the first of --sizes employees. */
async function profile(id: string): Promise<void> {
	const scenario = SCENARIOS.find((candidate) => candidate.id === id);
	if (!scenario && id !== 'scale') {
		throw new Error(`--profile: unknown scenario ${id}; known: ${SCENARIOS.map((s) => s.id).join(', ')}, scale`);
	}
	const profileDir = join(RESULTS_DIR, `profile-${new Date().toISOString().replace(/[:.]/g, '-')}`);
	mkdirSync(profileDir, { recursive: true });
	const windowsFile = join(profileDir, 'measured-windows.json');
	const execArgv = ['--cpu-prof', '--cpu-prof-dir', profileDir];
	const env = { ...process.env, [WINDOWS_FILE_VARIABLE]: windowsFile };
	if (scenario) {
		const count = positiveInteger('employees', args.employees);
		const pdfBytes = positiveInteger('pdf-kb', args['pdf-kb'] ?? '100') * KB;
		const repeat = positiveInteger('runs', args.runs ?? '3');
		log(`profiling ${scenario.label}: ${repeat} runs of ${count} employees × ${pdfBytes / KB} KB in one process, into ${profileDir}`);
		const sink = await SmtpSink.start({ greetingDelay });
		try {
			const measurements = await measureInChild(scenario, sink, { count, pdfBytes, repeat, execArgv, env, server: LOOPBACK });
			for (const measurement of measurements) log(`  ${fixed(measurement.mailsPerSecond)} mails/s under the profiler`);
		} finally {
			sink.stop();
		}
	} else {
		const forwarded = ['--scale-child', args.sizes.split(',')[0].trim(), '--binary-mode', binaryMode];
		if (!greetingDelay) forwarded.push('--no-greeting-delay');
		if (args['pdf-kb']) forwarded.push('--pdf-kb', args['pdf-kb']);
		log(`profiling a scale run (${forwarded.join(' ')}) into ${profileDir}`);
		const child = fork(__filename, forwarded, { execArgv: [...TS_NODE, ...execArgv], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
		const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
		if (code !== 0) throw new Error(`the profiled run failed (exit code ${code})`);
	}
	const profiles = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
	if (!profiles.length) throw new Error('no CPU profile was written');
	const windows = JSON.parse(readFileSync(windowsFile, 'utf8')) as TimeWindow[];
	for (const name of profiles) {
		log();
		log(summarizeCpuProfile(join(profileDir, name), PACKAGE_DIR, windows));
	}
}

async function ledger(): Promise<void> {
	const costs = await measureLedgerCost();
	log('Skip Already Sent, per mail (claim, then confirm), in n8n\'s deduplication store on SQLite:');
	log('n8n        entries recorded   ms per mail   store calls per mail   ms per call');
	for (const cost of costs) {
		log(`${cost.n8n.padEnd(10)} ${String(cost.recorded).padStart(16)} ${cost.msPerMail.toFixed(1).padStart(13)} ${cost.callsPerMail.toFixed(1).padStart(22)} ${cost.msPerCall.toFixed(1).padStart(13)}`);
	}
	log(`results: ${writeResults('ledger', { git: gitState(), costs })}`);
}

async function main(): Promise<void> {
	recordGarbageCollections();
	if (args['scale-child']) return scaleChild(positiveInteger('scale-child', args['scale-child']));
	if (args.measure) return measureChild(args.measure);
	if (args.profile) return profile(args.profile);
	if (args.scale) return scale();
	if (args.ledger) return ledger();
	return compare();
}

main().then(
	() => {
		removeUserFolder();
		process.exit(0);
	},
	(error: Error) => {
		process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
		removeUserFolder();
		process.exit(1);
	},
);
