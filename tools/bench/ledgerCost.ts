/**
 * `npm run bench -- --ledger`: what Skip Already Sent's record costs per mail in n8n's real
 * deduplication store (SQLite, as a default n8n install has it) as the record grows: 100, 2,000
 * and 20,000 entries already recorded (20,000: ten monthly runs for 2,000 employees), in n8n 2.x
 * and 1.x. Uses the n8n installs of `npm run test:n8n` (installed on first use).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { n8nInstall, nodeRuntime } from '../n8n-check/cache';
import { targets } from '../n8n-check/targets';

export interface LedgerCost {
	n8n: string;
	recorded: number;
	mails: number;
	msPerMail: number;
	callsPerMail: number;
	msPerCall: number;
}

export async function measureLedgerCost(sizes = [100, 2_000, 20_000], mails = 200): Promise<LedgerCost[]> {
	const results: LedgerCost[] = [];
	for (const target of targets) {
		const node = await nodeRuntime(target.node);
		const install = await n8nInstall(target, node);
		const modules = join(install.dir, 'node_modules');
		for (const recorded of sizes) {
			const output = execFileSync(
				node.bin,
				['-r', 'ts-node/register/transpile-only', join(__dirname, 'ledgerCostChild.ts'), modules, String(recorded), String(mails)],
				{ cwd: join(__dirname, '..', '..'), encoding: 'utf8', timeout: 10 * 60_000 },
			);
			results.push({ n8n: target.n8nVersion, ...(JSON.parse(output.trim().split('\n').pop()!) as Omit<LedgerCost, 'n8n'>) });
		}
	}
	return results;
}
