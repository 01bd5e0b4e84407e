import { encodeInCharset, mimeCharsetName, type Charset } from './charset';

/** RFC 5322 2.1.1: lines SHOULD be at most 78 characters, MUST be at most 998. */
const FOLD_COLUMNS = 78;
export const MAX_LINE = 998;
/** RFC 2047 2: an encoded word is at most 75 characters, a line holding one at most 76. */
const MAX_ENCODED_WORD = 75;
const ENCODED_WORD_LINE = 76;
/** The longest encoding of one character in an encoded word: 4 UTF-8 bytes as =XX=XX=XX=XX. */
const MAX_ENCODED_CHARACTER = 12;
/** RFC 2047 5(3): the characters Q may leave as they are in any header position. */
const Q_LITERAL = /^[A-Za-z0-9!*+\-/]$/;

/** The Subject header's value; see unstructuredHeader. */
export function subjectHeader(subject: string, charset: Charset, fold: boolean): string {
	return unstructuredHeader('Subject', subject, charset, fold, 'Subject');
}

/**
 * An unstructured header's value (Subject, or a clerk's own header), ready for nodemailer as
 * `headers: { Subject: { prepared: true, value } }` — and then no `subject` option, which would
 * replace it. Empty text gives '' (nodemailer then leaves the header out).
 *
 * - Printable ASCII stays as it is; when folded, lines break before a single space, so that both
 *   RFC 5322 unfolding (drop the CRLF) and the common "CRLF + blanks → one space" give the text
 *   back exactly, runs of spaces and tabs included.
 * - Anything else becomes RFC 2047 encoded words in the charset, covering the whole text: the
 *   spaces then live inside the words (as "_"), so folding between words loses nothing, and no
 *   word splits a character. Q or B, whichever makes the shorter header (ties: Q): Q for Latin
 *   text, where it stays readable in the raw message and is shorter; B for mostly non-Latin
 *   text in UTF-8, where Q would triple every byte.
 * - fold: lines of at most 78 columns ("Name: " counts on the first; lines with encoded words
 *   at most 76, RFC 2047), continued with CRLF + space. Without fold the value stays on one
 *   line unless it would pass the 998-octet limit every server enforces.
 * - Line breaks in the text become a space (a header cannot hold one); ASCII text that contains
 *   "=?" is encoded too, so that no client decodes it as an encoded word.
 */
export function unstructuredHeader(name: string, value: string, charset: Charset, fold: boolean, field: string): string {
	const text = value.replace(/\r\n|\r|\n/g, ' ');
	const limit = fold ? FOLD_COLUMNS : MAX_LINE;
	const prefix = `${name}: `.length;
	if (!/[^\x20-\x7e\t]|=\?/.test(text)) {
		const plain = foldPlain(text, limit, prefix);
		if (plain !== undefined) return plain;
	}
	const characters = Array.from(text, (character) => encodeInCharset(character, charset, field));
	const wordLimit = fold ? ENCODED_WORD_LINE : MAX_LINE;
	const q = encodedWords(characters, 'Q', charset, wordLimit, prefix);
	const b = encodedWords(characters, 'B', charset, wordLimit, prefix);
	return b.length < q.length ? b : q;
}

/** ASCII text folded before single spaces; undefined when some line would pass 998 octets. */
function foldPlain(text: string, limit: number, prefix: number): string | undefined {
	const lines: string[] = [];
	let start = 0;
	let column = prefix;
	const blank = (i: number) => text[i] === ' ' || text[i] === '\t';
	while (column + text.length - start > limit) {
		// A fold point: a space with text before it on the line and no blank after it.
		let at = -1;
		let textBefore = !blank(start);
		for (let i = start + 1; i < text.length - 1; i++) {
			const fits = column + i - start <= limit;
			if (!fits && at >= 0) break;
			if (text[i] === ' ' && textBefore && !blank(i + 1)) {
				at = i;
				if (!fits) break;
			}
			if (!blank(i)) textBefore = true;
		}
		if (at < 0) break;
		lines.push(text.slice(start, at));
		start = at;
		column = 0;
	}
	lines.push(text.slice(start));
	if (lines.some((line, i) => (i === 0 ? prefix : 0) + line.length > MAX_LINE)) return undefined;
	return lines.join('\r\n');
}

function qEncode(bytes: Buffer): string {
	let out = '';
	for (const byte of bytes) {
		const character = String.fromCharCode(byte);
		if (byte === 0x20) out += '_';
		else if (Q_LITERAL.test(character)) out += character;
		else out += `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
	}
	return out;
}

/** Encoded words covering every character, each whole character in one word, packed into lines. */
function encodedWords(characters: Buffer[], encoding: 'Q' | 'B', charset: Charset, limit: number, headerPrefix: number): string {
	const prefix = `=?${mimeCharsetName(charset)}?${encoding}?`;
	const overhead = prefix.length + '?='.length;
	let out = '';
	let column = headerPrefix;
	let next = 0;
	while (next < characters.length) {
		const first = next === 0;
		let room = Math.min(MAX_ENCODED_WORD, limit - column - (first ? 0 : 1));
		if (room < overhead + MAX_ENCODED_CHARACTER) {
			out += '\r\n';
			column = 0;
			room = Math.min(MAX_ENCODED_WORD, limit - 1);
		}
		const capacity = room - overhead;
		let payload = '';
		if (encoding === 'Q') {
			while (next < characters.length) {
				const piece = qEncode(characters[next]);
				if (payload.length + piece.length > capacity) break;
				payload += piece;
				next++;
			}
		} else {
			const taken: Buffer[] = [];
			let size = 0;
			while (next < characters.length && Math.ceil((size + characters[next].length) / 3) * 4 <= capacity) {
				size += characters[next].length;
				taken.push(characters[next++]);
			}
			payload = Buffer.concat(taken).toString('base64');
		}
		const word = `${prefix}${payload}?=`;
		const separator = first && column === headerPrefix ? '' : ' ';
		out += separator + word;
		column += separator.length + word.length;
	}
	return out;
}

