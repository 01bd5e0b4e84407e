/**
 * Reads a `node --cpu-prof` profile and says where the time went: by module (our code,
 * nodemailer, n8n, Node itself, GC), the hottest functions by self time, and this package's
 * functions by total time, with compiled dist/ positions mapped back to the TypeScript source.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relative, sep } from 'node:path';

import type { TimeWindow } from './measure';

interface CallFrame {
	functionName: string;
	url: string;
	/** 0-based. */
	lineNumber: number;
	columnNumber: number;
}

interface ProfileNode {
	id: number;
	callFrame: CallFrame;
	children?: number[];
}

interface CpuProfile {
	nodes: ProfileNode[];
	samples: number[];
	timeDeltas: number[];
	startTime: number;
	endTime: number;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decodes a source map's `mappings` into, per generated line, [generated column, source index, source line][]. */
function decodeMappings(mappings: string): Array<Array<[number, number, number]>> {
	const lines: Array<Array<[number, number, number]>> = [];
	let source = 0;
	let sourceLine = 0;
	for (const line of mappings.split(';')) {
		const segments: Array<[number, number, number]> = [];
		let column = 0;
		for (const segment of line.split(',')) {
			if (!segment) continue;
			const fields: number[] = [];
			let value = 0;
			let shift = 0;
			for (const char of segment) {
				const digit = BASE64.indexOf(char);
				value += (digit & 31) << shift;
				if (digit & 32) {
					shift += 5;
				} else {
					fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
					value = 0;
					shift = 0;
				}
			}
			column += fields[0];
			if (fields.length >= 4) {
				source += fields[1];
				sourceLine += fields[2];
				segments.push([column, source, sourceLine]);
			}
		}
		lines.push(segments);
	}
	return lines;
}

interface SourceMap {
	sources: string[];
	lines: Array<Array<[number, number, number]>>;
}

const sourceMaps = new Map<string, SourceMap | null>();

/** `dist/nodes/X.js:10` → `nodes/X.ts:12` through the build's source map, when there is one. */
function originalPosition(file: string, line: number, column: number, packageDir: string): string {
	let map = sourceMaps.get(file);
	if (map === undefined) {
		map = null;
		if (existsSync(`${file}.map`)) {
			const raw = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[]; mappings: string };
			map = { sources: raw.sources, lines: decodeMappings(raw.mappings) };
		}
		sourceMaps.set(file, map);
	}
	const fallback = `${relative(packageDir, file)}:${line + 1}`;
	const segments = map?.lines[line];
	if (!map || !segments?.length) return fallback;
	let best = segments[0];
	for (const segment of segments) if (segment[0] <= column) best = segment;
	const sourcePath = map.sources[best[1]];
	const sourceFile = sourcePath ? relative(packageDir, new URL(sourcePath, `file://${file}`).pathname) : fallback;
	return `${sourceFile}:${best[2] + 1}`;
}

function fileOf(url: string): string {
	return url.startsWith('file://') ? fileURLToPath(url) : url;
}

function moduleOf(frame: CallFrame, packageDir: string): string {
	const { url, functionName } = frame;
	if (!url) return functionName.startsWith('(') ? functionName : '(native)';
	if (url.startsWith('node:')) return 'node (built-in)';
	const file = fileOf(url);
	const nodeModules = `${sep}node_modules${sep}`;
	const at = file.lastIndexOf(nodeModules);
	if (at >= 0) {
		const rest = file.slice(at + nodeModules.length).split(sep);
		const name = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
		// This package as n8n installed it, in a real n8n.
		if (name === 'n8n-nodes-payroll-mail') return 'Payroll Mail (our code)';
		return file.includes('n8n-nodes-payroll-mail-bench') ? `${name} (Send Email's)` : name;
	}
	if (file.includes('n8n-nodes-payroll-mail-bench')) return 'n8n-nodes-base';
	if (file.startsWith(packageDir + sep)) {
		const inside = relative(packageDir, file);
		if (inside.startsWith(`dist${sep}nodes`) || inside.startsWith(`nodes${sep}`)) return 'Payroll Mail (our code)';
		if (inside.startsWith(`test${sep}`)) return 'bench/test code';
		return inside.split(sep)[0];
	}
	return file;
}

function describe(frame: CallFrame, packageDir: string): string {
	const name = frame.functionName || '(anonymous)';
	if (!frame.url) return name;
	const file = fileOf(frame.url);
	if (file.startsWith(packageDir + sep) && !file.includes(`${sep}node_modules${sep}`)) {
		return `${name}  ${originalPosition(file, frame.lineNumber, frame.columnNumber, packageDir)}`;
	}
	const at = file.lastIndexOf(`${sep}node_modules${sep}`);
	const shown = at >= 0 ? file.slice(at + 14) : frame.url;
	return `${name}  ${shown}:${frame.lineNumber + 1}`;
}

function percent(part: number, whole: number): string {
	return `${((100 * part) / whole).toFixed(1).padStart(5)}%`;
}

/**
 * A plain-text report of one profile; with `windows`, only of the samples taken inside them
 * (the measured runs, without start-up, warm-up and input preparation).
 */
export function summarizeCpuProfile(path: string, packageDir: string, windows?: TimeWindow[], top = 25): string {
	const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const parent = new Map<number, number>();
	for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

	const self = new Map<number, number>();
	let timestamp = profile.startTime;
	profile.samples.forEach((id, index) => {
		const delta = profile.timeDeltas[index] ?? 0;
		timestamp += delta;
		if (windows && !windows.some((window) => timestamp >= window.startUs && timestamp <= window.endUs)) return;
		self.set(id, (self.get(id) ?? 0) + delta);
	});
	const total = [...self.values()].reduce((sum, time) => sum + time, 0);
	const idle = [...self.entries()].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((sum, [, time]) => sum + time, 0);
	const busy = total - idle;

	const selfByFunction = new Map<string, number>();
	const selfByModule = new Map<string, number>();
	const totalByOurFunction = new Map<string, number>();
	for (const [id, time] of self) {
		const frame = byId.get(id)!.callFrame;
		if (frame.functionName === '(idle)') continue;
		const key = `${describe(frame, packageDir)}   [${moduleOf(frame, packageDir)}]`;
		selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + time);
		const module = moduleOf(frame, packageDir);
		selfByModule.set(module, (selfByModule.get(module) ?? 0) + time);
		// Total (inclusive) time of our functions on the stack, each counted once per sample.
		const seen = new Set<string>();
		for (let at: number | undefined = id, depth = 0; at !== undefined && depth < 500; at = parent.get(at), depth++) {
			const stackFrame = byId.get(at)!.callFrame;
			if (moduleOf(stackFrame, packageDir) !== 'Payroll Mail (our code)') continue;
			const name = describe(stackFrame, packageDir);
			if (seen.has(name)) continue;
			seen.add(name);
			totalByOurFunction.set(name, (totalByOurFunction.get(name) ?? 0) + time);
		}
	}

	const sorted = (map: Map<string, number>) => [...map.entries()].sort((a, b) => b[1] - a[1]);
	const ms = (time: number) => `${(time / 1000).toFixed(0).padStart(6)} ms`;
	const lines = [
		`CPU profile ${path}`,
		windows ? `  only the ${windows.length} measured runs (${windows.map((window) => window.label).filter((label, index, all) => all.indexOf(label) === index).join(', ')})` : '  the whole process',
		`  ${ms(total)} sampled, ${ms(busy)} busy (${percent(busy, total)}), ${ms(idle)} idle`,
		'',
		'  self time by module (share of busy time):',
		...sorted(selfByModule).slice(0, 15).map(([module, time]) => `    ${ms(time)} ${percent(time, busy)}  ${module}`),
		'',
		`  top ${top} functions by self time:`,
		...sorted(selfByFunction).slice(0, top).map(([name, time]) => `    ${ms(time)} ${percent(time, busy)}  ${name}`),
		'',
		'  Payroll Mail functions by total time (self + callees):',
		...sorted(totalByOurFunction).slice(0, top).map(([name, time]) => `    ${ms(time)} ${percent(time, busy)}  ${name}`),
	];
	return lines.join('\n');
}

/** Main-thread CPU per mail of a measured run, split by whose code it is, in ms. */
export interface CpuSplit {
	/** Samples under n8n's getNodeParameter: evaluating the node's parameters for an item. */
	n8nExpressions: number;
	/** Samples under n8n's binary helpers (getBinaryDataBuffer, …) and its store's file reads. */
	binaryReads: number;
	/** Payroll Mail's own code, and Node's built-ins it calls, outside the two above. */
	payrollMail: number;
	/** nodemailer, and Node's built-ins it calls: under Payroll Mail as its transport, or alone. */
	nodemailer: number;
	/** Garbage collection, whoever allocated. */
	gc: number;
	/** n8n's engine around the node, event-loop plumbing and code of no one above. */
	other: number;
}

/** V8 names an arrow function after the property it is assigned to, sometimes with its class in front. */
const N8N_PARAMETERS = /(^|\.)_?getNodeParameter$/;
const N8N_BINARY_HELPERS = /(^|\.)(getBinaryDataBuffer|getBinaryStream|getBinaryMetadata|assertBinaryData|getBinaryPath)$/;

/**
 * Where each measured main-thread sample went, by the frames on its stack (not only its own):
 * a sample under getNodeParameter is n8n's expression evaluation, one under a binary helper is
 * n8n's binary read, even when the innermost frame is Node's or nodemailer's; the rest belongs to
 * the code it runs in. Work on other threads (file reads in libuv's pool, GC helpers) is in no
 * sample: the process's CPU per mail, beside it, includes it.
 */
export function cpuSplitPerMail(path: string, packageDir: string, windows: TimeWindow[], mails: number): CpuSplit {
	const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const parent = new Map<number, number>();
	for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
	const categoryOf = new Map<number, keyof CpuSplit | 'idle'>();
	const categorize = (id: number): keyof CpuSplit | 'idle' => {
		const leaf = byId.get(id)!.callFrame.functionName;
		if (leaf === '(idle)') return 'idle';
		if (leaf === '(garbage collector)') return 'gc';
		let owner: keyof CpuSplit = 'other';
		for (let at: number | undefined = id, depth = 0; at !== undefined && depth < 500; at = parent.get(at), depth++) {
			const frame = byId.get(at)!.callFrame;
			const module = moduleOf(frame, packageDir);
			if ((module === 'n8n-core' || module === 'n8n-workflow') && N8N_PARAMETERS.test(frame.functionName)) return 'n8nExpressions';
			if (module === 'n8n-core' && N8N_BINARY_HELPERS.test(frame.functionName)) return 'binaryReads';
			// A file read's later steps run from the event loop, without the helper on the stack;
			// neither the node nor nodemailer reads files here, n8n's binary store does.
			if (module === '@n8n/blob-storage' || frame.url === 'node:internal/fs/promises') return 'binaryReads';
			// The innermost of our code and nodemailer decides (nodemailer composing a mail the node
			// handed it is nodemailer's), unless n8n's helpers are further out; in the bare run the
			// bench's own calls into nodemailer are nodemailer's too.
			if (owner !== 'other') continue;
			if (module === 'Payroll Mail (our code)') owner = 'payrollMail';
			else if (module === 'nodemailer' || frame.functionName === 'runNodemailerScenario') owner = 'nodemailer';
		}
		return owner;
	};
	const split: CpuSplit = { n8nExpressions: 0, binaryReads: 0, payrollMail: 0, nodemailer: 0, gc: 0, other: 0 };
	let timestamp = profile.startTime;
	profile.samples.forEach((id, index) => {
		timestamp += profile.timeDeltas[index] ?? 0;
		if (!windows.some((window) => timestamp >= window.startUs && timestamp <= window.endUs)) return;
		if (!categoryOf.has(id)) categoryOf.set(id, categorize(id));
		const category = categoryOf.get(id)!;
		if (category !== 'idle') split[category] += profile.timeDeltas[index] ?? 0;
	});
	for (const key of Object.keys(split) as Array<keyof CpuSplit>) split[key] = split[key] / 1000 / mails;
	return split;
}
