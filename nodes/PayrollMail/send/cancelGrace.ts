import type { Clock } from '../plan/clock';

/** How long a mail already on its way may still take once the execution is cancelled. */
export const CANCEL_GRACE_MS = 5_000;

export interface GraceSignal {
	/** Aborts `graceMs` after the cancel. */
	signal: AbortSignal;
	/** Stops waiting: to be called once nothing is on its way any more. */
	dispose(): void;
}

/**
 * Follows a cancel only after a grace period. A mail on the wire when the clerk presses Stop
 * usually gets the server's verdict within milliseconds; cutting it off instead would report
 * as "not sent" a mail the server may already hold.
 */
export function afterGrace(cancel: AbortSignal, graceMs: number, clock: Clock): GraceSignal {
	const grace = new AbortController();
	const disposed = new AbortController();
	const startGrace = () => {
		clock.sleep(graceMs, disposed.signal).then(
			() => grace.abort(),
			() => undefined,
		);
	};
	if (cancel.aborted) startGrace();
	else cancel.addEventListener('abort', startGrace, { once: true });
	return {
		signal: grace.signal,
		dispose() {
			cancel.removeEventListener('abort', startGrace);
			disposed.abort();
		},
	};
}
