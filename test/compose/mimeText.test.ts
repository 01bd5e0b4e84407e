import iconv from 'iconv-lite';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';

import { ContentError } from '../../nodes/PayrollMail/compose/contentError';
import { composeContent } from '../../nodes/PayrollMail/compose/mailContent';
import { bodyPart, type BodyPart, needs8BitMime, RTF_FILENAME, type TransferEncoding } from '../../nodes/PayrollMail/compose/mimeText/bodyPart';
import { type Charset, UnrepresentableCharacterError } from '../../nodes/PayrollMail/compose/mimeText/charset';
import { subjectHeader } from '../../nodes/PayrollMail/compose/mimeText/headerText';

const CHARSETS: Charset[] = ['utf8', 'windows1252', 'iso88591', 'iso885915'];
const MIME_NAME: Record<Charset, string> = {
	utf8: 'utf-8',
	windows1252: 'windows-1252',
	iso88591: 'iso-8859-1',
	iso885915: 'iso-8859-15',
};

const SAMPLE = "Lohnabrechnung für März – Jürg Müller, Genève, 1'234.50 CHF";
/** ISO-8859-1 and -15 have no en dash (Windows-1252 has it at 0x96): the same line with a hyphen. */
const SAMPLE_LATIN = SAMPLE.replace('–', '-');

/** A payslip letter each charset can write: dashes and the euro only where the charset has them. */
function letter(charset: Charset): string {
	const latin1 = charset === 'iso88591' || charset === 'iso885915';
	const bonus = charset === 'iso88591' ? 'Prämie: 100.00 CHF' : 'Prämie: 100.00 € (Übertrag)';
	return [
		'Grüezi Jürg',
		'',
		latin1 ? SAMPLE_LATIN : SAMPLE,
		bonus,
		`À bientôt, l'équipe des salaires ${latin1 ? '-' : '—'} ça va ?`,
		'',
	].join('\n');
}

const htmlOf = (text: string) => `<html><body><p>${text.replace(/\n/g, '<br>\n')}</p></body></html>`;
const crlf = (text: string) => text.replace(/\r\n|\r|\n/g, '\r\n');

const PDF: Mail.Attachment = {
	filename: 'Lohnabrechnung.pdf',
	contentType: 'application/pdf',
	content: Buffer.from('%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n%%EOF\n', 'latin1'),
};

const envelope = { from: 'lohn@example.ch', to: ['juerg@example.ch'] };

async function build(mail: Mail.Options): Promise<Buffer> {
	return new MailComposer({ from: 'Lohnbüro <lohn@example.ch>', to: 'juerg@example.ch', envelope, ...mail })
		.compile()
		.build();
}

// --- A small MIME reader, so that the bytes on the wire are checked without mailparser's decoding

interface Entity {
	headers: Map<string, string>;
	/** The body exactly as on the wire (before any transfer decoding). */
	wire: Buffer;
	children: Entity[];
}

function readEntity(text: string): Entity {
	const end = text.indexOf('\r\n\r\n');
	const headerBlock = end < 0 ? text : text.slice(0, end);
	const body = end < 0 ? '' : text.slice(end + 4);
	const headers = new Map<string, string>();
	for (const line of headerBlock.replace(/\r\n(?=[ \t])/g, '').split('\r\n')) {
		const colon = line.indexOf(':');
		const key = line.slice(0, colon).toLowerCase();
		if (!headers.has(key)) headers.set(key, line.slice(colon + 1).trim());
	}
	const contentType = headers.get('content-type') ?? 'text/plain';
	const boundary = /^multipart\//i.test(contentType) ? /boundary="?([^";]+)"?/i.exec(contentType)?.[1] : undefined;
	const children: Entity[] = [];
	if (boundary) {
		const pieces = `\r\n${body}`.split(`\r\n--${boundary}`);
		for (const piece of pieces.slice(1)) {
			if (piece.startsWith('--')) break;
			children.push(readEntity(piece.slice(piece.indexOf('\r\n') + 2)));
		}
	}
	return { headers, wire: Buffer.from(body, 'latin1'), children };
}

function leaves(entity: Entity): Entity[] {
	return entity.children.length ? entity.children.flatMap(leaves) : [entity];
}

function readMessage(raw: Buffer): { root: Entity; parts: Entity[] } {
	const root = readEntity(raw.toString('latin1'));
	return { root, parts: leaves(root) };
}

function partOfType(parts: Entity[], mediaType: string): Entity {
	const part = parts.find((p) => (p.headers.get('content-type') ?? '').toLowerCase().startsWith(mediaType));
	if (!part) throw new Error(`no ${mediaType} part`);
	return part;
}

function declaredCharset(part: Entity): string | undefined {
	return /charset="?([^";\s]+)"?/i.exec(part.headers.get('content-type') ?? '')?.[1];
}

function decodeQuotedPrintable(wire: string): Buffer {
	const text = wire.replace(/=\r\n/g, '');
	const bytes: number[] = [];
	for (let i = 0; i < text.length; i++) {
		if (text[i] === '=') {
			bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
			i += 2;
		} else {
			bytes.push(text.charCodeAt(i));
		}
	}
	return Buffer.from(bytes);
}

/** The part's bytes after the transfer encoding is undone. */
function contentBytes(part: Entity): Buffer {
	const encoding = (part.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
	if (encoding === 'base64') return Buffer.from(part.wire.toString('latin1'), 'base64');
	if (encoding === 'quoted-printable') return decodeQuotedPrintable(part.wire.toString('latin1'));
	return part.wire;
}

/** nodemailer ends a message with a line break; a single-part body that had none gains one. */
function withoutAddedFinalNewline(text: string, original: string): string {
	return !original.endsWith('\r\n') && text.endsWith('\r\n') ? text.slice(0, -2) : text;
}

/** Declared charset and bytes agree: the bytes, decoded in the charset the part declares, are the text. */
function expectTextInDeclaredCharset(part: Entity, charset: Charset, original: string): Buffer {
	expect(declaredCharset(part)?.toLowerCase()).toBe(MIME_NAME[charset]);
	const bytes = contentBytes(part);
	const decoded = iconv.decode(bytes, declaredCharset(part) ?? 'ascii');
	expect(withoutAddedFinalNewline(decoded, crlf(original))).toBe(crlf(original));
	return bytes;
}

function errorOf(run: () => unknown): UnrepresentableCharacterError {
	try {
		run();
	} catch (error) {
		if (error instanceof UnrepresentableCharacterError) return error;
		throw error;
	}
	throw new Error('expected an UnrepresentableCharacterError, but the text was accepted');
}

// Bytes every charset must produce, checked against fixed values rather than iconv-lite itself.
const KNOWN_BYTES: Record<Charset, Array<[string, number[]]>> = {
	utf8: [
		['ü', [0xc3, 0xbc]],
		['€', [0xe2, 0x82, 0xac]],
		['–', [0xe2, 0x80, 0x93]],
	],
	windows1252: [
		['ü', [0xfc]],
		['€', [0x80]],
		['–', [0x96]],
	],
	iso88591: [
		['ü', [0xfc]],
		['è', [0xe8]],
	],
	iso885915: [
		['ü', [0xfc]],
		['€', [0xa4]],
	],
};

const ENCODINGS: Array<[TransferEncoding, string]> = [
	['base64', 'base64'],
	['quotedPrintable', 'quoted-printable'],
	['eightBit', '8bit'],
];

describe('bodyPart', () => {
	describe.each(CHARSETS)('in %s', (charset) => {
		const text = letter(charset);

		it.each(ENCODINGS)(
			'with %s: text and HTML declare the charset, carry its bytes and the chosen Content-Transfer-Encoding',
			async (transferEncoding, header) => {
				const plain = bodyPart(text, 'plain', charset, transferEncoding, 'Text');
				const html = bodyPart(htmlOf(text), 'html', charset, transferEncoding, 'HTML');
				const raw = await build({ subject: 'Lohn', alternatives: [plain, html], attachments: [PDF] });
				const { root, parts } = readMessage(raw);
				expect(root.headers.get('content-type')).toMatch(/^multipart\/mixed/);

				const plainPart = partOfType(parts, 'text/plain');
				const htmlPart = partOfType(parts, 'text/html');
				for (const part of [plainPart, htmlPart]) {
					expect(part.headers.get('content-transfer-encoding')).toBe(header);
				}
				const plainBytes = expectTextInDeclaredCharset(plainPart, charset, text);
				expectTextInDeclaredCharset(htmlPart, charset, htmlOf(text));
				for (const [character, bytes] of KNOWN_BYTES[charset]) {
					if (text.includes(character)) expect(plainBytes.includes(Buffer.from(bytes))).toBe(true);
				}

				const parsed = await simpleParser(raw);
				expect(parsed.text?.replace(/\r\n/g, '\n').trimEnd()).toBe(text.trimEnd());
				expect(parsed.html && parsed.html.replace(/\r\n/g, '\n')).toBe(htmlOf(text));
			},
		);

		it('with auto: nodemailer picks the encoding, the bytes are in the charset either way', async () => {
			const raw = await build({ subject: 'Lohn', alternatives: [bodyPart(text, 'plain', charset, 'auto', 'Text')] });
			const { parts } = readMessage(raw);
			const [part] = parts;
			// Mostly Latin letters: quoted-printable, readable in the raw message.
			expect(part.headers.get('content-transfer-encoding')).toBe('quoted-printable');
			expectTextInDeclaredCharset(part, charset, text);
			expect((await simpleParser(raw)).text?.replace(/\r\n/g, '\n')).toBe(text);
		});

		it('with auto: plain ASCII goes 7bit and keeps its declared charset', async () => {
			const ascii = 'Dear Juerg,\r\nyour payslip for March is attached.\r\n';
			const raw = await build({ subject: 'Lohn', alternatives: [bodyPart(ascii, 'plain', charset, 'auto', 'Text')] });
			const [part] = readMessage(raw).parts;
			expect(part.headers.get('content-transfer-encoding')).toBe('7bit');
			expectTextInDeclaredCharset(part, charset, ascii);
		});

		it('writes the euro where the charset has one and refuses it, naming it and the field, where it has not', () => {
			if (charset === 'iso88591') {
				const error = errorOf(() => bodyPart('Prämie 100 €', 'plain', charset, 'base64', 'Text'));
				expect(error.field).toBe('Text');
				expect(error.character).toBe('€');
				expect(error.message).toBe(
					'Text: "€" (U+20AC) cannot be written in ISO-8859-1. Choose UTF-8, Windows-1252 or ISO-8859-15',
				);
			} else {
				const part = bodyPart('Prämie 100 €', 'plain', charset, 'base64', 'Text');
				const euro = KNOWN_BYTES[charset].find(([character]) => character === '€')?.[1] ?? [];
				expect((part.content as Buffer).subarray(-euro.length)).toEqual(Buffer.from(euro));
				expect(iconv.decode(part.content as Buffer, MIME_NAME[charset])).toBe('Prämie 100 €');
			}
		});
	});

	it('with auto: mostly non-Latin UTF-8 text goes base64, its bytes UTF-8', async () => {
		const text = 'Расчётный листок за март 2025 года\n';
		const raw = await build({ alternatives: [bodyPart(text, 'plain', 'utf8', 'auto', 'Text')] });
		const [part] = readMessage(raw).parts;
		expect(part.headers.get('content-transfer-encoding')).toBe('base64');
		expectTextInDeclaredCharset(part, 'utf8', text);
	});

	it.each(['iso88591', 'iso885915'] as const)(
		'refuses the en dash of the sample line in %s rather than writing "?"',
		(charset) => {
			const error = errorOf(() => bodyPart(SAMPLE, 'html', charset, 'auto', 'HTML'));
			expect(error.field).toBe('HTML');
			expect(error.character).toBe('–');
			expect(error.message).toMatch(/^HTML: "–" \(U\+2013\) cannot be written in ISO-8859-1?5?\. Choose UTF-8 or Windows-1252$/);
		},
	);

	it('refuses a character no single-byte charset has, and a broken surrogate even in UTF-8', () => {
		expect(errorOf(() => bodyPart('Lohn 中', 'plain', 'windows1252', 'auto', 'Text')).message).toBe(
			'Text: "中" (U+4E2D) cannot be written in Windows-1252. Choose UTF-8',
		);
		const broken = errorOf(() => bodyPart('Lohn \uD800', 'plain', 'utf8', 'auto', 'Text'));
		expect(broken.character).toBe('\uD800');
		expect(broken.message).toMatch(/^Text: U\+D800 /);
	});

	it('eightBit: the charset bytes go on the wire unencoded, in CRLF lines of at most 998 octets', async () => {
		const text = `${SAMPLE}\nPrämie 100 €\n${'Überstunden '.repeat(60)}\n`;
		const raw = await build({ alternatives: [bodyPart(text, 'plain', 'windows1252', 'eightBit', 'Text')], attachments: [PDF] });
		const part = partOfType(readMessage(raw).parts, 'text/plain');
		expect(part.headers.get('content-transfer-encoding')).toBe('8bit');
		expect(part.wire).toEqual(iconv.encode(crlf(text), 'windows1252'));
		expect(part.wire.includes(Buffer.from([0x4d, 0xe4, 0x72, 0x7a]))).toBe(true); // "März"
		const wireLines = raw.toString('latin1').split('\r\n');
		expect(Math.max(...wireLines.map((line) => line.length))).toBeLessThanOrEqual(998);
		expect(wireLines.every((line) => !/[\r\n]/.test(line))).toBe(true);
	});

	it('eightBit: a line over 998 octets goes quoted-printable instead, the text unchanged', async () => {
		const text = `${'Jürg Müller '.repeat(100)}\n`;
		const part = bodyPart(text, 'html', 'utf8', 'eightBit', 'HTML');
		expect(part.raw).toBeUndefined();
		const raw = await build({ alternatives: [part], attachments: [PDF] });
		const html = partOfType(readMessage(raw).parts, 'text/html');
		expect(html.headers.get('content-transfer-encoding')).toBe('quoted-printable');
		expectTextInDeclaredCharset(html, 'utf8', text);
	});

	it('keeps the HTML part recognisable, so cid: images still make multipart/related (raw 8-bit parts too)', async () => {
		for (const transferEncoding of ['base64', 'eightBit'] as const) {
			const html = bodyPart('<p>Lohn für März <img src="cid:logo"></p>', 'html', 'windows1252', transferEncoding, 'HTML');
			const raw = await build({
				alternatives: [bodyPart('Lohn für März', 'plain', 'windows1252', transferEncoding, 'Text'), html],
				attachments: [PDF, { filename: 'logo.png', contentType: 'image/png', content: Buffer.from('png'), cid: 'logo' }],
			});
			const { root } = readMessage(raw);
			const alternative = root.children[0];
			expect(alternative.headers.get('content-type')).toMatch(/^multipart\/alternative/);
			expect(alternative.children[1].headers.get('content-type')).toMatch(/^multipart\/related/);
		}
	});

	describe('RTF', () => {
		const rtf =
			"{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Arial;}}\n" +
			"\\f0\\fs20 Lohnabrechnung f\\'fcr M\\'e4rz \\endash  J\\'fcrg M\\'fcller, Gen\\'e8ve, 1'234.50 CHF\\par\n" +
			'Pr\\u228?mie: 100 \\u8364?\\par\n}';

		it.each([...ENCODINGS, ['auto', 'quoted-printable'] as [TransferEncoding, string]])(
			'with %s: the only body is a text/rtf part, inline and named .rtf, the RTF source intact',
			async (transferEncoding, header) => {
				const part = bodyPart(rtf, 'rtf', 'windows1252', transferEncoding, 'RTF');
				const raw = await build({ subject: 'Lohn', alternatives: [part], attachments: [PDF] });
				const rtfPart = partOfType(readMessage(raw).parts, 'text/rtf');
				expect(rtfPart.headers.get('content-type')).toMatch(/^text\/rtf; charset=windows-1252/);
				expect(rtfPart.headers.get('content-transfer-encoding')).toBe(header);
				expect(rtfPart.headers.get('content-disposition')).toMatch(new RegExp(`^inline; filename=${RTF_FILENAME}$`));
				expectTextInDeclaredCharset(rtfPart, 'windows1252', rtf);

				const parsed = await simpleParser(raw);
				const attachment = parsed.attachments.find((a) => a.contentType === 'text/rtf');
				expect(attachment?.filename).toBe(RTF_FILENAME);
				expect(attachment?.contentDisposition).toBe('inline');
				expect(attachment?.content.toString('latin1')).toBe(crlf(rtf));
			},
		);

		it('as the message itself (no attachment): a single text/rtf message', async () => {
			const raw = await build({ subject: 'Lohn', alternatives: [bodyPart(rtf, 'rtf', 'utf8', 'base64', 'RTF')] });
			const { root } = readMessage(raw);
			expect(root.headers.get('content-type')).toMatch(/^text\/rtf; charset=utf-8/);
			expect(root.headers.get('from')).toBeDefined();
			expectTextInDeclaredCharset(root, 'utf8', rtf);
		});
	});

	it('normalises line breaks to CRLF for every transfer encoding', () => {
		for (const [transferEncoding] of ENCODINGS) {
			const part = bodyPart('a\nb\rc\r\nd', 'plain', 'utf8', transferEncoding, 'Text');
			const bytes = part.raw ? part.raw.subarray(part.raw.indexOf('\r\n\r\n') + 4) : (part.content as Buffer);
			expect(bytes.toString('utf8')).toBe('a\r\nb\r\nc\r\nd');
		}
	});

	it('returns objects nodemailer takes as alternatives', () => {
		const part: Mail.AttachmentLike = bodyPart('x', 'plain', 'utf8', 'auto', 'Text') satisfies BodyPart;
		expect(part.contentType).toBe('text/plain; charset=utf-8');
	});
});

// nodemailer 10.6 labels a `text` body utf-8 whatever its bytes, re-encodes a text part given as
// 8bit, and writes a lone raw part as the whole message, headers lost. composeContent is what the
// node hands nodemailer: these check that what comes out is right despite all three.
describe('composeContent through nodemailer', () => {
	const format = (charset: Charset, transferEncoding: TransferEncoding) => ({ charset, transferEncoding, foldSubject: true });
	const composeAndBuild = async (body: { text?: string; html?: string }, charset: Charset, transferEncoding: TransferEncoding, attachments: Mail.Attachment[]) => {
		const content = composeContent('Lohn für März', body, format(charset, transferEncoding), attachments.length);
		return { content, raw: await build({ ...content.body, headers: content.headers, attachments }) };
	};

	it('labels a Windows-1252 text body windows-1252, and its bytes read back as the text', async () => {
		const { raw } = await composeAndBuild({ text: letter('windows1252') }, 'windows1252', 'auto', [PDF]);
		const part = partOfType(readMessage(raw).parts, 'text/plain');
		expectTextInDeclaredCharset(part, 'windows1252', letter('windows1252'));
		expect(contentBytes(part).includes(Buffer.from([0x4d, 0xe4, 0x72, 0x7a]))).toBe(true); // "März"
	});

	it('keeps an 8bit body 8bit: its bytes on the wire are the code page\'s, and it needs 8BITMIME', async () => {
		const { content, raw } = await composeAndBuild({ text: letter('windows1252') }, 'windows1252', 'eightBit', [PDF]);
		expect(content.needs8BitMime).toBe(true);
		const part = partOfType(readMessage(raw).parts, 'text/plain');
		expect(part.headers.get('content-transfer-encoding')).toBe('8bit');
		expect(withoutAddedFinalNewline(part.wire.toString('latin1'), crlf(letter('windows1252')))).toBe(
			iconv.encode(crlf(letter('windows1252')), 'windows1252').toString('latin1'),
		);
	});

	it('refuses a lone 8bit part, which nodemailer would write as the whole message without its headers', () => {
		expect(() => composeContent('Lohn', { text: 'Lohn' }, format('utf8', 'eightBit'), 0)).toThrow(ContentError);
		expect(() => composeContent('Lohn', { text: 'Lohn' }, format('utf8', 'eightBit'), 0)).toThrow(/8bit needs an attachment or both Text and HTML/);
	});

	it('writes From and Subject above an 8bit body that has both Text and HTML', async () => {
		const { raw } = await composeAndBuild({ text: 'Lohn', html: '<p>Lohn</p>' }, 'utf8', 'eightBit', []);
		const { root, parts } = readMessage(raw);
		expect(root.headers.get('from')).toContain('lohn@example.ch');
		expect((await simpleParser(raw)).subject).toBe('Lohn für März');
		expect(parts.map((part) => part.headers.get('content-transfer-encoding'))).toEqual(['8bit', '8bit']);
	});
});

// --- Subject

function subjectLines(raw: Buffer): string[] {
	const head = raw.toString('latin1').split('\r\n\r\n')[0].split('\r\n');
	const start = head.findIndex((line) => line.startsWith('Subject: '));
	if (start < 0) throw new Error('no Subject header');
	let end = start + 1;
	while (end < head.length && /^[ \t]/.test(head[end])) end++;
	return head.slice(start, end);
}

async function sendSubject(value: string): Promise<{ raw: Buffer; lines: string[]; parsed: string | undefined }> {
	const raw = await build({ headers: { Subject: { prepared: true, value } }, text: 'x' });
	return { raw, lines: subjectLines(raw), parsed: (await simpleParser(raw)).subject };
}

const ENCODED_WORD = /=\?([^?]+)\?([QB])\?([^?]*)\?=/g;

/** Decodes one encoded word on its own: a character split between two words would show as U+FFFD or "?". */
function decodeWord(charset: string, encoding: string, text: string): string {
	const bytes =
		encoding === 'B'
			? Buffer.from(text, 'base64')
			: decodeQuotedPrintable(text.replace(/_/g, ' ').replace(/=(?![0-9A-F]{2})/g, '=3D'));
	return iconv.decode(bytes, charset);
}

const LONG_SUBJECT =
	'Lohnabrechnung für März 2025 – Jürg Müller, Genève: Überstunden, Spesen und Zulagen; ' +
	'bitte prüfen Sie alle Beträge und melden Sie Abweichungen bis Freitag ans Lohnbüro';

describe('subjectHeader', () => {
	it.each(CHARSETS)('leaves a short ASCII subject as it is (%s)', async (charset) => {
		const value = subjectHeader('Payslip March 2025', charset, true);
		expect(value).toBe('Payslip March 2025');
		expect((await sendSubject(value)).lines).toEqual(['Subject: Payslip March 2025']);
	});

	describe.each(CHARSETS)('in %s', (charset) => {
		const subject = charset === 'iso88591' || charset === 'iso885915' ? LONG_SUBJECT.replace('–', '-') : LONG_SUBJECT;

		it('folds a 150-character subject with umlauts into lines of at most 78 columns that unfold to it exactly', async () => {
			expect(subject.length).toBeGreaterThanOrEqual(150);
			const value = subjectHeader(subject, charset, true);
			const { lines, parsed } = await sendSubject(value);
			expect(lines.length).toBeGreaterThan(1);
			for (const line of lines) expect(line.length).toBeLessThanOrEqual(78);
			expect(lines.slice(1).every((line) => line.startsWith(' '))).toBe(true);
			expect(parsed).toBe(subject);

			const words = [...value.matchAll(ENCODED_WORD)];
			expect(words.length).toBeGreaterThan(1);
			for (const [word, label] of words) {
				expect(word.length).toBeLessThanOrEqual(75);
				expect(label).toBe(MIME_NAME[charset]);
			}
			const decoded = words.map(([, label, encoding, text]) => decodeWord(label, encoding, text));
			expect(decoded.join('')).toBe(subject);
			expect(decoded.join('')).not.toMatch(/\uFFFD/);
		});

		it('keeps it on one header line when folding is off', async () => {
			const value = subjectHeader(subject, charset, false);
			expect(value).not.toMatch(/[\r\n]/);
			const { lines, parsed } = await sendSubject(value);
			expect(lines).toHaveLength(1);
			expect(parsed).toBe(subject);
			for (const [word] of value.matchAll(ENCODED_WORD)) expect(word.length).toBeLessThanOrEqual(75);
		});
	});

	it('uses Q for Latin text, readable in the raw message, and B where Q would be longer', () => {
		expect(subjectHeader('Lohnabrechnung März', 'windows1252', true)).toBe('=?windows-1252?Q?Lohnabrechnung_M=E4rz?=');
		expect(subjectHeader('Расчётный листок за март', 'utf8', true)).toMatch(/^=\?utf-8\?B\?/);
	});

	it('folds a long ASCII subject at single spaces, keeping runs of spaces and tabs exactly', async () => {
		const subject = `Payslip March 2025 for  Juerg Mueller,\tGeneva office - ${'please check every amount '.repeat(4)}carefully`;
		const value = subjectHeader(subject, 'windows1252', true);
		expect(value).not.toMatch(/=\?/);
		const { lines, parsed } = await sendSubject(value);
		expect(lines.length).toBeGreaterThan(1);
		for (const line of lines) expect(line.length).toBeLessThanOrEqual(78);
		expect(parsed).toBe(subject);
		expect(value.replace(/\r\n/g, '')).toBe(subject); // RFC 5322 unfolding
		expect(subjectHeader(subject, 'windows1252', false)).toBe(subject);
	});

	it('never folds inside a run of blanks, wherever the 78th column falls', async () => {
		for (let shift = 0; shift < 12; shift++) {
			const subject = `${'x'.repeat(55 + shift)} Lohn  \t  März ${'y'.repeat(20)} 2025   Juni`.replace('ä', 'a');
			const value = subjectHeader(subject, 'utf8', true);
			expect(value.replace(/\r\n/g, '')).toBe(subject);
			expect(value).not.toMatch(/\r\n [ \t]/);
			expect((await sendSubject(value)).parsed).toBe(subject);
		}
	});

	it('breaks even an unfolded subject before the 998-octet line limit', async () => {
		const subject = 'Jürg Müller '.repeat(120).trim();
		const { lines, parsed } = await sendSubject(subjectHeader(subject, 'utf8', false));
		for (const line of lines) expect(line.length).toBeLessThanOrEqual(998);
		expect(parsed).toBe(subject);
	});

	it('refuses "€" in ISO-8859-1, naming the Subject and the character', () => {
		const error = errorOf(() => subjectHeader('Prämie 100 €', 'iso88591', true));
		expect(error.field).toBe('Subject');
		expect(error.character).toBe('€');
		expect(error.charset).toBe('iso88591');
		expect(error.message).toBe(
			'Subject: "€" (U+20AC) cannot be written in ISO-8859-1. Choose UTF-8, Windows-1252 or ISO-8859-15',
		);
		expect(subjectHeader('Prämie 100 €', 'iso885915', true)).toBe('=?iso-8859-15?Q?Pr=E4mie_100_=A4?=');
		expect(subjectHeader('Prämie 100 €', 'windows1252', true)).toBe('=?windows-1252?Q?Pr=E4mie_100_=80?=');
	});

	it('turns line breaks into spaces and encodes text that would read as an encoded word', async () => {
		expect(subjectHeader('Lohn\r\nMärz\nApril', 'utf8', true)).toBe('=?utf-8?Q?Lohn_M=C3=A4rz_April?=');
		expect(subjectHeader('Lohn\nMarch', 'utf8', true)).toBe('Lohn March');
		const literal = 'Code =?utf-8?Q?x?= stays text';
		expect((await sendSubject(subjectHeader(literal, 'utf8', true))).parsed).toBe(literal);
	});

	it('goes through sendMail as a prepared header when no `subject` option replaces it', async () => {
		const transport = nodemailer.createTransport({ streamTransport: true, buffer: true });
		const value = subjectHeader(LONG_SUBJECT, 'windows1252', true);
		const base = { from: 'lohn@example.ch', to: 'juerg@example.ch', text: 'x', headers: { Subject: { prepared: true, value } } };
		const sent = await transport.sendMail(base);
		const raw = sent.message as Buffer;
		expect(subjectLines(raw).join('\r\n')).toBe(`Subject: ${value}`);
		expect((await simpleParser(raw)).subject).toBe(LONG_SUBJECT);

		const replaced = await transport.sendMail({ ...base, subject: 'plain' });
		expect(subjectLines(replaced.message as Buffer)).toEqual(['Subject: plain']);
	});
});

describe('needs8BitMime', () => {
	it.each([
		['eightBit', true],
		['base64', false],
		['quotedPrintable', false],
		['auto', false],
	] as Array<[TransferEncoding, boolean]>)('%s → %s', (transferEncoding, expected) => {
		expect(needs8BitMime(transferEncoding)).toBe(expected);
	});
});
