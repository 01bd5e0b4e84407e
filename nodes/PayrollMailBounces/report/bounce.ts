/** What a delivery report says of one recipient that did not get the mail (yet). */
export interface Bounce {
	/** The address that failed or was delayed. */
	recipient: string;
	/** `failed` (given up) or `delayed` (still being tried). */
	action: BounceAction;
	/** The enhanced status code, e.g. `5.1.1`, or '' when the report gives none. */
	status: string;
	/** The remote server's own words (Diagnostic-Code), or the report's. */
	diagnostic: string;
	/** The server that refused or delayed it, when the report names it. */
	remoteMta: string;
	/** The server that wrote the report. */
	reportingMta: string;
	/** Whether the report is a standard one (RFC 3464) or read from a non-standard one's text. */
	format: 'dsn' | 'text';
}

export type BounceAction = 'failed' | 'delayed';

/** Which mail bounced, as far as the report or the returned headers say. */
export interface BouncedMailReference {
	/** Payroll Mail's ID (Original-Envelope-Id, or the returned X-Payroll-Mail-ID header). */
	mailId: string;
	/** The returned Message-ID, with its angle brackets. */
	messageId: string;
	/** The returned Subject. */
	subject: string;
}

/** A bounce as read from one received mail: the mail it is about and each recipient it reports. */
export interface BounceReport {
	mail: BouncedMailReference;
	bounces: Bounce[];
}

/** `failed` or `delayed` for a DSN Action value, undefined for the others (delivered, relayed, expanded). */
export function bounceAction(action: string): BounceAction | undefined {
	const word = action.trim().toLowerCase().split(/[\s(]/)[0];
	return word === 'failed' || word === 'delayed' ? word : undefined;
}

/** The enhanced status code (`5.1.1`) in a text, or ''. */
export function statusCode(text: string): string {
	return /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(text)?.[1] ?? '';
}

/** A DSN value without its type (`rfc822; a@b` → `a@b`, `smtp; 550 …` → `550 …`). */
export function withoutType(value: string): string {
	const match = /^[A-Za-z0-9-]+\s*;\s*(.*)$/s.exec(value.trim());
	return (match ? match[1] : value).trim();
}

/**
 * A multi-line SMTP reply as one line: the code and status once, not before every line
 * (`550-5.1.1 The account … 550-5.1.1 double-checking … 550 5.1.1 spaces.`).
 */
export function smtpReply(text: string): string {
	const match = /^([245]\d\d)[ -](?:([245]\.\d{1,3}\.\d{1,3})\s)?/.exec(text);
	if (!match) return text.replace(/\s+/g, ' ').trim();
	const continuation = new RegExp(`\\s${match[1]}[ -]${match[2] ? `(?:${match[2].replace(/\./g, '\\.')}\\s)?` : ''}`, 'g');
	const rest = text.slice(match[0].length).replace(continuation, ' ');
	return `${match[1]} ${match[2] ? `${match[2]} ` : ''}${rest}`.replace(/\s+/g, ' ').trim();
}

/** xtext (RFC 3461) decoded: `+XX` is the byte with that hex code. */
export function decodeXText(value: string): string {
	return value.replace(/\+([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
