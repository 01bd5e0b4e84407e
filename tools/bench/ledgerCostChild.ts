/**
 * One measurement of the Skip Already Sent ledger against n8n's real deduplication store, in a
 * process of its own started with the Node the n8n install is built for (its sqlite3 binary):
 *
 *   ledgerCostChild.ts <n8n node_modules> <recorded entries> <mails>
 *
 * Migrates a fresh SQLite database in a temporary user folder, fills the node's record with the
 * given number of entries, then claims and confirms `mails` mails one after the other as a run
 * does, and prints one line of JSON: milliseconds per mail and per store call.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [modules, recordedText, mailsText] = process.argv.slice(2);
const userFolder = mkdtempSync(join(tmpdir(), 'payroll-ledger-bench-'));
// Read by n8n's database package when it loads: set first.
process.env.N8N_USER_FOLDER = userFolder;
process.env.DB_TYPE = 'sqlite';
process.env.DB_LOGGING_ENABLED = 'false';

type Helper = {
	checkProcessedAndRecord(items: string[], scope: 'node', context: object, options: object): Promise<{ new: unknown[]; processed: unknown[] }>;
	removeProcessed(items: string[], scope: 'node', context: object, options: object): Promise<void>;
};

async function main(): Promise<void> {
	/* eslint-disable @typescript-eslint/no-require-imports -- n8n's own packages, from its install */
	const { Container } = require(join(modules, '@n8n/di'));
	const { DbConnection } = require(join(modules, '@n8n/db'));
	const { DataSource } = require(join(modules, '@n8n/typeorm'));
	const { getDataDeduplicationService } = require(join(modules, 'n8n/dist/deduplication'));
	const { DeduplicationLedger } = require('../../dist/nodes/PayrollMail/send/ledger/deduplicationLedger');
	/* eslint-enable @typescript-eslint/no-require-imports */
	const connection = Container.get(DbConnection);
	await connection.init();
	await connection.migrate();
	await Container.get(DataSource).query(
		"INSERT INTO workflow_entity (id, name, active, nodes, connections, versionId) VALUES ('bench', 'bench', 0, '[]', '{}', 'v1')",
	);
	const helper = getDataDeduplicationService() as Helper;
	const context = { workflow: { id: 'bench', active: false }, node: { id: 'payroll-mail', name: 'Payroll Mail' } };
	let calls = 0;
	const helpers = {
		checkProcessedAndRecord: async (items: string[], scope: 'node', options: object) => (calls++, helper.checkProcessedAndRecord(items, scope, context, options)),
		removeProcessed: async (items: string[], scope: 'node', options: object) => (calls++, helper.removeProcessed(items, scope, context, options)),
	};
	const recorded = Number(recordedText);
	const mails = Number(mailsText);
	// Earlier months: one entry per mail, as the ledger leaves them.
	if (recorded) await helper.checkProcessedAndRecord(Array.from({ length: recorded }, (_, i) => `mail:earlier-${i}`), 'node', context, { mode: 'entries', maxEntries: 30_000 });
	const ledger = new DeduplicationLedger(helpers, 'bench:payroll-mail');
	calls = 0;
	const started = process.hrtime.bigint();
	for (let i = 0; i < mails; i++) {
		const identity = { key: `this-month-${i}`, recipients: [`employee${i}@example.com`], legacyKey: '', description: '' };
		const claim = await ledger.claim(identity, { execution: '1', resendUnconfirmed: false });
		if (claim.kind !== 'granted') throw new Error(`claim ${i} was ${claim.kind}`);
		await ledger.accepted(identity, { accepted: identity.recipients });
	}
	const ms = Number(process.hrtime.bigint() - started) / 1e6;
	process.stdout.write(`${JSON.stringify({ recorded, mails, msPerMail: ms / mails, callsPerMail: calls / mails, msPerCall: ms / calls })}\n`);
	await connection.close();
}

main()
	.catch((error: unknown) => {
		process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
		process.exitCode = 1;
	})
	.finally(() => rmSync(userFolder, { recursive: true, force: true }));
