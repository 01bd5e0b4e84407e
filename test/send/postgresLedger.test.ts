import { poolDatabase, type PostgresDatabase } from '../../nodes/PayrollMail/input/postgres';
import { systemClock } from '../../nodes/PayrollMail/plan/clock';
import { AccountBusyError } from '../../nodes/PayrollMail/send/accountLock';
import { ensureJournal, journalTable } from '../../nodes/PayrollMail/send/ledger/journalTable';
import type { ClaimRequest } from '../../nodes/PayrollMail/send/ledger/mailLedger';
import type { MailIdentity } from '../../nodes/PayrollMail/send/ledger/mailIdentity';
import { PostgresLedger } from '../../nodes/PayrollMail/send/ledger/postgresLedger';
import { postgresAccountLock } from '../../nodes/PayrollMail/send/postgresAccountLock';
import { TestPostgres } from '../support/postgres';

/**
 * The journal's claims and the account's advisory lock against a real PostgreSQL (started by this
 * file), from two pools of connections that share nothing but the database, as two queue-mode
 * workers do: "worker A" and "worker B".
 */
let postgres: TestPostgres;
let a: PostgresDatabase;
let b: PostgresDatabase;
let tableNumber = 0;

beforeAll(async () => {
	postgres = await TestPostgres.start();
	a = poolDatabase(postgres.newPool(8));
	b = poolDatabase(postgres.newPool(8));
});
afterAll(async () => {
	await a?.end();
	await b?.end();
	await postgres?.stop();
});

async function newJournal() {
	const table = journalTable(`ledger_${++tableNumber}`);
	await ensureJournal(a, table);
	return table;
}

const identity = (n: number): MailIdentity => ({ key: `key-${n}`, recipients: [`employee${n}@example.com`], legacyKey: `${n}`, description: `key ${n}` });
const claimRequest = (execution: string, resendUnconfirmed = false): ClaimRequest => ({
	execution,
	resendUnconfirmed,
	mail: { subject: 'Payslip', messageId: `<${execution}@example.com>` },
});
const writer = (account = 'smtp:payroll@example.com@127.0.0.1:25') => ({ workflowId: 'wf', account });

describe('claims from two workers at once', () => {
	it('give each of 40 mails to exactly one of them', async () => {
		const table = await newJournal();
		const [ledgerA, ledgerB] = [new PostgresLedger(a, table, writer()), new PostgresLedger(b, table, writer())];
		const mails = Array.from({ length: 40 }, (_, n) => identity(n));
		const claims = await Promise.all(mails.flatMap((mail) => [ledgerA.claim(mail, claimRequest('A')), ledgerB.claim(mail, claimRequest('B'))]));
		const granted = claims.filter((claim) => claim.kind === 'granted');
		expect(granted).toHaveLength(40);
		for (let n = 0; n < 40; n++) expect([claims[2 * n].kind, claims[2 * n + 1].kind].sort()).toEqual(['granted', 'unconfirmed']);
		expect(await postgres.query(`SELECT count(*)::int AS rows FROM ${table.sql}`)).toEqual([{ rows: 40 }]);
	});

	it('give a released mail again to exactly one of them', async () => {
		const table = await newJournal();
		const [ledgerA, ledgerB] = [new PostgresLedger(a, table, writer()), new PostgresLedger(b, table, writer())];
		const mails = Array.from({ length: 20 }, (_, n) => identity(n));
		for (const mail of mails) {
			await ledgerA.claim(mail, claimRequest('first'));
			await ledgerA.release(mail);
		}
		const claims = await Promise.all(mails.flatMap((mail) => [ledgerA.claim(mail, claimRequest('A')), ledgerB.claim(mail, claimRequest('B'))]));
		expect(claims.filter((claim) => claim.kind === 'granted')).toHaveLength(20);
	});

	it('give an unconfirmed mail the clerk asked to resend to exactly one of two resending runs', async () => {
		const table = await newJournal();
		const mails = Array.from({ length: 20 }, (_, n) => identity(n));
		const crashed = new PostgresLedger(a, table, writer());
		for (const mail of mails) await crashed.claim(mail, claimRequest('crashed'));
		// Each run reads a row and claims it in two statements: the one that reads after the other's
		// re-claim must see a claim made during its own run, not the crashed one it may take over.
		const [ledgerA, ledgerB] = [new PostgresLedger(a, table, writer()), new PostgresLedger(b, table, writer())];
		const claims = await Promise.all(mails.flatMap((mail) => [ledgerA.claim(mail, claimRequest('A', true)), ledgerB.claim(mail, claimRequest('B', true))]));
		expect(claims.filter((claim) => claim.kind === 'granted')).toHaveLength(20);
	});

	it('keep a mail another run claimed since this one began from a resending run, naming that run', async () => {
		const table = await newJournal();
		const resending = new PostgresLedger(a, table, writer());
		await new PostgresLedger(b, table, writer()).claim(identity(1), claimRequest('running'));
		expect(await resending.claim(identity(1), claimRequest('resending', true))).toMatchObject({ kind: 'unconfirmed', execution: 'running' });
	});
});

describe('what a claim finds', () => {
	it('an accepted mail, with when the server took it, its Message-ID and who sent it; one taken by some recipients only; one on its way', async () => {
		const table = await newJournal();
		const ledger = new PostgresLedger(a, table, writer());
		const both: MailIdentity = { ...identity(1), recipients: ['boss@example.com', 'employee1@example.com'] };
		await ledger.claim(identity(0), claimRequest('7'));
		await ledger.accepted(identity(0), { accepted: ['employee0@example.com'], messageId: '<m0@example.com>', response: '250 2.0.0 queued', execution: '7' });
		await ledger.claim(both, claimRequest('7'));
		await ledger.accepted(both, { accepted: ['employee1@example.com'] });
		await ledger.claim(identity(2), claimRequest('7'));
		const [row] = await postgres.query<{ accepted_at: Date }>(`SELECT accepted_at FROM ${table.sql} WHERE key = 'key-0'`);
		const other = new PostgresLedger(b, table, writer());
		expect(await other.claim(identity(0), claimRequest('8'))).toEqual({
			kind: 'accepted',
			record: { accepted: ['employee0@example.com'], sentAt: row.accepted_at.toISOString(), messageId: '<m0@example.com>', execution: '7' },
		});
		expect(await other.claim(both, claimRequest('8'))).toMatchObject({ kind: 'partial', record: { accepted: ['employee1@example.com'] } });
		expect(await other.claim(identity(2), claimRequest('8'))).toEqual({ kind: 'unconfirmed', claimedAt: expect.stringMatching(/^\d{4}-/), execution: '7' });
	});
});

describe('the account lock across workers', () => {
	it('lets one worker send while the other waits; the waiter gets it once it is given back, with the last mail\'s end from the journal', async () => {
		const table = await newJournal();
		const account = 'smtp:payroll@example.com@smtp.example.com:587';
		await new PostgresLedger(a, table, writer(account)).claim(identity(1), claimRequest('1'));
		const holder = await postgresAccountLock(a, table, account, systemClock).acquire({ execution: 'w1-1', signal: new AbortController().signal, waitMs: 1_000 });
		const told: Array<string | undefined> = [];
		const waiting = postgresAccountLock(b, table, account, systemClock, 20).acquire({
			execution: 'w2-2',
			signal: new AbortController().signal,
			waitMs: 20_000,
			onBusy: (who) => {
				told.push(who);
				void holder.release();
			},
		});
		const turn = await waiting;
		expect(told).toEqual(['w1-1']);
		expect(turn.previousEnd).toBeGreaterThan(Date.now() - 60_000);
		expect(turn.previousEnd).toBeLessThanOrEqual(Date.now());
		await turn.release();
	});

	it('gives up after the wait, naming the execution that holds it, and stops at once when cancelled', async () => {
		const table = await newJournal();
		const account = 'smtp:busy@example.com@smtp.example.com:587';
		const holder = await postgresAccountLock(a, table, account, systemClock).acquire({ execution: 'w1-3', signal: new AbortController().signal, waitMs: 0 });
		const lockB = postgresAccountLock(b, table, account, systemClock, 20);
		const busy = await lockB.acquire({ execution: 'w2-4', signal: new AbortController().signal, waitMs: 100 }).catch((error: unknown) => error);
		expect(busy).toBeInstanceOf(AccountBusyError);
		expect((busy as AccountBusyError).holder).toBe('w1-3');
		const cancel = new AbortController();
		const cancelled = lockB.acquire({ execution: 'w2-5', signal: cancel.signal, waitMs: 60_000, onBusy: () => cancel.abort() }).catch((error: unknown) => error);
		expect(await cancelled).toMatchObject({ name: 'AbortError' });
		await holder.release();
	});

	it('is let go by PostgreSQL when the holding worker\'s connection dies', async () => {
		const table = await newJournal();
		const account = 'smtp:crash@example.com@smtp.example.com:587';
		const dying = await postgresAccountLock(a, table, account, systemClock).acquire({ execution: 'w1-6', signal: new AbortController().signal, waitMs: 0 });
		const waiting = postgresAccountLock(b, table, account, systemClock, 20).acquire({
			execution: 'w2-7',
			signal: new AbortController().signal,
			waitMs: 20_000,
			// The worker holding it dies: its backend ends, as when the kernel closes a killed process's socket.
			onBusy: () => void postgres.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'payroll-mail execution w1-6'"),
		});
		await expect(waiting).resolves.toBeDefined();
		await (await waiting).release();
		// Its connection is gone: giving it back only closes it.
		await dying.release();
	});
});
