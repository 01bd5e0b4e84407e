/**
 * `npm run bench`: Payroll Mail next to bare nodemailer at the same number of connections and next
 * to n8n's Send Email, in both profiles (LAN relay, Internet provider), all in the same run: in
 * n8n's engine in this process (each measurement in a fresh process), and inside a real n8n.
 */
import type { CpuSplit } from './cpuProfileSummary';
import { spread, type Spread } from './measure';
import { profiles, ProfileUnavailable, startProfileServer, type Profile, type ProfileId, type ProfileServer } from './profiles';
import { realId, type RealN8n, type RealSender } from './realN8n';
import type { Measurement, Scenario, SinkAddress } from './scenarios';
import type { SmtpSink } from './smtpSink';

export const CONNECTIONS = [1, 3, 5, 10];

export const SCENARIOS: Scenario[] = [
	...CONNECTIONS.flatMap((connections): Scenario[] => [
		{ id: `payrollMail-${connections}`, kind: 'payrollMail', label: `Payroll Mail, ${connections} connection(s)`, connections },
		{ id: `nodemailer-${connections}`, kind: 'nodemailer', label: `bare nodemailer pool, ${connections} connection(s)`, connections },
	]),
	{ id: 'emailSend', kind: 'emailSend', label: 'n8n Send Email v2.1 (one connection per mail)', connections: 1 },
];

export interface CompareOptions {
	runs: number;
	quick: boolean;
	pdfBytes: number;
	/** Skips the real n8n (--no-real-n8n). */
	realN8n: boolean;
	/** The profiles to measure (--profiles), all by default. */
	profiles?: ProfileId[];
	log(line?: string): void;
	/** One measurement in a fresh process, on `nodeExecutable` if given (else the bench's own Node). */
	measure(scenario: Scenario, sink: SmtpSink, server: SinkAddress, employees: number, nodeExecutable?: string): Promise<Measurement>;
	/** One more run of the scenario under V8's profiler: its main-thread CPU per mail, by whose code it is. */
	cpuSplit(scenario: Scenario, sink: SmtpSink, server: SinkAddress, employees: number): Promise<CpuSplit>;
	prepareRealN8n(): Promise<RealN8n>;
}

/**
 * Where a sender ran: n8n's engine in the bench's process (bare nodemailer: the bench's Node; both
 * after a warm-up), a real n8n (`n8n execute`: a fresh process), or, for bare nodemailer, the real
 * n8n's Node outside n8n: the peer of the real n8n's Payroll Mail, on the same runtime and likewise
 * the first sending of a fresh process.
 */
export type Place = 'engine' | 'realN8n' | 'n8nNode';

type Row = Measurement & { run: number; profile: ProfileId; place: Place; logins: number };

export interface ProfileSummary {
	profile: ProfileId;
	label: string;
	employees: number;
	skipped?: string;
	/** How the Internet provider's round trip was made. */
	delay?: string;
	senders: Array<{
		scenario: string;
		place: Place;
		connections: number;
		mailsPerSecond: Spread;
		connectionsOpened: Spread;
		logins: Spread;
		/** CPU of the sending process per mail (engine only: n8n's own process is not measured from here). */
		cpuMsPerMail: Spread;
	}>;
	/**
	 * Main-thread CPU per mail by whose code it is, from a profiled extra run in the engine and, for
	 * Payroll Mail, inside the real n8n (the profiler slows it a little; the shares, not the speed,
	 * are what it is for).
	 */
	cpuSplits?: Array<{ scenario: string; place: 'engine' | 'realN8n' } & CpuSplit>;
	/** Payroll Mail / bare nodemailer at equal connections, and / Send Email; engine and real n8n. */
	ratios: Array<{
		connections: number;
		place: 'engine' | 'realN8n';
		overNodemailer: number;
		/** Payroll Mail / nodemailer of each run's pair, measured one right after the other: how far one pair strays. */
		pairs: number[];
		overEmailSend: number;
	}>;
}

/** Groups rotated from run to run, each group's order swapped every other run: no way is always first. */
function rotated<T>(groups: T[][], run: number): T[] {
	const order = groups.map((_, index) => groups[(index + run - 1) % groups.length]);
	return order.flatMap((group) => (run % 2 === 0 ? [...group].reverse() : group));
}

const scenarioById = (id: string) => SCENARIOS.find((candidate) => candidate.id === id)!;

/** The order of a run in the engine: each Payroll Mail way right next to the nodemailer way it is compared with. */
function runOrder(run: number): Scenario[] {
	return rotated([...CONNECTIONS.map((connections) => [scenarioById(`payrollMail-${connections}`), scenarioById(`nodemailer-${connections}`)]), [scenarioById('emailSend')]], run);
}

/** A step of a run's real-n8n part: a sender inside the real n8n, or bare nodemailer on the real n8n's Node. */
type RealStep = { sender: RealSender } | { peer: Scenario };

/** Profiled for the CPU split: one connection, where the CPU sets the pace, and three. */
const SPLIT_SCENARIOS = ['payrollMail-1', 'nodemailer-1', 'payrollMail-3', 'nodemailer-3'];

const REAL_SENDERS: RealSender[] = [...CONNECTIONS.map((connections): RealSender => ({ kind: 'payrollMail', connections })), { kind: 'emailSend', connections: 0 }];

/**
 * The order of a run's real-n8n part: each Payroll Mail right next to its peer at the same
 * connections, as in the engine. The machine's load drifts over minutes; measured a minute apart,
 * the two would be compared under different loads.
 */
function realRunOrder(run: number): RealStep[] {
	const groups = REAL_SENDERS.map((sender): RealStep[] =>
		sender.kind === 'payrollMail' ? [{ sender }, { peer: scenarioById(`nodemailer-${sender.connections}`) }] : [{ sender }],
	);
	return rotated(groups, run);
}

/** A port for the real n8n's sink: the workflows are saved once per profile with it. */
const realSinkPort = () => 20_000 + Math.floor(Math.random() * 20_000);

/** Measures every sender in the profile; says how its round trip was made. */
async function measureProfile(
	profile: Profile,
	options: CompareOptions,
	real: RealN8n | undefined,
	rows: Row[],
): Promise<Pick<ProfileSummary, 'delay' | 'cpuSplits'>> {
	const { log } = options;
	const server = await startProfileServer(profile);
	if (server.delay) log(`  round trip: ${server.delay}`);
	const port = realSinkPort();
	const cpuSplits: ProfileSummary['cpuSplits'] = [];
	try {
		log(`  CPU split: ${SPLIT_SCENARIOS.join(', ')} once more each, under V8's profiler`);
		for (const id of SPLIT_SCENARIOS) {
			cpuSplits.push({ scenario: id, place: 'engine', ...(await options.cpuSplit(scenarioById(id), server.sink, server.address, profile.employees)) });
		}
		for (let run = 1; run <= options.runs; run++) {
			for (const scenario of runOrder(run)) rows.push(await measureAlone(scenario, 'engine', server, options, profile, run));
			if (!real) continue;
			if (run === 1) {
				await real.save(REAL_SENDERS, server.address, port, profile.employees, options.pdfBytes);
				for (const sender of REAL_SENDERS.filter((candidate) => SPLIT_SCENARIOS.includes(realId(candidate)))) {
					await server.sink.open(port);
					const split = await real.cpuSplit(sender, profile.employees);
					await server.sink.close();
					cpuSplits.push({ scenario: realId(sender), place: 'realN8n', ...split });
				}
			}
			for (const step of realRunOrder(run)) {
				rows.push('sender' in step ? await measureReal(real, step.sender, server, port, profile, run, log) : await measureAlone(step.peer, 'n8nNode', server, options, profile, run, real));
			}
		}
	} finally {
		server.stop();
	}
	return { delay: server.delay, cpuSplits };
}

/** One run of a sender's workflow in the real n8n; its time is the node's own from the run data. */
async function measureReal(real: RealN8n, sender: RealSender, server: ProfileServer, port: number, profile: Profile, run: number, log: CompareOptions['log']): Promise<Row> {
	await server.sink.open(port);
	const result = await real.run(sender);
	const { arrivals, ...sink } = await server.sink.close();
	if (result.sent !== profile.employees || sink.messages !== profile.employees) {
		throw new Error(`real n8n, ${realId(sender)}: ${result.sent} sent, ${result.failed} failed, ${sink.messages} at the sink of ${profile.employees}`);
	}
	const mails = profile.employees;
	log(
		`  ${profile.id} run ${run} real n8n  ${realId(sender).padEnd(46)} ${(mails / result.nodeSeconds).toFixed(1).padStart(7)} mails/s  ` +
			`${String(sink.connections).padStart(3)} conn  ${String(sink.logins).padStart(3)} logins`,
	);
	return {
		scenario: realId(sender),
		mails,
		seconds: result.nodeSeconds,
		mailsPerSecond: mails / result.nodeSeconds,
		arrivalSpanSeconds: arrivals.length > 1 ? (arrivals[arrivals.length - 1] - arrivals[0]) / 1000 : 0,
		sink,
		run,
		profile: profile.id,
		place: 'realN8n',
		logins: sink.logins,
	};
}

/**
 * One measurement in a process of its own: in the engine (Payroll Mail, Send Email, bare nodemailer
 * on the bench's Node) or, for the real n8n's Payroll Mail's peer, bare nodemailer on `real`'s Node.
 */
async function measureAlone(scenario: Scenario, place: 'engine' | 'n8nNode', server: ProfileServer, options: CompareOptions, profile: Profile, run: number, real?: RealN8n): Promise<Row> {
	const measurement = await options.measure(scenario, server.sink, server.address, profile.employees, real?.node.bin);
	options.log(
		`  ${profile.id} run ${run} ${place === 'engine' ? 'engine    ' : "n8n's Node"} ${scenario.label.padEnd(46)} ${measurement.mailsPerSecond.toFixed(1).padStart(7)} mails/s  ` +
			`${String(measurement.sink.connections).padStart(3)} conn  ${String(measurement.sink.logins).padStart(3)} logins  ` +
			`${((1000 * (measurement.clientCpuSeconds ?? Number.NaN)) / measurement.mails).toFixed(2)} CPU ms/mail  machine ${measurement.machineBusyPercent ?? '?'}% busy`,
	);
	return { ...measurement, run, profile: profile.id, place, logins: measurement.sink.logins };
}

function summarizeProfile(profile: Profile, rows: Row[]): ProfileSummary {
	const of = (place: Row['place'], scenario: string) => rows.filter((row) => row.profile === profile.id && row.place === place && row.scenario === scenario);
	const senders = (['engine', 'realN8n', 'n8nNode'] as const).flatMap((place) =>
		SCENARIOS.map((scenario) => ({ scenario, place, measured: of(place, scenario.id) }))
			.filter(({ measured }) => measured.length > 0)
			.map(({ scenario, place: where, measured }) => ({
				scenario: scenario.id,
				place: where,
				connections: scenario.kind === 'emailSend' ? Number.NaN : scenario.connections,
				mailsPerSecond: spread(measured.map((row) => row.mailsPerSecond)),
				connectionsOpened: spread(measured.map((row) => row.sink.connections)),
				logins: spread(measured.map((row) => row.logins)),
				cpuMsPerMail: spread(measured.map((row) => (1000 * (row.clientCpuSeconds ?? Number.NaN)) / row.mails)),
			})),
	);
	const median = (place: Row['place'], scenario: string) => senders.find((sender) => sender.place === place && sender.scenario === scenario)?.mailsPerSecond.median ?? Number.NaN;
	const ratios = (['engine', 'realN8n'] as const).flatMap((place) =>
		CONNECTIONS.map((connections) => {
			// nodemailer alone runs in no n8n: the real n8n's Payroll Mail is set against the same run's
			// bare pool on the real n8n's Node, where it was measured.
			const peerPlace = place === 'realN8n' ? 'n8nNode' : 'engine';
			const pairs = of(place, `payrollMail-${connections}`).flatMap(({ run, mailsPerSecond }) =>
				of(peerPlace, `nodemailer-${connections}`)
					.filter((peer) => peer.run === run)
					.map((peer) => mailsPerSecond / peer.mailsPerSecond),
			);
			return {
				connections,
				place,
				overNodemailer: median(place, `payrollMail-${connections}`) / median(peerPlace, `nodemailer-${connections}`),
				pairs,
				overEmailSend: median(place, `payrollMail-${connections}`) / median(place, 'emailSend'),
			};
		}).filter((ratio) => Number.isFinite(ratio.overNodemailer)),
	);
	return { profile: profile.id, label: profile.label, employees: profile.employees, senders, ratios };
}

export async function compareSenders(options: CompareOptions): Promise<{ summaries: ProfileSummary[]; rows: Row[]; realN8n?: string }> {
	const { log } = options;
	const real = options.realN8n ? await options.prepareRealN8n() : undefined;
	const rows: Row[] = [];
	const summaries: ProfileSummary[] = [];
	try {
		for (const profile of profiles(options.quick).filter(({ id }) => !options.profiles || options.profiles.includes(id))) {
			log();
			log(`${profile.label}: ${profile.employees} employees × ${options.pdfBytes / 1024} KB PDF, ${options.runs} run(s)`);
			try {
				const measured = await measureProfile(profile, options, real, rows);
				summaries.push({ ...summarizeProfile(profile, rows), ...measured });
			} catch (error) {
				if (!(error instanceof ProfileUnavailable)) throw error;
				log(`  SKIPPED: ${error.message}`);
				summaries.push({ profile: profile.id, label: profile.label, employees: profile.employees, skipped: error.message, senders: [], ratios: [] });
			}
		}
	} finally {
		real?.remove();
	}
	return { summaries, rows, realN8n: real?.description };
}

/** The table the bench prints, and the README shows. */
export function summaryTable(summaries: ProfileSummary[]): string[] {
	const lines: string[] = [];
	const text = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
	for (const summary of summaries) {
		lines.push('', `${summary.label}, ${summary.employees} employees${summary.skipped ? `: SKIPPED (${summary.skipped})` : ''}`);
		if (summary.skipped) continue;
		lines.push('  sender                         where      mails/s (min–max)      connections  logins  CPU ms/mail');
		for (const sender of summary.senders) {
			const { median, min, max } = sender.mailsPerSecond;
			lines.push(
				`  ${sender.scenario.padEnd(30)} ${sender.place.padEnd(9)}  ${`${text(median)} (${text(min)}–${text(max)})`.padEnd(22)} ${text(sender.connectionsOpened.median, 0).padStart(11)}  ` +
					`${text(sender.logins.median, 0).padStart(6)}  ${text(sender.cpuMsPerMail.median, 2).padStart(11)}`,
			);
		}
		lines.push('  connections  where      Payroll Mail / nodemailer (each run\'s pair)   Payroll Mail / Send Email');
		for (const ratio of summary.ratios) {
			const pairs = `(${ratio.pairs.map((pair) => text(pair, 2)).join(' ')})`;
			lines.push(`  ${String(ratio.connections).padStart(11)}  ${ratio.place.padEnd(9)}  ${`${text(ratio.overNodemailer, 2)} ${pairs}`.padStart(39)}   ${text(ratio.overEmailSend, 2).padStart(25)}`);
		}
		if (!summary.cpuSplits?.length) continue;
		lines.push('  main-thread CPU ms/mail (profiled run):');
		lines.push('  sender            where      node code  nodemailer  n8n expressions  binary reads     GC  other   total');
		for (const { scenario, place, ...split } of summary.cpuSplits) {
			const total = Object.values(split).reduce((sum, value) => sum + value, 0);
			const cells = [split.payrollMail, split.nodemailer, split.n8nExpressions, split.binaryReads, split.gc, split.other, total];
			const widths = [9, 10, 15, 12, 6, 5, 7];
			lines.push(`  ${scenario.padEnd(16)}  ${place.padEnd(9)}  ${cells.map((value, index) => text(value, 2).padStart(widths[index])).join('  ')}`);
		}
	}
	return lines;
}
