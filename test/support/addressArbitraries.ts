import { domainToASCII } from 'node:url';

import fc from 'fast-check';

import type { Mailbox } from '../../nodes/PayrollMail/compose/addresses';

/**
 * Generated address fields for property-based tests. A field is written from a list of intended
 * mailboxes, each rendered one of the ways clerks and exports write them, joined by separators
 * that are harmless (commas, semicolons) or that a sloppy export produces (a colon, a space, a
 * line break, a tab, a stray quote or bracket). Whatever the node makes of a field, it must be
 * the intended addresses or a refusal: never some other address list.
 */
export interface GeneratedField {
	text: string;
	/** The mailboxes the field was written from, addresses as the wire carries them. */
	intended: Mailbox[];
	/** Written with harmless separators and properly quoted names only: must be read as intended. */
	wellFormed: boolean;
}

const ATEXT = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&\'*+/=?^_`{|}~-'];
const UNICODE_LETTERS = [...'äöüéèàçñøåßπжд中'];
const LABEL_CHARACTERS = [...'abcdefghijklmnopqrstuvwxyz0123456789'];
const IDN_LETTERS = [...'äöüéñ'];

const atom = (characters: string[], maxLength = 8) =>
	fc.array(fc.constantFrom(...characters), { minLength: 1, maxLength }).map((list) => list.join(''));

const localPart = fc
	.array(fc.oneof({ weight: 5, arbitrary: atom(ATEXT) }, { weight: 1, arbitrary: atom([...ATEXT.slice(0, 26), ...UNICODE_LETTERS]) }), {
		minLength: 1,
		maxLength: 3,
	})
	.map((atoms) => atoms.join('.'));

const label = fc.oneof(
	{ weight: 5, arbitrary: atom(LABEL_CHARACTERS, 10) },
	{ weight: 1, arbitrary: atom([...LABEL_CHARACTERS.slice(0, 26), ...IDN_LETTERS], 10) },
	{ weight: 1, arbitrary: fc.tuple(atom(LABEL_CHARACTERS, 4), atom(LABEL_CHARACTERS, 4)).map(([a, b]) => `${a}-${b}`) },
);

const domain = fc
	.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom('example', 'ch', 'de', 'com'))
	.map(([labels, top]) => [...labels, top].join('.'));

/** Any printable text a name column may hold, specials and non-Latin scripts included. */
const nameText = fc.oneof(
	fc.constantFrom('Anna Muster', 'Muster, Anna', 'Payroll: ACME AG', 'Anna <x@evil.example>', 'O\'Brien (HR)', 'A. "Nan" \\ B', 'Jürg Müller'),
	fc.string({ unit: fc.constantFrom(...'Anna Muster,;:<>@()[]."\\\'äß中 '), minLength: 1, maxLength: 20 }),
	fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((text) => !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u.test(text)),
);

type Rendering = 'bare' | 'angle' | 'quoted' | 'encoded' | 'unquoted';

const HARMLESS = [', ', ',', ';', ' ; ', ',, ', ' ,\u00a0'];
const HOSTILE = [' ', ': ', ':', '\r\n', '\n', '\r\nBcc: ', '\t', '\u2028', '\u0085', ' <', '"', '>', '(', '\u0000'];

export function generatedField({ wellFormed = false } = {}): fc.Arbitrary<GeneratedField> {
	const renderings: Rendering[] = wellFormed ? ['bare', 'angle', 'quoted', 'encoded'] : ['bare', 'angle', 'quoted', 'encoded', 'unquoted'];
	const mailbox = fc.record({
		local: localPart,
		domain,
		// A name with an @ is refused whatever its quoting: a well-formed field has none.
		name: wellFormed ? nameText.filter((name) => !name.includes('@')) : nameText,
		rendering: fc.constantFrom(...renderings),
	});
	const separator = wellFormed ? fc.constantFrom(...HARMLESS) : fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...HARMLESS) }, { weight: 2, arbitrary: fc.constantFrom(...HOSTILE) });
	return fc.array(fc.tuple(mailbox, separator), { minLength: 1, maxLength: 4 }).map((entries) => {
		const pieces = entries.map(([{ local, domain: host, name, rendering }, glue], index) => {
			const address = `${local}@${host}`;
			const written = render(address, name, rendering);
			return (index ? glue : '') + written;
		});
		const intended = entries.map(([{ local, domain: host, name, rendering }]) => ({
			name: rendering === 'bare' || rendering === 'angle' ? '' : rendering === 'unquoted' ? name.trim().split(/\s+/).join(' ') : name,
			address: wireAddress(local, host),
		}));
		const allHarmless = entries.every(
			([entry, glue], index) =>
				entry.rendering !== 'unquoted' && !(entry.rendering !== 'bare' && entry.rendering !== 'angle' && entry.name.includes('@')) && (index === 0 || HARMLESS.includes(glue)),
		);
		return { text: pieces.join(''), intended, wellFormed: allHarmless };
	});
}

function render(address: string, name: string, rendering: Rendering): string {
	switch (rendering) {
		case 'bare':
			return address;
		case 'angle':
			return `<${address}>`;
		case 'quoted':
			return `"${name.replace(/["\\]/g, '\\$&')}" <${address}>`;
		case 'encoded':
			return `=?UTF-8?B?${Buffer.from(name).toString('base64')}?= <${address}>`;
		case 'unquoted':
			return `${name} <${address}>`;
	}
}

/** The address as the node must put it on the wire: NFC, and the domain as an A-label unless the local part needs SMTPUTF8. */
export function wireAddress(local: string, host: string): string {
	const nfcLocal = local.normalize('NFC');
	const ascii = domainToASCII(host.normalize('NFC'));
	return /[\u0080-\uffff]/.test(nfcLocal) ? `${nfcLocal}@${host.normalize('NFC').toLowerCase()}` : `${nfcLocal}@${ascii}`;
}
