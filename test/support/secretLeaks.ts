import { randomBytes, randomInt } from 'node:crypto';

/**
 * Finds secrets in text the way someone reading it could: not by encoding the secret and
 * searching (that would repeat the product's own method) but by decoding every stretch of the
 * text that could hide one - base64 and base64url runs at every offset, hex runs, percent and
 * form encoding, JSON escapes - and looking for any 8 consecutive characters of a secret in the
 * result. A secret is reported even when only part of it shows.
 */
export function findLeaks(text: string, secrets: string[]): string[] {
	const readings = readingsOf(text);
	const leaks: string[] = [];
	for (const secret of secrets) {
		for (const window of windows(secret)) {
			const found = readings.find(({ bytes }) => bytes.includes(Buffer.from(window)));
			if (found) {
				leaks.push(`${JSON.stringify(window)} of a secret, read as ${found.how} in: ${text.slice(0, 300)}`);
				break;
			}
		}
	}
	return leaks;
}

export function expectNoLeak(text: string, secrets: string[]): void {
	const leaks = findLeaks(text, secrets);
	if (leaks.length) throw new Error(`Secret found:\n${leaks.join('\n')}`);
}

/**
 * A secret as a clerk might choose one: random, long enough to be unmistakable, with the
 * characters that make its encodings differ from its text (space, %, +, /, =, quote, backslash,
 * &, umlauts, €). Its length varies, so its base64 lands at every alignment.
 */
export function randomSecret(): string {
	const specials = [' ', '%', '+', '/', '=', '"', '\\', '&', 'ü', 'ß', '€', ':'];
	const characters = [...randomBytes(12).toString('base64url').slice(0, 10 + randomInt(6))];
	// Never first: a value starting with = is an expression to n8n.
	for (let i = 0; i < 4; i++) characters.splice(1 + randomInt(characters.length), 0, specials[randomInt(specials.length)]);
	return characters.join('');
}

const WINDOW = 8;

function windows(secret: string): string[] {
	const characters = [...secret];
	if (characters.length <= WINDOW) return [secret];
	return Array.from({ length: characters.length - WINDOW + 1 }, (_, i) => characters.slice(i, i + WINDOW).join(''));
}

interface Reading {
	how: string;
	bytes: Buffer;
}

function readingsOf(text: string): Reading[] {
	const readings: Reading[] = [{ how: 'plain text', bytes: Buffer.from(text) }];
	const jsonUnescaped = text.replace(/\\(u[0-9a-fA-F]{4}|["\\/bfnrt])/g, (_, escape: string) =>
		escape.startsWith('u') ? String.fromCharCode(parseInt(escape.slice(1), 16)) : JSON.parse(`"\\${escape}"`),
	);
	readings.push({ how: 'JSON', bytes: Buffer.from(jsonUnescaped) });
	for (const [how, source] of [
		['percent-encoded', text],
		['form-encoded', text.replace(/\+/g, ' ')],
		['percent-encoded JSON', jsonUnescaped],
	] as const) {
		readings.push({ how, bytes: Buffer.from(percentDecoded(source)) });
	}
	for (const run of text.match(/[A-Za-z0-9+/=_-]{6,}/g) ?? []) {
		for (let shift = 0; shift < 4; shift++) {
			const part = run.slice(shift);
			readings.push({ how: `base64 (offset ${shift})`, bytes: Buffer.from(part.replace(/-/g, '+').replace(/_/g, '/'), 'base64') });
		}
	}
	for (const run of text.match(/[0-9a-fA-F]{16,}/g) ?? []) {
		readings.push({ how: 'hex', bytes: Buffer.from(run, 'hex') }, { how: 'hex (offset 1)', bytes: Buffer.from(run.slice(1), 'hex') });
	}
	return readings;
}

/** Decodes each run of %XX escapes as UTF-8 bytes; a broken run is left as it is. */
function percentDecoded(text: string): string {
	return text.replace(/(%[0-9a-fA-F]{2})+/g, (run) => {
		try {
			return decodeURIComponent(run);
		} catch {
			return Buffer.from(run.replace(/%/g, ''), 'hex').toString('latin1');
		}
	});
}
