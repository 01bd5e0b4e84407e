import { CANCELLED_BEFORE_SENDING } from '../core/clerkMessages';
import { mailError, type MailError } from '../core/mailError';
import type { Clock } from '../plan/clock';

/**
 * One sender per account at a time: the provider's limit (so many mails per batch, a wait between
 * batches) is the account's, whichever execution sends. A run takes its account before its first
 * mail and gives it back at the end, saying when its last mail ended, so that the next run keeps
 * the pause after it.
 */
export interface AccountLock {
	acquire(request: AccountRequest): Promise<AccountTurn>;
}

export interface AccountRequest {
	/** The execution asking, named to those that wait for it. */
	execution: string;
	signal: AbortSignal;
	/** How long to wait for a busy account before giving up (AccountBusyError). */
	waitMs: number;
	/** Called once, when the account turns out to be busy and the wait begins. */
	onBusy?: (holder: string | undefined) => void;
}

export interface AccountTurn {
	/** When the account's previous sender's last mail ended (this process's clock), if known. */
	previousEnd?: number;
	/** Gives the account back; `lastEnd`: when this run's last mail ended. Never rejects. */
	release(lastEnd?: number): Promise<void>;
}

/** The account stayed busy for the whole wait. */
export class AccountBusyError extends Error {
	constructor(
		/** The execution holding it, where known. */
		readonly holder?: string,
	) {
		super('the account was busy for the whole wait');
		this.name = 'AccountBusyError';
	}
}

interface AccountState {
	holder?: string;
	lastEnd?: number;
	/** Runs waiting, first come first served; each is handed the account directly. */
	waiters: Array<(granted: boolean) => void>;
}

/** Every account this n8n process sends from, by key. */
const accounts = new Map<string, AccountState>();

/**
 * The lock inside one n8n process: executions of any workflow that send from the same account
 * queue here, first come first served.
 */
export function processAccountLock(key: string, clock: Clock): AccountLock {
	return {
		async acquire({ execution, signal, waitMs, onBusy }) {
			signal.throwIfAborted();
			let state = accounts.get(key);
			if (!state) accounts.set(key, (state = { waiters: [] }));
			const account = state;
			if (account.holder !== undefined) {
				onBusy?.(account.holder || undefined);
				// Whoever was told may have cancelled already.
				signal.throwIfAborted();
				await waitForTurn(account, clock, signal, waitMs);
			}
			account.holder = execution;
			let released = false;
			return {
				previousEnd: account.lastEnd,
				async release(lastEnd) {
					if (released) return;
					released = true;
					if (lastEnd !== undefined) account.lastEnd = Math.max(account.lastEnd ?? lastEnd, lastEnd);
					account.holder = undefined;
					const next = account.waiters.shift();
					if (next) {
						// Handed over at once: nobody arriving meanwhile can slip in before the first waiter.
						account.holder = '';
						next(true);
					}
				},
			};
		},
	};
}

function waitForTurn(account: AccountState, clock: Clock, signal: AbortSignal, waitMs: number): Promise<void> {
	return new Promise<void>((resolve, reject) => {
		const stopTimer = new AbortController();
		const waiter = (granted: boolean) => {
			stopTimer.abort();
			signal.removeEventListener('abort', onAbort);
			if (granted) resolve();
		};
		const giveUp = (error: unknown) => {
			const index = account.waiters.indexOf(waiter);
			// Already handed the account: the caller never got it, so pass it on.
			if (index < 0) return;
			account.waiters.splice(index, 1);
			waiter(false);
			reject(error);
		};
		const onAbort = () => giveUp(signal.reason);
		account.waiters.push(waiter);
		signal.addEventListener('abort', onAbort, { once: true });
		clock.sleep(waitMs, stopTimer.signal).then(
			() => giveUp(new AccountBusyError(account.holder || undefined)),
			() => undefined,
		);
	});
}

/**
 * Both locks, the process's first: executions of one process queue in it, and only the first of
 * them asks the database (the other n8n processes and workers). The wait is one, across both.
 */
export function bothLocks(first: AccountLock, second: AccountLock, clock: Clock): AccountLock {
	return {
		async acquire(request) {
			const started = clock.now();
			const outer = await first.acquire(request);
			let inner: AccountTurn | undefined;
			try {
				inner = await second.acquire({ ...request, waitMs: Math.max(0, request.waitMs - (clock.now() - started)) });
			} finally {
				if (!inner) await outer.release();
			}
			const ends = [outer.previousEnd, inner.previousEnd].filter((end): end is number => end !== undefined);
			return {
				previousEnd: ends.length ? Math.max(...ends) : undefined,
				async release(lastEnd) {
					await inner.release(lastEnd);
					await outer.release(lastEnd);
				},
			};
		},
	};
}

/** The account a run sends from, and how long it waits for it. */
export interface AccountUse {
	lock: AccountLock;
	waitMs: number;
	/** As the journal and the messages name it: `smtp:user@host:port` or `pickup:<folder>`. */
	name: string;
	onBusy?: (holder: string | undefined) => void;
}

/** Takes the account for the run, or says why none of its mails may go. */
export async function takeAccount(use: AccountUse, execution: string, signal: AbortSignal): Promise<AccountTurn | { refused: MailError }> {
	try {
		return await use.lock.acquire({ execution, signal, waitMs: use.waitMs, onBusy: use.onBusy });
	} catch (error) {
		if (signal.aborted) return { refused: CANCELLED_BEFORE_SENDING };
		if (error instanceof AccountBusyError) {
			const holder = error.holder ? ` (execution ${error.holder})` : '';
			return {
				refused: mailError(
					'connection',
					'EACCOUNTBUSY',
					`Not sent: another execution${holder} was sending from ${use.name} for the whole ${use.waitMs / 1000} s this run ` +
						'waits for a busy account (Wait for Busy Account). Nothing of this run was sent: run it again once that execution has finished',
					{ permanent: false },
				),
			};
		}
		return {
			refused: mailError(
				'connection',
				'EACCOUNTLOCK',
				`Not sent: could not make sure that no other execution sends from ${use.name} at the same time (${(error as Error).message})`,
				{ permanent: false },
			),
		};
	}
}
