import { domainToASCII, domainToUnicode } from 'node:url';

import iconv from 'iconv-lite';

/**
 * A mailbox as it goes on the wire: its display name (decoded text, never a formatted string)
 * and its address, the domain in the form the server is given. The envelope and the visible
 * headers are both made from these, so they cannot disagree.
 */
export interface Mailbox {
	name: string;
	address: string;
}

/** An address field a clerk has to correct; names the field and quotes the offending text. */
export class AddressError extends Error {
	constructor(
		readonly field: string,
		message: string,
	) {
		super(message);
		this.name = 'AddressError';
	}
}

/** RFC 5321 4.5.3.1: 64 octets before the @, 254 in all (the 256 of a path, less its brackets). */
const MAX_LOCAL_OCTETS = 64;
const MAX_ADDRESS_OCTETS = 254;
/** Longer is an export gone wrong (a whole address line in the name column), not a name. */
const MAX_NAME_LENGTH = 200;

// Line breaks (CR, LF, NEL, U+2028/9), other C0/C1 controls and DEL, and the bidirectional
// controls that can make a name display as something other than its text.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const LINE_BREAK = /[\r\n\u0085\u2028\u2029]/u;
/** RFC 5322 atext, plus the letters, marks and digits RFC 6531 allows beyond ASCII. */
const LOCAL_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\p{L}\p{M}\p{N}-]+$/u;
const DOMAIN_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ENCODED_WORD = /^=\?([^?*]+)(?:\*[^?]*)?\?([BbQq])\?([^?\s]*)\?=$/;

/**
 * Reads an address field: mailboxes separated by commas or semicolons, each `address` or
 * `Name <address>` (a name with a comma, colon or quote in double quotes). Empty text is an
 * empty list. Anything that could make the mail go elsewhere than the clerk reads - a group
 * (`Name: address;`), a line break, a control character, a comment, two addresses without a
 * comma - throws an AddressError that quotes the field and says what to change.
 */
export function parseMailboxes(untrimmed: string, field: string): Mailbox[] {
	// A line break at the very end (the last column of a CSV line) cannot add a header: only inside.
	const text = untrimmed.trim();
	const forbidden = FORBIDDEN.exec(text);
	if (forbidden) {
		throw new AddressError(field, `${field}: ${quote(text)} contains ${describe(forbidden[0])}. An address field must be one line of addresses`);
	}
	return splitEntries(text, field)
		.map((entry) => entry.trim())
		.filter((entry) => entry !== '')
		.map((entry) => parseEntry(entry, field));
}

/** Reads a field that must hold exactly one mailbox, such as the sender. */
export function parseSingleMailbox(text: string, field: string): Mailbox {
	const mailboxes = parseMailboxes(text, field);
	if (mailboxes.length !== 1) {
		throw new AddressError(
			field,
			mailboxes.length ? `${field}: give one address, not ${mailboxes.length} (${quote(text)})` : `${field} is empty`,
		);
	}
	return mailboxes[0];
}

/** The list with each address once, at its first place: one mail per address, not two. */
export function withoutRepeats(mailboxes: Mailbox[]): Mailbox[] {
	const seen = new Set<string>();
	return mailboxes.filter(({ address }) => !seen.has(address) && seen.add(address));
}

/** An address with characters beyond ASCII before its @ reaches only a server that offers SMTPUTF8. */
function isInternational(localPart: string): boolean {
	return /[\u0080-\uffff]/.test(localPart);
}

/** Splits at commas and semicolons outside quotes and angle brackets; refuses group syntax. */
function splitEntries(text: string, field: string): string[] {
	const entries: string[] = [];
	let start = 0;
	let quoted = false;
	let angle = false;
	for (let i = 0; i < text.length; i++) {
		const character = text[i];
		if (quoted) {
			if (character === '\\') i++;
			else if (character === '"') quoted = false;
			continue;
		}
		if (character === '"' && !angle) quoted = true;
		else if (character === '<') angle = true;
		else if (character === '>') angle = false;
		else if (character === ':' && !angle) {
			throw new AddressError(
				field,
				`${field}: ${quote(text)} has a colon (:), which makes the text before it a group name and drops it. ` +
					'Separate addresses with commas, and put a name with a colon in double quotes',
			);
		} else if ((character === ',' || character === ';') && !angle) {
			entries.push(text.slice(start, i));
			start = i + 1;
		}
	}
	if (quoted) throw new AddressError(field, `${field}: ${quote(text)} opens a double quote (") and never closes it`);
	if (angle) throw new AddressError(field, `${field}: ${quote(text)} opens a < and never closes it with >`);
	entries.push(text.slice(start));
	return entries;
}

function parseEntry(entry: string, field: string): Mailbox {
	const open = indexOutsideQuotes(entry, '<');
	if (open < 0) {
		if (entry.includes('"') || /\s/.test(entry)) {
			const words = entry.split(/\s+/).filter((word) => word.includes('@'));
			throw new AddressError(
				field,
				words.length > 1
					? `${field}: ${quote(entry)} holds ${words.length} addresses without a comma between them. Separate addresses with commas`
					: `${field}: ${quote(entry)} is not an e-mail address. Write a name as Name <address>, and separate addresses with commas`,
			);
		}
		return { name: '', address: parseAddress(entry, entry, field) };
	}
	const close = entry.indexOf('>', open);
	const rest = entry.slice(close + 1).trim();
	if (rest) {
		throw new AddressError(
			field,
			rest.includes('@')
				? `${field}: ${quote(entry)} holds two addresses without a comma between them. Separate addresses with commas`
				: `${field}: ${quote(entry)} has text after the address (${quote(rest)}). Write a name before the address: Name <address>`,
		);
	}
	const address = parseAddress(entry.slice(open + 1, close).trim(), entry, field);
	return { name: parseName(entry.slice(0, open), entry, field), address };
}

/**
 * A display name: words and quoted strings, as RFC 5322 phrases are written (a dot is allowed
 * unquoted, as in "A. Muster"). Encoded words (=?UTF-8?Q?...?=) are decoded, so the name is
 * written back once, encoded afresh, rather than encoded twice.
 */
function parseName(text: string, entry: string, field: string): string {
	const words: Array<{ text: string; encoded: boolean }> = [];
	let i = 0;
	while (i < text.length) {
		if (/\s/.test(text[i])) {
			i++;
			continue;
		}
		if (text[i] === '"') {
			let value = '';
			for (i++; text[i] !== '"'; i++) value += text[i] === '\\' ? text[++i] : text[i];
			i++;
			words.push({ text: value, encoded: false });
			continue;
		}
		let atom = '';
		while (i < text.length && !/\s/.test(text[i]) && text[i] !== '"') atom += text[i++];
		const special = /[()[\]\\>]/.exec(atom);
		if (special) {
			throw new AddressError(
				field,
				`${field}: the name in ${quote(entry)} contains "${special[0]}". Put the name in double quotes: "Name" <address>`,
			);
		}
		const decoded = decodeEncodedWord(atom);
		words.push(decoded === undefined ? { text: atom, encoded: false } : { text: decoded, encoded: true });
	}
	// RFC 2047 6.2: the space between two adjacent encoded words is not part of the text.
	const name = words.reduce(
		(joined, word, index) => joined + (index > 0 && !(word.encoded && words[index - 1].encoded) ? ' ' : '') + word.text,
		'',
	);
	const forbidden = FORBIDDEN.exec(name);
	if (forbidden) {
		throw new AddressError(field, `${field}: the name in ${quote(entry)} contains ${describe(forbidden[0])} once decoded`);
	}
	// A name shows as the sender or recipient: an address in it would be read as where the mail goes.
	if (name.includes('@')) {
		throw new AddressError(
			field,
			`${field}: the name in ${quote(entry)} contains an @, so it would show an address the mail does not go to. Leave addresses out of the name`,
		);
	}
	if (name.length > MAX_NAME_LENGTH) {
		throw new AddressError(field, `${field}: the name in ${quote(entry)} is ${name.length} characters long; at most ${MAX_NAME_LENGTH} are taken`);
	}
	return name;
}

/** The address in its wire form: the local part as written (NFC), the domain as the server needs it. */
function parseAddress(text: string, entry: string, field: string): string {
	const notAnAddress = (why: string) => new AddressError(field, `${field}: ${quote(text || entry)} is not an e-mail address (${why})`);
	if (!text) throw notAnAddress('the brackets < > are empty');
	const parts = text.normalize('NFC').split('@');
	if (parts.length > 2) throw notAnAddress('it has more than one @');
	if (parts.length === 1) throw notAnAddress('it has no @; if it is part of a name, put the whole name in double quotes');
	const [local, domain] = parts;
	if (!local) throw notAnAddress('nothing before the @');
	if (!local.split('.').every((atom) => LOCAL_ATOM.test(atom))) {
		throw notAnAddress(/[\s"(),:;<>@[\\\]]/.test(local) ? 'a character before the @ that addresses cannot have' : 'a misplaced dot or character before the @');
	}
	if (Buffer.byteLength(local) > MAX_LOCAL_OCTETS) throw notAnAddress(`more than ${MAX_LOCAL_OCTETS} characters before the @`);
	const asciiDomain = domainToASCII(domain);
	const labels = asciiDomain.split('.');
	if (!asciiDomain || labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label)) || /^\d+$/.test(labels[labels.length - 1])) {
		throw notAnAddress(domain ? `"${domain}" is not a domain name` : 'nothing after the @');
	}
	// An internationalised local part needs SMTPUTF8 anyway, and then the domain travels in UTF-8 too.
	const address = isInternational(local) ? `${local}@${domainToUnicode(asciiDomain)}` : `${local}@${asciiDomain}`;
	if (Buffer.byteLength(address) > MAX_ADDRESS_OCTETS) throw notAnAddress(`longer than ${MAX_ADDRESS_OCTETS} characters`);
	return address;
}

function indexOutsideQuotes(text: string, character: string): number {
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		if (quoted && text[i] === '\\') i++;
		else if (text[i] === '"') quoted = !quoted;
		else if (!quoted && text[i] === character) return i;
	}
	return -1;
}

/** An RFC 2047 encoded word's text, or undefined when the atom is not one this can decode. */
function decodeEncodedWord(atom: string): string | undefined {
	const match = ENCODED_WORD.exec(atom);
	if (!match || !iconv.encodingExists(match[1])) return undefined;
	const [, charset, encoding, payload] = match;
	const bytes =
		encoding.toUpperCase() === 'B'
			? Buffer.from(payload, 'base64')
			: Buffer.from(
					payload.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
					'latin1',
				);
	return iconv.decode(bytes, charset);
}

/** The text between quotes with what is invisible made visible; long text shortened. */
function quote(text: string): string {
	const visible = JSON.stringify(text.length > 120 ? `${text.slice(0, 117)}...` : text);
	return visible.replace(/[\u0080-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, (character) =>
		`\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
	);
}

function describe(character: string): string {
	if (LINE_BREAK.test(character)) return 'a line break';
	if (character === '\t') return 'a tab';
	return `an invisible control character (U+${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`;
}
