import { AccountBusyError, bothLocks, processAccountLock, type AccountLock, type AccountTurn } from '../../nodes/PayrollMail/send/accountLock';
import { FakeClock } from '../support/fakeClock';

/**
 * The account lock of one n8n process, on virtual time: first come first served, each waiter
 * handed the account directly, the previous sender's last mail passed on, a bounded wait, a
 * cancel that stops the wait at once. The database's lock is in postgresAccountLock.test.ts.
 */
let accountNumber = 0;
const newAccount = () => `smtp:test${++accountNumber}@127.0.0.1:25`;

function request(execution: string, waitMs = 60_000, signal = new AbortController().signal) {
	return { execution, waitMs, signal };
}

describe('the account lock of one n8n process', () => {
	it('gives the account to one run at a time, first come first served, with the last mail\'s end of the run before', async () => {
		const clock = new FakeClock();
		const lock = processAccountLock(newAccount(), clock);
		const order: string[] = [];
		const turns = new Map<string, AccountTurn>();
		const take = (execution: string) =>
			lock.acquire(request(execution)).then((turn) => {
				order.push(execution);
				turns.set(execution, turn);
				return turn;
			});
		const first = await take('1');
		expect(first.previousEnd).toBeUndefined();
		const waiting = [take('2'), take('3')];
		await clock.settle();
		expect(order).toEqual(['1']);
		await first.release(4_000);
		await clock.settle();
		expect(order).toEqual(['1', '2']);
		expect(turns.get('2')!.previousEnd).toBe(4_000);
		// A run with nothing sent leaves the last end as it was.
		await turns.get('2')!.release(undefined);
		expect((await waiting[1]).previousEnd).toBe(4_000);
		await turns.get('3')!.release(7_000);
		const next = await take('4');
		expect(next.previousEnd).toBe(7_000);
	});

	it('lets nobody slip in between a release and the first waiter', async () => {
		const clock = new FakeClock();
		const lock = processAccountLock(newAccount(), clock);
		const order: string[] = [];
		const take = (execution: string) => lock.acquire(request(execution, 1_000)).then((turn) => (order.push(execution), turn));
		const first = await take('1');
		const waiter = take('2');
		await first.release(0);
		const latecomer = take('3');
		await clock.settle();
		expect(order).toEqual(['1', '2']);
		await (await waiter).release(0);
		await clock.run(latecomer);
		expect(order).toEqual(['1', '2', '3']);
	});

	it('gives up after the wait, naming the holder, and the account stays the holder\'s', async () => {
		const clock = new FakeClock();
		const lock = processAccountLock(newAccount(), clock);
		const holder = await lock.acquire(request('17'));
		const busy = lock.acquire(request('18', 2_500)).catch((error: unknown) => error);
		const refused = await clock.run(busy);
		expect(refused).toBeInstanceOf(AccountBusyError);
		expect([(refused as AccountBusyError).holder, clock.now()]).toEqual(['17', 2_500]);
		// The one that gave up is no longer waiting: a release hands the account to nobody.
		await holder.release(3_000);
		const after = await lock.acquire(request('19', 0));
		expect(after.previousEnd).toBe(3_000);
	});

	it('gives up at once with no wait allowed, and stops waiting the moment the execution is cancelled', async () => {
		const clock = new FakeClock();
		const lock = processAccountLock(newAccount(), clock);
		await lock.acquire(request('1'));
		await expect(clock.run(lock.acquire(request('2', 0)))).rejects.toBeInstanceOf(AccountBusyError);
		const cancel = new AbortController();
		const waiting = lock.acquire(request('3', 60_000, cancel.signal)).catch((error: unknown) => error);
		await clock.settle();
		cancel.abort();
		expect(await waiting).toMatchObject({ name: 'AbortError' });
		expect(clock.now()).toBe(0);
		const already = new AbortController();
		already.abort();
		await expect(lock.acquire(request('4', 60_000, already.signal))).rejects.toMatchObject({ name: 'AbortError' });
	});

	it('tells the run that it waits, once, naming the holder', async () => {
		const clock = new FakeClock();
		const lock = processAccountLock(newAccount(), clock);
		const holder = await lock.acquire(request('5'));
		const told: Array<string | undefined> = [];
		const waiting = lock.acquire({ ...request('6'), onBusy: (who) => told.push(who) });
		await holder.release(0);
		await waiting;
		expect(told).toEqual(['5']);
	});

	it('keeps accounts apart', async () => {
		const clock = new FakeClock();
		await processAccountLock(newAccount(), clock).acquire(request('1'));
		await expect(processAccountLock(newAccount(), clock).acquire(request('2', 0))).resolves.toBeDefined();
	});
});

describe('both locks, the process\'s and the database\'s', () => {
	it('gives the process\'s back when the database\'s wait runs out, and counts one wait across both', async () => {
		const clock = new FakeClock();
		const processLock = processAccountLock(newAccount(), clock);
		const waits: number[] = [];
		const busyDatabase: AccountLock = {
			async acquire({ waitMs }) {
				waits.push(waitMs);
				await clock.sleep(waitMs);
				throw new AccountBusyError('w2-9');
			},
		};
		const holder = await processLock.acquire(request('1'));
		const both = bothLocks(processLock, busyDatabase, clock);
		const attempt = both.acquire(request('2', 10_000)).catch((error: unknown) => error);
		await clock.advanceBy(4_000);
		await holder.release(4_000);
		expect(await clock.run(attempt)).toMatchObject({ holder: 'w2-9' });
		expect([waits, clock.now()]).toEqual([[6_000], 10_000]);
		await expect(processLock.acquire(request('3', 0))).resolves.toBeDefined();
	});

	it('passes on the later of the two last-mail ends', async () => {
		const clock = new FakeClock();
		const database: AccountLock = { acquire: async () => ({ previousEnd: 9_000, release: async () => undefined }) };
		const processLock = processAccountLock(newAccount(), clock);
		await (await processLock.acquire(request('1'))).release(5_000);
		expect((await bothLocks(processLock, database, clock).acquire(request('2'))).previousEnd).toBe(9_000);
	});
});
