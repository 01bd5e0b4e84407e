import iconv from 'iconv-lite';

import { ContentError } from '../contentError';

/** The code pages a clerk can choose for subject and body (Divalto: "Code page du corps du message"). */
export type Charset = 'utf8' | 'windows1252' | 'iso88591' | 'iso885915';

const CHARSETS: Record<Charset, { mime: string; label: string }> = {
	utf8: { mime: 'utf-8', label: 'UTF-8' },
	windows1252: { mime: 'windows-1252', label: 'Windows-1252' },
	iso88591: { mime: 'iso-8859-1', label: 'ISO-8859-1' },
	iso885915: { mime: 'iso-8859-15', label: 'ISO-8859-15' },
};

/** The charset's name as MIME labels it (Content-Type charset=, encoded words). */
export function mimeCharsetName(charset: Charset): string {
	return CHARSETS[charset].mime;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function describeCharacter(character: string): string {
	const code = `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
	// Controls, spaces and half surrogate pairs would be invisible or garbled between quotes.
	return /^[\p{Cc}\p{Cf}\p{Z}\p{Cs}]$/u.test(character) ? code : `"${character}" (${code})`;
}

function representable(character: string, charset: Charset): boolean {
	if (charset === 'utf8') return !LONE_SURROGATE.test(character);
	// iconv-lite writes what the code page lacks as "?": a character is there if it comes back.
	return iconv.decode(iconv.encode(character, charset), charset) === character;
}

function unrepresentableMessage(field: string, character: string, charset: Charset): string {
	const what = describeCharacter(character);
	if (LONE_SURROGATE.test(character)) {
		return `${field}: ${what} is half of a character pair (a broken character) and cannot be written in any charset. Retype the text around it`;
	}
	const others = (Object.keys(CHARSETS) as Charset[])
		.filter((other) => other !== charset && representable(character, other))
		.map((other) => CHARSETS[other].label);
	const choice = others.length > 1 ? `${others.slice(0, -1).join(', ')} or ${others[others.length - 1]}` : others[0];
	return `${field}: ${what} cannot be written in ${CHARSETS[charset].label}. Choose ${choice}`;
}

/** A character the chosen charset does not have. Never replaced by "?" or dropped: the clerk decides. */
export class UnrepresentableCharacterError extends ContentError {
	constructor(
		readonly field: string,
		readonly character: string,
		readonly charset: Charset,
	) {
		super(unrepresentableMessage(field, character, charset));
		this.name = 'UnrepresentableCharacterError';
	}
}

/** The text's bytes in the charset; throws on the first character the charset does not have. */
export function encodeInCharset(text: string, charset: Charset, field: string): Buffer {
	if (charset === 'utf8') {
		const broken = LONE_SURROGATE.exec(text);
		if (broken) throw new UnrepresentableCharacterError(field, broken[0], charset);
		return Buffer.from(text, 'utf8');
	}
	const bytes = iconv.encode(text, charset);
	if (iconv.decode(bytes, charset) !== text) {
		for (const character of text) {
			if (!representable(character, charset)) throw new UnrepresentableCharacterError(field, character, charset);
		}
	}
	return bytes;
}

