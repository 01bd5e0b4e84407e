/**
 * Installs a package tarball into an n8n user folder the way n8n's Community Nodes installer
 * does (CommunityPackagesService.downloadPackage in n8n 1.123 and 2.41, identical there):
 *   <user folder>/.n8n/nodes/package.json          { name: 'installed-nodes', dependencies }
 *   <user folder>/.n8n/nodes/node_modules/<name>/  the tarball, unpacked with --strip-components=1
 * then the package's package.json is rewritten without devDependencies, peerDependencies and
 * optionalDependencies, and its dependencies are installed inside it with npm and n8n's flags.
 * n8n's installer gets the tarball with `npm pack <name>@<version>` from the registry; here it is
 * the tarball just packed from this repository.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { cleanEnv, npmTools, runOrThrow } from './processes';

/** Exactly the flags n8n passes to `npm install` for a community package. */
export const N8N_NPM_INSTALL_FLAGS = [
	'--audit=false',
	'--fund=false',
	'--bin-links=false',
	'--install-strategy=shallow',
	'--ignore-scripts=true',
	'--package-lock=false',
];

export interface InstalledPackage {
	name: string;
	version: string;
	directory: string;
	/** The runtime dependencies npm put into the package's own node_modules. */
	dependencies: string[];
	ms: number;
}

export async function installCommunityPackage(tarball: string, userFolder: string): Promise<InstalledPackage> {
	const started = Date.now();
	const { npmCli } = npmTools();
	const nodesFolder = join(userFolder, '.n8n', 'nodes');
	mkdirSync(nodesFolder, { recursive: true });
	const nodesPackageJson = join(nodesFolder, 'package.json');
	writeFileSync(nodesPackageJson, JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2));

	// The name decides the folder, so read it from the tarball's package.json first.
	const manifest = await runOrThrow('tar', ['-xzOf', tarball, 'package/package.json'], { cwd: nodesFolder, timeoutMs: 60_000 });
	const { name } = JSON.parse(manifest.stdout) as { name: string };

	const directory = join(nodesFolder, 'node_modules', name);
	mkdirSync(directory, { recursive: true });
	await runOrThrow('tar', ['-xzf', tarball, '-C', directory, '--strip-components=1'], { cwd: nodesFolder, timeoutMs: 60_000 });
	const packageJsonPath = join(directory, 'package.json');
	const packageJson = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as Record<string, unknown> & {
		version: string;
		dependencies?: Record<string, string>;
	};
	for (const key of ['devDependencies', 'peerDependencies', 'optionalDependencies']) delete packageJson[key];
	writeFileSync(packageJsonPath, JSON.stringify(packageJson, null, 2), 'utf8');

	await runOrThrow(process.execPath, [npmCli, 'install', ...N8N_NPM_INSTALL_FLAGS], {
		cwd: directory,
		env: cleanEnv(),
		timeoutMs: 5 * 60_000,
	});

	const nodesPackage = JSON.parse(readFileSync(nodesPackageJson, 'utf8')) as { dependencies: Record<string, string> };
	nodesPackage.dependencies[name] = packageJson.version;
	writeFileSync(nodesPackageJson, JSON.stringify(nodesPackage, null, 2), 'utf8');

	const dependencies = Object.keys(packageJson.dependencies ?? {});
	const missing = dependencies.filter((dependency) => !existsSync(join(directory, 'node_modules', dependency, 'package.json')));
	if (missing.length) throw new Error(`npm install left out ${missing.join(', ')} in ${directory}`);
	return { name, version: packageJson.version, directory, dependencies, ms: Date.now() - started };
}
