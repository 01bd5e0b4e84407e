import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import type { ReceivedPayslip } from './summary';

/** Lists the files the last run wrote, so the next run removes exactly those and nothing else. */
const MANIFEST = '.payroll-mail-demo.json';
const OUR_FILE = /^\d{2,}-[a-z0-9.-]+\.eml$/;

function previousFiles(outDir: string): string[] {
	try {
		const listed = JSON.parse(readFileSync(join(outDir, MANIFEST), 'utf8')) as unknown;
		return Array.isArray(listed) ? listed.filter((name): name is string => typeof name === 'string') : [];
	} catch {
		return [];
	}
}

/** `07-elena.fischer.eml`: numbered as the employee list, named by the address. */
export function emlFileName({ employee }: Pick<ReceivedPayslip, 'employee'>): string {
	const local = employee.email.split('@')[0].toLowerCase().replace(/[^a-z0-9.-]+/g, '-');
	return `${String(employee.position).padStart(2, '0')}-${local}.eml`;
}

/**
 * Writes every message exactly as the server received it (headers, text, PDF attachment) as one
 * .eml file per employee; any mail program opens them. Returns the paths written.
 */
export function writeEmlFiles(outDir: string, received: ReceivedPayslip[]): string[] {
	mkdirSync(outDir, { recursive: true });
	for (const name of previousFiles(outDir)) {
		if (OUR_FILE.test(name) && basename(name) === name) rmSync(join(outDir, name), { force: true });
	}
	const names = received.map((payslip) => emlFileName(payslip));
	received.forEach(({ message }, index) => writeFileSync(join(outDir, names[index]), message.raw));
	writeFileSync(join(outDir, MANIFEST), `${JSON.stringify(names, null, '\t')}\n`);
	return names.map((name) => join(outDir, name));
}
