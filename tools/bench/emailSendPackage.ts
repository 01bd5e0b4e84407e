/**
 * n8n's own Send Email node (n8n-nodes-base EmailSend), for comparison only. n8n-nodes-base is
 * no dependency of this package (it is far too heavy for CI): the bench fetches its tarball from
 * the npm registry once into a cache folder outside the repository, keeps only the Send Email
 * node's module graph and the `smtp` credential type, and installs the few modules that graph
 * requires at the exact versions n8n-nodes-base pins (nodemailer 8 among them, so the node
 * sends as it does in n8n). n8n-workflow, n8n-core and @n8n/di are not installed: they resolve
 * to this project's copies, the ones the engine runs on.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { homedir } from 'node:os';
import { join, sep } from 'node:path';

export const N8N_NODES_BASE_VERSION = '2.41.2';
/** Full node type name, as n8n names it. */
export const EMAIL_SEND = 'n8n-nodes-base.emailSend';

/** What the Send Email node and the smtp credential load, transitively, inside the tarball. */
const KEPT_PATHS = [
	'package/package.json',
	'package/dist/nodes/EmailSend',
	'package/dist/nodes/Form',
	'package/dist/nodes/Webhook',
	'package/dist/utils',
	'package/dist/credentials/Smtp.credentials.js',
];

/** Modules outside n8n that the kept files require; installed at n8n-nodes-base's own versions. */
const EXTERNAL_MODULES = [
	'nodemailer',
	'@e965/xlsx',
	'@n8n/utils',
	'basic-auth',
	'iconv-lite',
	'isbot',
	'jsonwebtoken',
	'lodash',
	'luxon',
	'sanitize-html',
];

/** Shared with the engine: a second copy of any of them would be a second, foreign n8n. */
const SHARED_WITH_ENGINE = ['n8n-workflow', 'n8n-core', '@n8n/di'];

function cacheRoot(): string {
	return (
		process.env.PAYROLL_MAIL_BENCH_CACHE ??
		join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'n8n-nodes-payroll-mail-bench')
	);
}

function run(command: string, args: string[], cwd: string): string {
	return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Downloads and trims n8n-nodes-base into `target` (through a temp folder, so a half-done copy is never used). */
function fetchInto(target: string, log: (line: string) => void): void {
	const work = `${target}.partial-${process.pid}`;
	rmSync(work, { recursive: true, force: true });
	const packageDir = join(work, 'n8n-nodes-base');
	mkdirSync(packageDir, { recursive: true });
	try {
		log(`fetching n8n-nodes-base@${N8N_NODES_BASE_VERSION} (Send Email node only) into ${target}`);
		run('npm', ['pack', `n8n-nodes-base@${N8N_NODES_BASE_VERSION}`, '--silent', '--pack-destination', work], work);
		const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
		if (!tarball) throw new Error('npm pack produced no tarball');
		run('tar', ['-xzf', join(work, tarball), '-C', packageDir, '--strip-components=1', ...KEPT_PATHS], work);
		rmSync(join(work, tarball));

		const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
			dependencies: Record<string, string>;
			n8n: unknown;
		};
		const specs = EXTERNAL_MODULES.map((name) => {
			const version = manifest.dependencies[name];
			if (!version) throw new Error(`n8n-nodes-base@${N8N_NODES_BASE_VERSION} does not depend on ${name}`);
			return `${name}@${version}`;
		});
		// The modules go beside the package, where Node's resolution from its files finds them.
		writeFileSync(join(work, 'package.json'), JSON.stringify({ private: true }));
		run(
			'npm',
			['install', '--ignore-scripts', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', work, ...specs],
			work,
		);
		// Only the Send Email node and its credential are announced to the loader.
		manifest.n8n = {
			nodes: ['dist/nodes/EmailSend/EmailSend.node.js'],
			credentials: ['dist/credentials/Smtp.credentials.js'],
		};
		writeFileSync(join(packageDir, 'package.json'), JSON.stringify(manifest, null, '\t'));
		rmSync(target, { recursive: true, force: true });
		renameSync(work, target);
	} catch (error) {
		rmSync(work, { recursive: true, force: true });
		throw error;
	}
}

let resolutionPatched = false;

/**
 * Makes `require('n8n-workflow')` (and n8n-core, @n8n/di) from inside the cache resolve to the
 * copies the engine uses, so errors, versioned node types and the DI container are one and the
 * same. Everything else resolves as Node would.
 */
function shareEngineModules(cacheDir: string, projectDir: string): void {
	if (resolutionPatched) return;
	resolutionPatched = true;
	const n8nCore = require.resolve('n8n-core', { paths: [projectDir] });
	const resolveFrom: Record<string, string> = {
		'n8n-workflow': projectDir,
		'n8n-core': projectDir,
		// The engine's container is n8n-core's own copy of @n8n/di (see test/harness/container.ts).
		'@n8n/di': n8nCore,
	};
	const internals = Module as unknown as {
		_resolveFilename(request: string, parent: { filename?: string } | undefined, ...rest: unknown[]): string;
	};
	const original = internals._resolveFilename.bind(Module);
	const prefix = cacheDir + sep;
	internals._resolveFilename = (request, parent, ...rest) => {
		const shared = SHARED_WITH_ENGINE.find((name) => request === name || request.startsWith(`${name}/`));
		if (shared && parent?.filename?.startsWith(prefix)) {
			return require.resolve(request, { paths: [resolveFrom[shared]] });
		}
		return original(request, parent, ...rest);
	};
}

/**
 * The directory of a package that holds n8n's Send Email node (`n8n-nodes-base.emailSend`) and
 * the `smtp` credential type, ready for the engine's package loader; fetched on first use.
 */
export function emailSendPackage(projectDir: string, log: (line: string) => void): string {
	const cacheDir = join(cacheRoot(), `n8n-nodes-base-${N8N_NODES_BASE_VERSION}`);
	const packageDir = join(cacheDir, 'n8n-nodes-base');
	if (!existsSync(join(packageDir, 'package.json'))) fetchInto(cacheDir, log);
	shareEngineModules(cacheDir, projectDir);
	return packageDir;
}
