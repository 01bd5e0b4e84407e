/**
 * `npm run test:n8n`: proves the package works in real n8n installs, one per target in
 * targets.ts (n8n 2.x on Node 24, n8n 1.x on the system Node 20).
 *
 *   npm run test:n8n                 every target
 *   npm run test:n8n -- 1.x          only the targets named (or with that n8n version)
 *   npm run test:n8n -- --keep       keep the temporary user folders and n8n logs
 *   npm run test:n8n -- --scaling    only the 2.x scaling checks (queueMode.ts)
 *
 * Builds and packs this repository, then per target: Node and n8n from the cache (installed on
 * first use), the tarball installed as n8n's Community Nodes installer does, n8n started on
 * loopback with an SMTP server next to it, checks through the REST API and `n8n execute`.
 * Exits with 1 unless every check of every target passed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { cacheRoot } from './cache';
import { atExit, cleanEnv, npmTools, runOrThrow } from './processes';
import { say, type TargetReport } from './report';
import { runScalingChecks } from './queueMode';
import { runTarget } from './scenario';
import { targets } from './targets';

const repository = resolve(__dirname, '..', '..');

function sayError(text: unknown): void {
	process.stderr.write(`${text instanceof Error ? (text.stack ?? text.message) : String(text)}\n`);
}

async function buildAndPack(workDir: string): Promise<{ tarball: string; seconds: number }> {
	const started = Date.now();
	const { npmCli } = npmTools();
	const options = { cwd: repository, env: cleanEnv(), timeoutMs: 10 * 60_000 };
	await runOrThrow(process.execPath, [npmCli, 'run', 'build', '--silent'], options);
	const packed = await runOrThrow(process.execPath, [npmCli, 'pack', '--json', '--pack-destination', workDir], options);
	const [{ filename }] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
	return { tarball: join(workDir, filename), seconds: (Date.now() - started) / 1000 };
}

async function main(): Promise<number> {
	const args = process.argv.slice(2);
	const keep = args.includes('--keep');
	const scalingOnly = args.includes('--scaling');
	const wanted = args.filter((arg) => !arg.startsWith('--'));
	const chosen = wanted.length
		? targets.filter((target) => wanted.some((want) => want === target.name || target.n8nVersion.startsWith(want)))
		: targets;
	if (!chosen.length) {
		sayError(`No target matches ${wanted.join(' ')}; targets: ${targets.map((t) => `${t.name} (${t.n8nVersion})`).join(', ')}`);
		return 2;
	}

	const started = Date.now();
	const workDir = mkdtempSync(join(tmpdir(), 'payroll-mail-n8n-run-'));
	// The user folders live in here: gone at the end, also after Ctrl-C or a failure.
	if (!keep) atExit(() => rmSync(workDir, { recursive: true, force: true }));
	say(`Checking the package in real n8n: ${chosen.map((target) => `n8n ${target.n8nVersion}`).join(', ')}`);
	say(`cache: ${cacheRoot}   work folder: ${workDir}`);
	const reports: TargetReport[] = [];
	try {
		const { tarball, seconds } = await buildAndPack(workDir);
		say(`built and packed ${tarball} in ${seconds.toFixed(1)} s`);
		for (const target of chosen) {
			if (!scalingOnly) {
				say(`\n-- n8n ${target.n8nVersion}: running`);
				const report = await runTarget(target, tarball, workDir, keep);
				report.print();
				reports.push(report);
			}
			// Queue mode exists in 1.x too, but the package's scaling is checked on the n8n a bureau installs today.
			if (target.name === '2.x') {
				say(`\n-- n8n ${target.n8nVersion} at scale: queue mode (PostgreSQL, Redis, main and 2 workers) and regular mode`);
				const scaling = await runScalingChecks(target, tarball, workDir, keep);
				scaling.print();
				reports.push(scaling);
			}
		}
	} catch (error) {
		sayError(`\nFAILED before any n8n ran: ${error instanceof Error ? error.message : String(error)}`);
		return 1;
	}

	const line = '='.repeat(78);
	say(`\n${line}`);
	for (const report of reports) {
		const passed = report.checks.filter((check) => check.ok).length;
		say(
			`${report.passed ? 'PASSED' : 'FAILED'}  ${report.title} on Node ${report.nodeVersion}: ${passed}/${report.checks.length} checks`,
		);
	}
	const expected = (scalingOnly ? 0 : chosen.length) + chosen.filter((target) => target.name === '2.x').length;
	const allPassed = expected > 0 && reports.length === expected && reports.every((report) => report.passed);
	say(`${allPassed ? 'All' : 'NOT all'} n8n versions passed, in ${((Date.now() - started) / 1000).toFixed(0)} s`);
	return allPassed ? 0 : 1;
}

main().then(
	(code) => process.exit(code),
	(error: unknown) => {
		sayError(error);
		process.exit(1);
	},
);
