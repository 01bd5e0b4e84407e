/** Memory samples, machine load and summary statistics for the bench. */
import { readFileSync } from 'node:fs';
import { constants, PerformanceObserver } from 'node:perf_hooks';

export interface MemoryPoint {
	rss: number;
	heapUsed: number;
	external: number;
	arrayBuffers: number;
}

export interface MemoryPeaks {
	baseline: MemoryPoint;
	peak: MemoryPoint;
	samples: number;
}

function memoryPoint(): MemoryPoint {
	const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
	return { rss, heapUsed, external, arrayBuffers };
}

/**
 * Samples process.memoryUsage() every `intervalMs` (on the event loop, so a long synchronous
 * stretch of the node delays a sample but cannot hide its allocations: the next sample sees them
 * unless they were already freed) and keeps each field's peak over the baseline taken at start().
 */
export class MemorySampler {
	private timer: NodeJS.Timeout | undefined;

	private baseline: MemoryPoint | undefined;

	private peak: MemoryPoint | undefined;

	private samples = 0;

	constructor(private readonly intervalMs = 20) {}

	start(): void {
		this.baseline = memoryPoint();
		this.peak = { ...this.baseline };
		this.samples = 1;
		this.timer = setInterval(() => this.sample(), this.intervalMs);
	}

	private sample(): void {
		const point = memoryPoint();
		const peak = this.peak!;
		peak.rss = Math.max(peak.rss, point.rss);
		peak.heapUsed = Math.max(peak.heapUsed, point.heapUsed);
		peak.external = Math.max(peak.external, point.external);
		peak.arrayBuffers = Math.max(peak.arrayBuffers, point.arrayBuffers);
		this.samples += 1;
	}

	stop(): MemoryPeaks {
		if (!this.baseline || !this.peak) throw new Error('the memory sampler was not started');
		clearInterval(this.timer);
		this.sample();
		return { baseline: this.baseline, peak: this.peak, samples: this.samples };
	}
}

export interface Spread {
	median: number;
	min: number;
	max: number;
}

export function spread(values: number[]): Spread {
	if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
	return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

export const MB = 1024 * 1024;

export function megabytes(bytes: number): number {
	return Math.round((bytes / MB) * 10) / 10;
}

/** Jiffies the whole machine spent busy and in all, from /proc/stat (Linux); undefined elsewhere. */
function machineCpuTicks(): { busy: number; total: number } | undefined {
	try {
		const [line] = readFileSync('/proc/stat', 'utf8').split('\n');
		const fields = line.trim().split(/\s+/).slice(1).map(Number);
		const total = fields.reduce((sum, value) => sum + value, 0);
		// idle + iowait
		return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
	} catch {
		return undefined;
	}
}

/**
 * How busy the machine was while the bench ran, to tell a clean measurement from one that
 * shared its two cores with other work: `busyPercent` is of all cores together.
 */
export class MachineLoad {
	private readonly start = machineCpuTicks();

	/** Percent of all cores' time spent busy since construction. */
	busyPercent(): number | undefined {
		const end = machineCpuTicks();
		if (!this.start || !end || end.total === this.start.total) return undefined;
		return Math.round((1000 * (end.busy - this.start.busy)) / (end.total - this.start.total)) / 10;
	}

	/** Busy share of all cores over the next `ms` milliseconds, before anything of the bench runs. */
	static async sample(ms = 2_000): Promise<number | undefined> {
		const load = new MachineLoad();
		await new Promise((resolve) => setTimeout(resolve, ms));
		return load.busyPercent();
	}
}

/** A stretch of a measurement, on the clock V8's CPU profiles use (CLOCK_MONOTONIC, µs). */
export interface TimeWindow {
	label: string;
	startUs: number;
	endUs: number;
}

export function monotonicMicros(): number {
	return Number(process.hrtime.bigint() / 1000n);
}

/** Every measured stretch of this process, so a CPU profile can be cut down to them. */
export const measuredWindows: TimeWindow[] = [];

export interface GcTotals {
	/** Scavenges of the young generation. */
	minor: number;
	/** Mark-compacts of the whole heap. */
	major: number;
	/** Pause time of all collections on the main thread, in ms. */
	pauseMs: number;
}

const gcEntries: Array<{ start: number; end: number; major: boolean }> = [];
let gcObserver: PerformanceObserver | undefined;

/** Starts recording every garbage collection of this process (once; entries arrive asynchronously). */
export function recordGarbageCollections(): void {
	if (gcObserver) return;
	gcObserver = new PerformanceObserver((list) => {
		for (const entry of list.getEntries()) {
			const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
			gcEntries.push({ start: entry.startTime, end: entry.startTime + entry.duration, major: kind === constants.NODE_PERFORMANCE_GC_MAJOR });
		}
	});
	gcObserver.observe({ entryTypes: ['gc'] });
}

/** The collections that started between two performance.now() readings. */
export async function garbageCollectionsBetween(start: number, end: number): Promise<GcTotals> {
	// The observer is called after the collection, on a later turn of the event loop.
	await new Promise((resolve) => setTimeout(resolve, 50));
	const within = gcEntries.filter((entry) => entry.start >= start && entry.start <= end);
	return {
		minor: within.filter((entry) => !entry.major).length,
		major: within.filter((entry) => entry.major).length,
		pauseMs: Math.round(within.reduce((sum, entry) => sum + (entry.end - entry.start), 0) * 10) / 10,
	};
}
