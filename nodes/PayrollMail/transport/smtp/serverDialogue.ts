/** Where the SMTP conversation goes when the clerk asks for it; nowhere otherwise. */
export type TranscriptSink = (line: string) => void;

interface LogEntry {
	tnx?: string;
	sid?: string;
}

/**
 * What the SMTP server said, read from nodemailer's transaction log, which nodemailer keeps
 * free of credentials. Three things are needed from it:
 * - the EHLO reply, so a refused forced login can name the methods the server does offer;
 * - whether a connection broke after the whole message was sent but before the server's
 *   reply: the mail may have been delivered, so it must not be sent again blindly;
 * - with the SMTP log option on, the conversation itself (the sink removes the secrets).
 */
export class ServerDialogue {
	private readonly awaitingEhloReply = new Set<string>();

	private ehloReply: string[] | undefined;

	/** Connections that sent a whole message and wait for the server's verdict on it. */
	private readonly awaitingVerdict = new Set<string>();

	private unknownOutcomes = 0;

	/** Connections that asked to STARTTLS and await the server's 220. */
	private readonly awaitingStartTls = new Set<string>();

	private startTlsUpgrades = 0;

	/** Resolves when a connection first says MAIL FROM: greeting, TLS and login are behind it. */
	readonly sessionOpened: Promise<void>;

	private openSession!: () => void;

	constructor(private readonly transcript?: TranscriptSink) {
		this.sessionOpened = new Promise<void>((resolve) => (this.openSession = resolve));
	}

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

	/** Whether the latest EHLO reply names the extension; undefined until one arrived. */
	offersExtension(name: string): boolean | undefined {
		if (!this.ehloReply) return undefined;
		return this.ehloReply.some((line) => new RegExp(`^250[ -]${name}\\b`, 'i').test(line));
	}

	/** Whether a connection was upgraded with STARTTLS (the server said 220 to it). */
	upgradedWithStartTls(): boolean {
		return this.startTlsUpgrades > 0;
	}

	/** True once for each connection that broke while the server held a complete message. */
	takeUnknownOutcome(): boolean {
		if (this.unknownOutcomes === 0) return false;
		this.unknownOutcomes -= 1;
		return true;
	}

	/** A bunyan-shaped logger for nodemailer's `logger` option with `transactionLog` on. */
	readonly logger = {
		trace: () => undefined,
		debug: (entry: LogEntry, message?: unknown) => this.onLine(entry, message),
		info: (entry: LogEntry, message?: unknown, ...args: unknown[]) => this.onEvent(entry, message, args),
		warn: (entry: LogEntry, message?: unknown, ...args: unknown[]) => this.onFailure(entry, message, args),
		error: (entry: LogEntry, message?: unknown, ...args: unknown[]) => this.onFailure(entry, message, args),
		fatal: () => undefined,
	};

	private onLine({ tnx, sid = '' }: LogEntry, message: unknown): void {
		if (typeof message !== 'string') return;
		if (tnx === 'client') {
			if (/^EHLO\b/i.test(message)) this.awaitingEhloReply.add(sid);
			if (/^STARTTLS$/i.test(message.trim())) this.awaitingStartTls.add(sid);
			if (/^MAIL FROM:/i.test(message)) this.openSession();
			this.write(`C: ${message}`);
		} else if (tnx === 'server') {
			this.awaitingVerdict.delete(sid);
			if (this.awaitingStartTls.delete(sid) && message.startsWith('220')) this.startTlsUpgrades += 1;
			if (this.awaitingEhloReply.delete(sid)) this.ehloReply = message.split(/\r?\n/);
			this.write(`S: ${message}`);
		}
	}

	private onEvent({ tnx, sid = '' }: LogEntry, message: unknown, args: unknown[]): void {
		// nodemailer notes the end of the message data once it has all been written, dot included.
		if (tnx === 'message') this.awaitingVerdict.add(sid);
		if (tnx === 'message' || tnx === 'network') this.write(`* ${format(message, args)}`);
	}

	private onFailure({ tnx, sid = '' }: LogEntry, message: unknown, args: unknown[]): void {
		if (this.awaitingVerdict.delete(sid)) this.unknownOutcomes += 1;
		if (tnx === 'smtp' || tnx === 'network') this.write(`! ${format(message, args)}`);
	}

	private write(line: string): void {
		this.transcript?.(line);
	}
}

function format(message: unknown, args: unknown[]): string {
	let index = 0;
	return String(message ?? '').replace(/%s/g, () => String(args[index++] ?? ''));
}
