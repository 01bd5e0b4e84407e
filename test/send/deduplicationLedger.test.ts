import { DeduplicationLedger, type DeduplicationHelpers } from '../../nodes/PayrollMail/send/ledger/deduplicationLedger';
import type { ClaimRequest } from '../../nodes/PayrollMail/send/ledger/mailLedger';
import type { MailIdentity } from '../../nodes/PayrollMail/send/ledger/mailIdentity';

/**
 * Skip Already Sent's built-in store with a stand-in (a mock) for n8n's deduplication helpers, a set
 * of recorded values: the helpers need n8n's database, which the tests do not install (engine tests
 * use test/harness/deduplicationStore.ts, `npm run test:n8n` the real one).
 */
function memoryHelpers(): DeduplicationHelpers {
	const recorded = new Set<string>();
	return {
		async checkProcessedAndRecord(items) {
			const processed = items.filter((item) => recorded.has(item));
			items.forEach((item) => recorded.add(item));
			return { new: items.filter((item) => !processed.includes(item)), processed };
		},
		async removeProcessed(items) {
			items.forEach((item) => recorded.delete(item));
		},
	};
}

const identity = (n: number): MailIdentity => ({ key: `key-${n}`, recipients: [`employee${n}@example.com`], legacyKey: `${n}`, description: `key ${n}` });
const claimRequest = (execution: string, resendUnconfirmed = false): ClaimRequest => ({
	execution,
	resendUnconfirmed,
	mail: { subject: 'Payslip', messageId: `<${execution}@example.com>` },
});

/** Until the clock shows another millisecond: claims and the runs opened after them apart in time. */
function nextMillisecond(): void {
	const now = Date.now();
	for (let spins = 0; Date.now() === now && spins < 1e8; spins++);
}

let scopes = 0;

describe('the built-in store, two runs of one workflow in one n8n process', () => {
	it('give an unconfirmed mail the clerk asked to resend to exactly one of two resending runs', async () => {
		const helpers = memoryHelpers();
		const scope = `workflow:node-${++scopes}`;
		const mails = Array.from({ length: 20 }, (_, n) => identity(n));
		const crashed = new DeduplicationLedger(helpers, scope);
		for (const mail of mails) expect(await crashed.claim(mail, claimRequest('crashed'))).toEqual({ kind: 'granted' });
		nextMillisecond();
		const [runA, runB] = [new DeduplicationLedger(helpers, scope), new DeduplicationLedger(helpers, scope)];
		const claims = await Promise.all(mails.flatMap((mail) => [runA.claim(mail, claimRequest('A', true)), runB.claim(mail, claimRequest('B', true))]));
		for (let n = 0; n < 20; n++) expect([claims[2 * n].kind, claims[2 * n + 1].kind]).toEqual(['granted', 'unconfirmed']);
		expect(claims[1]).toMatchObject({ execution: 'A' });
	});

	it('keep a mail another run claimed since this one began from a resending run, naming that run', async () => {
		const helpers = memoryHelpers();
		const scope = `workflow:node-${++scopes}`;
		const resending = new DeduplicationLedger(helpers, scope);
		nextMillisecond();
		await new DeduplicationLedger(helpers, scope).claim(identity(1), claimRequest('running'));
		expect(await resending.claim(identity(1), claimRequest('resending', true))).toMatchObject({ kind: 'unconfirmed', execution: 'running' });
	});
});
