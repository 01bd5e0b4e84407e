import type { Mailbox } from '../../nodes/PayrollMail/compose/addresses';

/**
 * Address fields as they come out of HR exports, self-service portals and expressions, each with
 * what the node must make of it: the mailboxes, or a refusal whose message says what is wrong.
 * Shared by the parser's unit tests and the engine tests, which check what a server receives.
 */
export interface AcceptedField {
	text: string;
	mailboxes: Mailbox[];
}

export interface RefusedField {
	text: string;
	/** What the message must say, besides quoting the text. */
	why: RegExp;
	/** The part of the text the message quotes, when not the whole field. */
	quoted?: string;
}

const anna = 'anna@corp.example';
const bob = 'bob@corp.example';

export const ACCEPTED: AcceptedField[] = [
	{ text: anna, mailboxes: [{ name: '', address: anna }] },
	{ text: `  ${anna}  `, mailboxes: [{ name: '', address: anna }] },
	{ text: `\u00a0${anna}\ufeff`, mailboxes: [{ name: '', address: anna }] },
	{ text: `${anna}\r`, mailboxes: [{ name: '', address: anna }] },
	{ text: `\r\n${anna}\r\n`, mailboxes: [{ name: '', address: anna }] },
	{ text: `${anna}, ${bob}`, mailboxes: [{ name: '', address: anna }, { name: '', address: bob }] },
	{ text: `${anna};${bob};`, mailboxes: [{ name: '', address: anna }, { name: '', address: bob }] },
	{ text: `${anna} ,, ; ${bob}`, mailboxes: [{ name: '', address: anna }, { name: '', address: bob }] },
	{ text: `Anna Muster <${anna}>`, mailboxes: [{ name: 'Anna Muster', address: anna }] },
	{ text: `A. Muster <${anna}>`, mailboxes: [{ name: 'A. Muster', address: anna }] },
	{ text: `<${anna}>`, mailboxes: [{ name: '', address: anna }] },
	{ text: `"Muster, Anna" <${anna}>`, mailboxes: [{ name: 'Muster, Anna', address: anna }] },
	{ text: `"Payroll: ACME AG" <${anna}>`, mailboxes: [{ name: 'Payroll: ACME AG', address: anna }] },
	{ text: `"Anna \\"Nan\\" Muster" <${anna}>`, mailboxes: [{ name: 'Anna "Nan" Muster', address: anna }] },
	{ text: `"back\\\\slash" <${anna}>`, mailboxes: [{ name: 'back\\slash', address: anna }] },
	{ text: `"Muster; Anna" <${anna}>, Bob <${bob}>`, mailboxes: [{ name: 'Muster; Anna', address: anna }, { name: 'Bob', address: bob }] },
	{ text: `Jürg Müller <${anna}>`, mailboxes: [{ name: 'Jürg Müller', address: anna }] },
	{ text: `Σωκράτης Παπαδόπουλος <${anna}>`, mailboxes: [{ name: 'Σωκράτης Παπαδόπουλος', address: anna }] },
	{ text: `山田 太郎 <${anna}>`, mailboxes: [{ name: '山田 太郎', address: anna }] },
	{ text: `=?UTF-8?Q?J=C3=BCrg_M=C3=BCller?= <${anna}>`, mailboxes: [{ name: 'Jürg Müller', address: anna }] },
	{ text: `=?ISO-8859-1?Q?J=FCrg?= =?ISO-8859-1?Q?_M=FCller?= <${anna}>`, mailboxes: [{ name: 'Jürg Müller', address: anna }] },
	{ text: `=?utf-8?B?0JDQvdC90LA=?= <${anna}>`, mailboxes: [{ name: 'Анна', address: anna }] },
	{ text: `${'N'.repeat(200)} <${anna}>`, mailboxes: [{ name: 'N'.repeat(200), address: anna }] },
	{ text: "o'brien+payroll@corp.example", mailboxes: [{ name: '', address: "o'brien+payroll@corp.example" }] },
	{ text: 'Anna@Corp.EXAMPLE', mailboxes: [{ name: '', address: 'Anna@corp.example' }] },
	{ text: 'anna@bücher.example', mailboxes: [{ name: '', address: 'anna@xn--bcher-kva.example' }] },
	{ text: 'anna@xn--bcher-kva.example', mailboxes: [{ name: '', address: 'anna@xn--bcher-kva.example' }] },
	{ text: 'jürg.müller@example.ch', mailboxes: [{ name: '', address: 'jürg.müller@example.ch' }] },
	{ text: 'jürg@bücher.example', mailboxes: [{ name: '', address: 'jürg@bücher.example' }] },
	// The same ü decomposed (u + combining diaeresis), as some systems store it.
	{ text: 'ju\u0308rg@example.ch', mailboxes: [{ name: '', address: 'jürg@example.ch' }] },
	{ text: `${'a'.repeat(64)}@corp.example`, mailboxes: [{ name: '', address: `${'a'.repeat(64)}@corp.example` }] },
	{ text: 'x@a-b.c-d.example', mailboxes: [{ name: '', address: 'x@a-b.c-d.example' }] },
	{ text: '', mailboxes: [] },
	{ text: ' ;, ', mailboxes: [] },
];

export const REFUSED: RefusedField[] = [
	// A colon reads as an RFC 5322 group: the text before it would be dropped.
	{ text: `${anna}: ${bob}`, why: /colon/ },
	{ text: `${anna}:${bob};`, why: /colon/ },
	{ text: `Payroll: ${anna}, ${bob};`, why: /colon/ },
	{ text: 'undisclosed-recipients:;', why: /colon/ },
	{ text: `Payroll: ACME AG <${anna}>`, why: /colon/ },
	// Line breaks, in every form, and other controls: header injection or a truncated field.
	{ text: `${anna}\r\nBcc: someone@else.example`, why: /line break/ },
	{ text: `${anna}\nBcc: someone@else.example`, why: /line break/ },
	{ text: `${anna}\u0085${bob}`, why: /line break/ },
	{ text: `${anna}\u2028${bob}`, why: /line break/ },
	{ text: `Anna\u2029Muster <${anna}>`, why: /line break/ },
	{ text: `${anna}\t${bob}`, why: /tab/ },
	{ text: `${anna}\u0000`, why: /control character \(U\+0000\)/ },
	{ text: `Anna\u0007 <${anna}>`, why: /control character \(U\+0007\)/ },
	{ text: `${anna}\u007f`, why: /control character \(U\+007F\)/ },
	{ text: `Anna \u202eanmuS <${anna}>`, why: /control character \(U\+202E\)/ },
	{ text: `"Anna\u200f" <${anna}>`, why: /control character \(U\+200F\)/ },
	{ text: `=?UTF-8?Q?Anna=0D=0ABcc=3A_x?= <${anna}>`, why: /line break once decoded/ },
	// Two addresses where one was meant, or a name the parser would take for an address.
	{ text: `${anna} ${bob}`, why: /2 addresses without a comma/ },
	{ text: `Anna <${anna}> <${bob}>`, why: /two addresses without a comma/ },
	{ text: `Anna <${anna}> ${bob}`, why: /two addresses without a comma/ },
	{ text: `Anna Muster ${anna}`, why: /Write a name as Name <address>/ },
	{ text: `"Anna" ${anna}`, why: /Write a name as Name <address>/ },
	{ text: `<${anna}> Anna`, why: /text after the address/ },
	{ text: `Muster, Anna <${anna}>`, why: /no @; if it is part of a name, put the whole name in double quotes/, quoted: 'Muster' },
	{ text: `Anna@Home <${anna}>`, why: /contains an @, so it would show an address the mail does not go to/ },
	{ text: `"Anna <x@evil.example>" <${anna}>`, why: /contains an @/ },
	{ text: `" <${bob}>" <${anna}>`, why: /contains an @/ },
	{ text: `=?UTF-8?Q?bob=40corp.example?= <${anna}>`, why: /contains an @/ },
	{ text: `Anna> <${anna}>`, why: /contains ">"\. Put the name in double quotes/ },
	// Comments, quoted local parts, domain literals, source routes.
	{ text: `${anna} (Anna Muster)`, why: /Write a name as Name <address>/ },
	{ text: `Anna (HR) <${anna}>`, why: /contains "\("/ },
	{ text: '"anna muster"@corp.example', why: /Write a name as Name <address>/ },
	{ text: '<"anna,bob"@corp.example>', why: /character before the @ that addresses cannot have/, quoted: '"anna,bob"@corp.example' },
	{ text: 'anna@[192.0.2.1]', why: /not a domain name/ },
	{ text: `<@relay.example:${anna}>`, why: /more than one @/, quoted: `@relay.example:${anna}` },
	// Not addresses at all.
	{ text: 'anna', why: /no @/ },
	{ text: 'anna@', why: /nothing after the @/ },
	{ text: '@corp.example', why: /nothing before the @/ },
	{ text: 'anna@@corp.example', why: /more than one @/ },
	{ text: `anna@corp.example@${bob}`, why: /more than one @/ },
	{ text: 'anna@corp', why: /"corp" is not a domain name/ },
	{ text: 'anna@corp.', why: /not a domain name/ },
	{ text: 'anna@-corp.example', why: /not a domain name/ },
	{ text: 'anna@192.0.2.1', why: /not a domain name/ },
	{ text: 'anna@corp_x.example', why: /not a domain name/ },
	{ text: 'anna..muster@corp.example', why: /misplaced dot/ },
	{ text: '.anna@corp.example', why: /misplaced dot/ },
	{ text: 'anna.@corp.example', why: /misplaced dot/ },
	{ text: 'an\u200bna@corp.example', why: /misplaced dot or character/ },
	{ text: `${'a'.repeat(65)}@corp.example`, why: /more than 64 characters before the @/ },
	{ text: `anna@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.${'g'.repeat(60)}.example`, why: /longer than 254|not a domain name/ },
	{ text: '<>', why: /brackets < > are empty/, quoted: '<>' },
	{ text: `Anna <${anna}`, why: /never closes it with >/ },
	{ text: `"Anna <${anna}>`, why: /never closes it/ },
	{ text: `${'N'.repeat(201)} <${anna}>`, why: /201 characters long; at most 200/ },
];

/** The text the parser's message quotes for a refused field: JSON-style, controls made visible. */
export function quotedInMessage(field: RefusedField): string {
	const text = field.quoted ?? field.text;
	return JSON.stringify(text.length > 120 ? `${text.slice(0, 117)}...` : text).replace(
		/[\u0080-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu,
		(character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
	);
}
