import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The shape of the product code, checked on every run: the data flows input → compose → plan →
 * send → result, transports beside compose, with no import running back up and no cycle.
 */
const ROOT = join(__dirname, '..');
const NODE = join(ROOT, 'nodes', 'PayrollMail');
/** Payroll Mail Bounces sits above the Payroll Mail node's layers: it uses the mail ID and the journal. */
const BOUNCES = join(ROOT, 'nodes', 'PayrollMailBounces');

/** Lower layers never import higher ones; folders of one layer do not import each other. */
const LAYERS: Record<string, number> = {
	core: 0,
	descriptions: 0,
	compose: 1,
	plan: 1,
	transport: 1,
	send: 2,
	input: 3,
	result: 3,
	'': 4,
	bounces: 5,
};

interface Module {
	file: string;
	lines: number;
	/** Relative imports, resolved to files; type-only imports included. */
	imports: string[];
	/** Package imports, by specifier. */
	packages: string[];
}

function sourceFiles(folder: string): string[] {
	return readdirSync(folder).flatMap((name) => {
		const path = join(folder, name);
		if (statSync(path).isDirectory()) return sourceFiles(path);
		return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
	});
}

function readModule(file: string): Module {
	const text = readFileSync(file, 'utf8');
	const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((match) => match[1]);
	return {
		file,
		lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0),
		imports: specifiers.filter((spec) => spec.startsWith('.')).map((spec) => `${resolve(dirname(file), spec)}.ts`),
		packages: specifiers.filter((spec) => !spec.startsWith('.')),
	};
}

const modules = [...sourceFiles(join(ROOT, 'nodes')), ...sourceFiles(join(ROOT, 'credentials'))].map(readModule);
const byFile = new Map(modules.map((module) => [module.file, module]));
const name = (file: string) => relative(ROOT, file);

/** The node folder's top-level entry a file sits in: `send`, `transport`, or '' for the node's root files. */
function group(file: string): string {
	if (file.startsWith(`${BOUNCES}/`)) return 'bounces';
	const [first, ...rest] = relative(NODE, file).split('/');
	// The description the node file imports is the one the descriptions folder makes up.
	if (first === 'PayrollMail.description.ts') return 'descriptions';
	return rest.length ? first : '';
}

describe('the layout of the product code', () => {
	it('reads every product file, and every relative import resolves to one', () => {
		expect(modules.length).toBeGreaterThan(40);
		for (const { file, imports } of modules) {
			for (const target of imports) expect([name(file), byFile.has(target)]).toEqual([name(file), true]);
		}
	});

	it('has no file over 300 lines', () => {
		expect(modules.filter((module) => module.lines > 300).map((module) => `${name(module.file)}: ${module.lines}`)).toEqual([]);
	});

	it('has no import from a lower layer to a higher one, nor between folders of one layer', () => {
		const wrong: string[] = [];
		for (const { file, imports } of modules.filter((module) => module.file.startsWith(`${NODE}/`) || module.file.startsWith(`${BOUNCES}/`))) {
			for (const target of imports) {
				const [from, to] = [group(file), group(target)];
				if (from === to) continue;
				if (!(from in LAYERS) || !(to in LAYERS) || LAYERS[to] >= LAYERS[from]) wrong.push(`${name(file)} → ${name(target)}`);
			}
		}
		expect(wrong).toEqual([]);
	});

	it('keeps the SMTP and pickup carriers apart: each knows only the carrier interface', () => {
		const crossing = modules
			.filter(({ file }) => /transport\/(smtp|pickup)\//.test(name(file)))
			.flatMap(({ file, imports }) => {
				const own = name(file).split('/')[3];
				return imports.filter((target) => /transport\/(smtp|pickup)\//.test(name(target)) && name(target).split('/')[3] !== own);
			});
		expect(crossing).toEqual([]);
	});

	it('has no import cycle, type-only imports included', () => {
		const cycles: string[] = [];
		const state = new Map<string, 'visiting' | 'done'>();
		const visit = (file: string, path: string[]) => {
			if (state.get(file) === 'done') return;
			if (state.get(file) === 'visiting') {
				cycles.push([...path.slice(path.indexOf(file)), file].map(name).join(' → '));
				return;
			}
			state.set(file, 'visiting');
			for (const target of byFile.get(file)?.imports ?? []) visit(target, [...path, file]);
			state.set(file, 'done');
		};
		for (const { file } of modules) visit(file, []);
		expect(cycles).toEqual([]);
	});

	it('speaks nodemailer only in the transports and the composer, and keeps compose/ and plan/ free of n8n', () => {
		const nodemailerUsers = modules.filter(({ packages }) => packages.some((spec) => spec.startsWith('nodemailer'))).map(({ file }) => name(file));
		expect(nodemailerUsers.filter((file) => !file.includes('/transport/') && !file.endsWith('compose/mimeComposer.ts'))).toEqual([]);
		expect(nodemailerUsers).toContain('nodes/PayrollMail/compose/mimeComposer.ts');
		const impure = modules
			.filter(({ file }) => ['compose', 'plan'].includes(group(file)))
			.filter(({ packages }) => packages.some((spec) => spec.startsWith('n8n-')))
			.map(({ file }) => name(file));
		expect(impure).toEqual([]);
	});

	it('reads bounces in pure modules: only the node, its run and the item reader know n8n', () => {
		const bounceFiles = modules.filter(({ file }) => file.startsWith(`${BOUNCES}/`));
		expect(bounceFiles.length).toBeGreaterThan(5);
		const knowN8n = bounceFiles.filter(({ packages }) => packages.some((spec) => spec.startsWith('n8n-'))).map(({ file }) => relative(BOUNCES, file));
		expect(knowN8n.sort()).toEqual(['PayrollMailBounces.description.ts', 'PayrollMailBounces.node.ts', 'read/n8nMail.ts', 'runPayrollMailBounces.ts']);
		const reportImports = bounceFiles
			.filter(({ file }) => relative(BOUNCES, file).startsWith('report/'))
			.flatMap(({ imports }) => imports.map((target) => relative(BOUNCES, target)))
			.filter((target) => target.startsWith('read/') && target !== 'read/receivedMail.ts');
		expect(reportImports).toEqual([]);
	});
});
