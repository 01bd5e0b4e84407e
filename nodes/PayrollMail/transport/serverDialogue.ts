/**
 * What the SMTP server said about itself, read from nodemailer's transaction log.
 *
 * nodemailer keeps the EHLO reply to itself, yet a clerk whose forced login method is refused
 * needs to hear which methods the server does offer. nodemailer masks credentials in the lines
 * it logs; this sink keeps only the server's EHLO reply and prints nothing.
 */
export class ServerDialogue {
	private awaitingEhloReply = false;

	private ehloReply: string[] | undefined;

	/** SASL mechanisms of the latest EHLO reply, undefined until one arrived. */
	offeredAuthMethods(): string[] | undefined {
		if (!this.ehloReply) return undefined;
		const methods: string[] = [];
		for (const line of this.ehloReply) {
			const match = /^250[ -]AUTH[ =](.*)$/i.exec(line);
			if (match) methods.push(...match[1].trim().toUpperCase().split(/[\s=]+/));
		}
		return [...new Set(methods)];
	}

	/** A bunyan-shaped logger for nodemailer's `logger` option with `transactionLog` on. */
	readonly logger = {
		trace: () => undefined,
		debug: (entry: { tnx?: string }, message?: unknown) => this.record(entry.tnx, message),
		info: () => undefined,
		warn: () => undefined,
		error: () => undefined,
		fatal: () => undefined,
	};

	private record(direction: string | undefined, message: unknown): void {
		if (typeof message !== 'string') return;
		if (direction === 'client') {
			this.awaitingEhloReply = /^EHLO\b/i.test(message);
		} else if (direction === 'server' && this.awaitingEhloReply) {
			this.awaitingEhloReply = false;
			this.ehloReply = message.split(/\r?\n/);
		}
	}
}
