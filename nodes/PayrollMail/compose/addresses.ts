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
			throw new AddressError(field, `${field}: "${address || name}" is not an e-mail address`);
		}
		// The parser reads "a b@example.com", or two addresses missing their comma, as a name and
		// one address: a mail would silently miss someone. A name must come as Name <address>.
		const namedProperly = text.includes(`<${address}>`) || text.includes(`(${name})`);
		if (name && !namedProperly) {
			throw new AddressError(
				field,
				`${field}: "${name} ${address}" is not an e-mail address. ` +
					'Separate several addresses with commas, and write a name as Name <address>',
			);
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
