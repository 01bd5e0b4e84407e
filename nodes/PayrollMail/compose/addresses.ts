import addressparser from 'nodemailer/lib/addressparser';

/** A mailbox as the clerk wrote it ("Anna Muster <anna@example.com>") and its bare address. */
export interface Mailbox {
	name: string;
	address: string;
}

/** An address field a clerk has to correct; names the field and the offending text. */
export class AddressError extends Error {
	constructor(
		readonly field: string,
		message: string,
	) {
		super(message);
		this.name = 'AddressError';
	}
}

// Deliberately loose: the server is the judge of an address; this only catches typing slips
// (no @, no dot in the domain, spaces, a stray bracket) before anything is sent.
const ADDRESS = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:".]+(\.[^\s@<>()[\],;:".]+)+$/u;

/** Parses a comma-separated address list; empty text is an empty list. */
export function parseMailboxes(text: string, field: string): Mailbox[] {
	const mailboxes = addressparser(text, { flatten: true });
	for (const { name, address } of mailboxes) {
		if (!ADDRESS.test(address)) {
			const written = address || name;
			throw new AddressError(field, `${field}: "${written}" is not an e-mail address`);
		}
	}
	return mailboxes.map(({ name, address }) => ({ name, address }));
}

/** Parses a field that must hold exactly one mailbox, such as the sender. */
export function parseSingleMailbox(text: string, field: string): Mailbox {
	const mailboxes = parseMailboxes(text, field);
	if (mailboxes.length !== 1) {
		throw new AddressError(
			field,
			mailboxes.length ? `${field}: give one address, not ${mailboxes.length}` : `${field} is empty`,
		);
	}
	return mailboxes[0];
}

export function formatMailbox({ name, address }: Mailbox): string {
	return name ? `${name} <${address}>` : address;
}
