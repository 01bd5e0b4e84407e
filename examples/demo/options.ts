import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** The knobs of `npm run demo`; everything else is fixed so the demo always tells the same story. */
export interface DemoOptions {
	/** How many employees get a payslip (two of them are set up to fail). */
	employees: number;
	/** Mails per batch (the node's "Mails per Batch"); 0 = one batch. */
	batchSize: number;
	/** Seconds between two batches (the node's "Wait Between Batches"). */
	waitSeconds: number;
	/** Folder for the received messages as .eml files. */
	outDir: string;
}

export const DEFAULT_OPTIONS: DemoOptions = {
	employees: 25,
	batchSize: 10,
	waitSeconds: 2,
	outDir: 'demo-output',
};

export const HELP = `Payroll Mail demo: mails sample payslips to an SMTP server on this computer.

Usage: npm run demo -- [options]

  --employees N      how many employees get a payslip (default ${DEFAULT_OPTIONS.employees}, 3 to 500);
                     one of them has a bad address and one has no PDF, on purpose
  --batch-size N     mails per batch, the node's "Mails per Batch" (default ${DEFAULT_OPTIONS.batchSize}; 0 = one batch)
  --wait SECONDS     pause between two batches, the node's "Wait Between Batches"
                     (default ${DEFAULT_OPTIONS.waitSeconds}; fractions allowed, e.g. 0.5)
  --out DIR          where to write every received mail as an .eml file
                     (default ./${DEFAULT_OPTIONS.outDir}/)
  --help             show this text

Nothing leaves this computer: the SMTP server listens on 127.0.0.1 only and stops at the end.
Exit status: 0 when the demo went as designed, 1 when it did not (the reason is printed),
2 for an unknown option or a bad value.
`;

export type ParsedCommand = { help: true } | { help: false; options: DemoOptions } | { error: string };

function wholeNumber(text: string, flag: string, min: number, max: number): number | string {
	const value = Number(text);
	if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
		return `${flag} takes a whole number from ${min} to ${max}, not "${text}"`;
	}
	return value;
}

/** Reads `npm run demo -- …` arguments; unknown options and bad values are errors, not guesses. */
export function parseCommand(argv: string[]): ParsedCommand {
	let values;
	try {
		({ values } = parseArgs({
			args: argv,
			options: {
				employees: { type: 'string' },
				'batch-size': { type: 'string' },
				wait: { type: 'string' },
				out: { type: 'string' },
				help: { type: 'boolean', short: 'h' },
			},
			strict: true,
			allowPositionals: false,
		}));
	} catch (error) {
		return { error: (error as Error).message };
	}
	if (values.help) return { help: true };

	const options: DemoOptions = { ...DEFAULT_OPTIONS };
	if (values.employees !== undefined) {
		const employees = wholeNumber(values.employees, '--employees', 3, 500);
		if (typeof employees === 'string') return { error: employees };
		options.employees = employees;
	}
	if (values['batch-size'] !== undefined) {
		const batchSize = wholeNumber(values['batch-size'], '--batch-size', 0, 500);
		if (typeof batchSize === 'string') return { error: batchSize };
		options.batchSize = batchSize;
	}
	if (values.wait !== undefined) {
		const wait = Number(values.wait);
		if (values.wait.trim() === '' || !Number.isFinite(wait) || wait < 0 || wait > 60) {
			return { error: `--wait takes seconds from 0 to 60, e.g. 2 or 0.5, not "${values.wait}"` };
		}
		options.waitSeconds = wait;
	}
	if (values.out !== undefined) {
		if (values.out.trim() === '') return { error: '--out needs a folder' };
		options.outDir = values.out;
	}
	return { help: false, options };
}

export function absoluteOutDir(options: DemoOptions): string {
	return resolve(options.outDir);
}
