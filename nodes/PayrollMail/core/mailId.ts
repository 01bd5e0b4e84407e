import { randomUUID } from 'node:crypto';

/**
 * The ID every mail carries when delivery reports are on: as the DSN envelope ID (ENVID) and in
 * this header, so that a bounce, standard or not, names the mail it is about. Payroll Mail Bounces
 * reads both.
 */
export const MAIL_ID_HEADER = 'X-Payroll-Mail-ID';

/** Where a mail came from: the execution that sent it, the item, and the message of the item. */
export interface MailOrigin {
	/** n8n's execution ID, as far as it is letters, digits, `_` and `-`. */
	execution?: string;
	/** The input item's index, from 0, as n8n's pairedItem counts. */
	itemIndex: number;
	/** The message of the item, from 0 (several with one mail per address). */
	part: number;
}

const RUN_LENGTH = 40;

/**
 * `pm.<execution>.<item>.<message>.<12 hex digits>`: at most 76 characters, all of them allowed in
 * a DSN's xtext unencoded (no `+`, no `=`, nothing outside printable ASCII), so that it comes back
 * exactly as it was sent. The random part tells two sends of one item apart; the rest lets a
 * bounce name the run and the item even without the journal.
 */
export function newMailId({ execution, itemIndex, part }: MailOrigin): string {
	const run = (execution ?? '').replace(/[^A-Za-z0-9_-]/g, '').slice(0, RUN_LENGTH);
	return `pm.${run}.${itemIndex}.${part}.${randomHex12()}`;
}

/**
 * 12 random hex digits: a v4 UUID's first 12 are all random (its version digit comes after).
 * Node draws UUIDs from entropy it fetches in bulk; randomBytes fetches it on every call.
 */
function randomHex12(): string {
	const uuid = randomUUID();
	return uuid.slice(0, 8) + uuid.slice(9, 13);
}

const MAIL_ID = /^pm\.([A-Za-z0-9_-]{0,40})\.(\d{1,9})\.(\d{1,9})\.[0-9a-f]{12}$/;

/** The origin a mail ID names, or undefined for anything that is not one. */
export function readMailId(text: string): MailOrigin | undefined {
	const match = MAIL_ID.exec(text.trim());
	if (!match) return undefined;
	return { execution: match[1] || undefined, itemIndex: Number(match[2]), part: Number(match[3]) };
}
